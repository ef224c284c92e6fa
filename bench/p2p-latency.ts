/**
 * Mouth-to-ear latency between two real `roundtable join` processes over a
 * clean loopback link (node-datachannel on 127.0.0.1, in-process signaling
 * server), at 20 ms frames.
 *
 * The talker's microphone is a click-train WAV; the listener writes what it
 * plays to a WAV. Both write --stats with the monotonic anchors of their
 * first input sample and first output sample (process.hrtime.bigint(),
 * machine-wide on Linux, DESIGN.md §6), so each click's latency is
 *   (listener.firstOutputNs + outputOnset/48 kHz) − (talker.firstInputNs + inputOnset/48 kHz).
 * Floor at 20 ms frames: 20 ms frame + 6.5 ms Opus lookahead = 26.5 ms.
 *
 * Run: `npm run build && node dist/bench/p2p-latency.js [runs]`, or `run()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readWavMono48k, writeWav } from '../src/engine/audio/wav-file.js';
import { generateJoinCode } from '../src/protocol/index.js';
import { startSignalingServer } from '../src/server/index.js';
import { detectOnsets, makeClickTrain, matchOnsets, median, percentile } from './lib/analysis.js';
import { repoRoot } from './lib/paths.js';

/** One `roundtable` child process logging JSON lines. */
export interface JoinProcess {
  readonly proc: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
  waitFor(pred: (l: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
}

/** Spawn `roundtable join CODE ... --headless --json --bind-address 127.0.0.1` (compiled CLI in dist/). */
export function spawnJoin(code: string, serverUrl: string, config: string, extra: string[]): JoinProcess {
  const bin = path.join(repoRoot(), 'bin', 'roundtable');
  const proc = spawn(
    process.execPath,
    [bin, 'join', code, '--server', serverUrl, '--config', config, '--headless', '--json', '--bind-address', '127.0.0.1', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  let partial = '';
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const text of parts) {
      if (!text.startsWith('{')) continue;
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        for (const w of [...waiters]) if (w.pred(line)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(line));
      } catch {
        /* not a log line */
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  return {
    proc,
    lines,
    exited,
    waitFor(pred, timeoutMs) {
      const hit = lines.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; stderr: ${stderr.slice(-500)}`)), timeoutMs);
        waiters.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      });
    },
  };
}

/** A config without STUN or cues, so nothing leaves the machine and outputs are clean. */
export function loopbackConfig(dir: string): string {
  const file = path.join(dir, 'bench.yaml');
  writeFileSync(file, 'ice:\n  servers: []\ncues:\n  enabled: false\n');
  return file;
}


interface Stats {
  anchors: { firstInputNs: string | null; firstOutputNs: string | null };
  peers: Array<{ connectMs: number | null }>;
}

export interface P2pLatencyResult {
  frameMs: number;
  runs: number;
  clicks: number;
  missed: number;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  perRunMedianMs: number[];
  floorMs: number;
}

export async function run(runs = 3, frameMs: 10 | 20 | 40 = 20): Promise<P2pLatencyResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rt-bench-p2p-'));
  const config = loopbackConfig(dir);
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  const clickFile = path.join(dir, 'clicks.wav');
  const silenceFile = path.join(dir, 'silence.wav');
  // Clicks start after 1.5 s so the link is up; 250 ms apart keeps the voice gate open.
  const train = makeClickTrain({ durationMs: 6500, intervalMs: 250, leadMs: 1500 });
  await writeWav(clickFile, train.samples);
  await writeWav(silenceFile, new Int16Array(48_000));
  const all: number[] = [];
  const perRun: number[] = [];
  let missed = 0;
  try {
    for (let r = 0; r < runs; r++) {
      const code = generateJoinCode();
      const out = path.join(dir, `heard-${r}.wav`);
      const listenerStats = path.join(dir, `listener-${r}.json`);
      const talkerStats = path.join(dir, `talker-${r}.json`);
      const common = ['--frame-ms', String(frameMs)];
      const listener = spawnJoin(code, server.url, config, [...common, '--name', 'listener', '--input', silenceFile, '--loop', '--output', out, '--stats', listenerStats, '--duration', '9']);
      await listener.waitFor((l) => l.event === 'joined', 10_000);
      const talker = spawnJoin(code, server.url, config, [...common, '--name', 'talker', '--input', clickFile, '--output', path.join(dir, `talker-out-${r}.wav`), '--stats', talkerStats, '--duration', '7']);
      await Promise.all([listener.exited, talker.exited]);
      const ls = JSON.parse(readFileSync(listenerStats, 'utf8')) as Stats;
      const ts = JSON.parse(readFileSync(talkerStats, 'utf8')) as Stats;
      if (ls.anchors.firstOutputNs === null || ts.anchors.firstInputNs === null) throw new Error('missing anchors in --stats');
      const offsetNs = BigInt(ls.anchors.firstOutputNs) - BigInt(ts.anchors.firstInputNs);
      const offsetSamples = Number(offsetNs) / 1e9 * 48_000;
      const heard = await readWavMono48k(out);
      const delays = matchOnsets(train.onsets, detectOnsets(heard, { threshold: 0.1 }), { offsetSamples, windowMs: 300 });
      missed += train.onsets.length - delays.length;
      all.push(...delays);
      perRun.push(round(median(delays)));
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    frameMs,
    runs,
    clicks: all.length,
    missed,
    medianMs: round(median(all)),
    p10Ms: round(percentile(all, 10)),
    p90Ms: round(percentile(all, 90)),
    perRunMedianMs: perRun,
    floorMs: frameMs + 6.5,
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const runs = Number(process.argv[2] ?? 3);
  run(Number.isInteger(runs) && runs > 0 ? runs : 3)
    .then((r) => {
      console.log(`p2p mouth-to-ear latency, two processes on loopback, ${r.frameMs} ms frames (${r.runs} runs, ${r.clicks} clicks)`);
      for (const [k, v] of Object.entries(r)) console.log(`  ${k.padEnd(16)} ${Array.isArray(v) ? v.join(', ') : v}`);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
