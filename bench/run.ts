/**
 * `npm run bench`: runs every benchmark and writes bench/results.md with the
 * machine and date. Each benchmark also runs on its own (see its header).
 * Figures are medians (and percentiles) over many samples; the machine is
 * shared and noisy, so compare ratios and medians, never single runs.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './lib/paths.js';

interface Section {
  title: string;
  /** Module next to this file exporting run(). */
  module: string;
  render(result: any): string[]; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

const SECTIONS: Section[] = [
  {
    title: 'Mouth-to-ear latency through loopback (issue 2)',
    module: './loopback.js',
    render: (r) => [
      'Click train in, clicks found in the output, delays on the monotonic clock (3 runs × 31 clicks per row).',
      'Goal on a clean link: ≤ 35 ms median at 20 ms frames, ≤ 22 ms at 10 ms frames.',
      '',
      '| frames | playback phase | median | p10 | p90 | floor (frame + 6.5 ms) | mean phase | mean buffer |',
      '|---|---|---|---|---|---|---|---|',
      ...r.latency.map(
        (l: any) => `| ${l.frameMs} ms | ${l.phase} | **${fmt(l.medianMs)} ms** | ${fmt(l.p10Ms)} | ${fmt(l.p90Ms)} | ${l.floorMs} ms | ${fmt(l.meanPhaseMs)} ms | ${fmt(l.meanBufferMs)} ms |`,
      ),
      '',
      `Impaired link, 40 ms jitter + 5 % loss (${r.impaired.runs} runs × 15 s of speech, goal late-loss ≤ 1 %, mean buffer delay ≤ 60 ms):`,
      `late **${r.impaired.late} of ${r.impaired.expected} packets (${fmt(r.impaired.latePercent, 2)} %)**, lost ${r.impaired.lost}, ` +
        `mean buffer delay **${fmt(r.impaired.meanBufferDelayMs)} ms** (worst run ${fmt(r.impaired.maxMeanBufferDelayMs)} ms), ` +
        `median output/input correlation ${fmt(r.impaired.medianCorrelation, 2)}.`,
    ],
  },
  {
    title: 'Codec CPU (issue 2)',
    module: './codec.js',
    render: (r) => [
      `Median µs per 20 ms mono frame over ${r.frames} frames of speech:`,
      '',
      '| encode (complexity 5) | encode + FEC | decode | conceal (PLC) | bytes/frame |',
      '|---|---|---|---|---|',
      `| ${r.encodeC5Us} | ${r.encodeC5FecUs} | ${r.decodeUs} | ${r.concealUs} | ${r.bytesPerFrameC5} |`,
    ],
  },
  {
    title: 'Pipeline CPU per stream (issue 2)',
    module: './pipeline.js',
    render: (r) => [
      `Median over ${r.frames} frames of 20 ms, real Opus: send (gate, encode, RTP) **${fmt(r.sendUsPerFrame, 0)} µs/frame**; ` +
        `receive (parse, jitter buffer, decode, gain, mix) **${fmt(r.receiveUsPerStreamFrame1, 0)} µs** per stream-frame with 1 talker, ` +
        `${fmt(r.receiveUsPerStreamFrame7, 0)} µs with 7; send + 7 streams = ${fmt(r.corePercent7Peers, 2)} % of one core.`,
    ],
  },
  {
    title: 'Signaling server load (issue 3)',
    module: './signaling-load.js',
    render: (r) => [
      `${r.clients} clients in ${r.rooms} rooms, load generator in a separate process; server and generator share the machine's ${r.cores} cores.`,
      'Goal: join → joined p99 ≤ 50 ms, relay p99 ≤ 50 ms.',
      '',
      '| | count | p50 | p99 | max |',
      '|---|---|---|---|---|',
      `| join → joined | ${r.join.count} | ${r.join.p50Ms} ms | **${r.join.p99Ms} ms** | ${r.join.maxMs} ms |`,
      `| relay | ${r.relay.count} of ${r.relay.expected} | ${r.relay.p50Ms} ms | **${r.relay.p99Ms} ms** | ${r.relay.maxMs} ms |`,
      '',
      `Server CPU ${fmt(r.serverCpuMs / 1000, 2)} s (${fmt(r.serverCpuPercentOfCore)} % of one core over ${fmt(r.wallMs / 1000)} s), ` +
        `peak RSS ${fmt(r.serverRssPeakMB)} MB; load generator CPU ${fmt(r.loadgenCpuMs / 1000, 2)} s; connect failures ${r.connectFailures}.`,
    ],
  },
  {
    title: 'Join → first decoded frame (issue 4)',
    module: './join-latency.js',
    render: (r) => ['```json', JSON.stringify(r, null, 2), '```'],
  },
  {
    title: 'One client in an 8-peer room (issue 4)',
    module: './mesh-cpu.js',
    render: (r) => ['```json', JSON.stringify(r, null, 2), '```'],
  },
  {
    title: 'Mouth-to-ear between two processes (issue 4)',
    module: './p2p-latency.js',
    render: (r) => ['```json', JSON.stringify(r, null, 2), '```'],
  },
];

function machine(): string[] {
  const cpus = os.cpus();
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`,
    `- node ${process.version}; load average at start ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}`,
  ];
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const lines = ['# Benchmark results', '', 'Written by `npm run bench` (bench/run.ts). Reproduce with the same command.', '', ...machine(), ''];
  for (const section of SECTIONS) {
    const name = path.basename(section.module, '.js');
    if (only.length > 0 && !only.includes(name)) continue;
    console.log(`bench: ${name} …`);
    const t0 = Date.now();
    lines.push(`## ${section.title}`, '', `\`bench/${name}.ts\``, '');
    try {
      const mod = (await import(section.module)) as { run(): Promise<unknown> };
      const result = await mod.run();
      const body = section.render(result);
      lines.push(...body, '', `(took ${((Date.now() - t0) / 1000).toFixed(0)} s)`, '');
      console.log(body.join('\n'));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      lines.push(`Not measured: ${message}`, '');
      console.error(`bench: ${name} failed: ${message}`);
      process.exitCode = 1;
    }
  }
  const out = path.join(repoRoot(), 'bench', only.length > 0 ? 'results.partial.md' : 'results.md');
  writeFileSync(out, lines.join('\n'));
  console.log(`bench: wrote ${path.relative(process.cwd(), out)}`);
}

await main();
