/**
 * Echo cancellation between two real processes ("Voice processing" issue):
 * B plays through a speaker that leaks into its own microphone
 * (bench/lib/echo-room.ts on a private PulseAudio: 80 ms, −6 dB, two later
 * reflections), A uses files. A talks the whole call; B talks for 10 s,
 * starting 9 s after both are connected, so A and B talk at once there.
 * Measured in what A heard:
 *   - A's own voice coming back, relative to A's speech level, while B is
 *     silent: before B talks (5–9 s after connecting) and after (3 s);
 *   - B's 500 ms windows found (correlation ≥ 0.5) during the double talk;
 * with B's echo cancellation off and on (the product's defaults otherwise:
 * noise suppression and gain control on), and B's own echo-report figures
 * (round trip found, pairing changes, energy removed).
 * Run: `npx tsx bench/echo-feedback.ts`, or from bench/run.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { activeRmsLevel } from '../src/engine/audio/level.js';
import { readWavMono48k, writeWav } from '../src/engine/audio/wav-file.js';
import { speexDspAvailability } from '../src/engine/dsp/speexdsp.js';
import { generateJoinCode } from '../src/protocol/index.js';
import { startSignalingServer } from '../src/server/index.js';
import { concat, fmt, presenceOf, rmsOf } from './lib/analysis.js';
import { atMs, nearWindowsFound } from './lib/echo-path.js';
import { startEchoRoom } from './lib/echo-room.js';
import { fixture } from './lib/paths.js';
import { startPulse, type PulseHandle } from './lib/pulse.js';
import { spawnJoin, type JoinProcess } from './p2p-latency.js';

export interface EchoCall {
  echoCancellation: boolean;
  /** A's voice back in A's ears, dB relative to A's speech, B silent: before B talks / after. */
  echoBeforeDb: number;
  echoAfterDb: number;
  /** B's windows found during the double talk (echo cancellation on only). */
  bWindows: { found: number; total: number } | null;
  /** B's echo stage at the end of the call (echo cancellation on only). */
  report: Record<string, unknown> | null;
}

export interface EchoFeedbackResult {
  skipped?: string;
  calls: EchoCall[];
}

const CALL_S = 34;
const B_STARTS_AFTER_CONNECT_MS = 9000;

async function oneCall(pulse: PulseHandle, dir: string, serverUrl: string, aInput: string, aVoice: Int16Array, bVoice: Int16Array, echoCancellation: boolean, tag: string): Promise<EchoCall> {
  const room = await startEchoRoom(pulse);
  const config = path.join(dir, 'echo.yaml');
  writeFileSync(config, 'ice:\n  servers: []\ncues:\n  enabled: false\n');
  const code = generateJoinCode();
  const output = path.join(dir, `a-heard-${tag}.wav`);
  const procs: JoinProcess[] = [];
  try {
    const a = spawnJoin(code, serverUrl, config, ['--name', 'a', '--no-control', '--input', aInput, '--loop', '--output', output, '--duration', String(CALL_S)]);
    procs.push(a);
    const bFlags = ['--name', 'b', '--no-control', '--duration', String(CALL_S), ...(echoCancellation ? [] : ['--no-echo-cancellation'])];
    const b = spawnJoin(code, serverUrl, config, bFlags, [], room.env);
    procs.push(b);
    await Promise.all([a, b].map((p) => p.waitFor((l) => l.event === 'peer-connected', 20_000, 'peer-connected')));
    await new Promise((r) => setTimeout(r, B_STARTS_AFTER_CONNECT_MS));
    await room.talk(bVoice);
    const codes = await Promise.all(procs.map((p) => p.exited));
    if (codes.some((c) => c !== 0)) throw new Error(`a join exited with ${codes.join(', ')}`);
    const out = await readWavMono48k(output);
    const bStartMs = presenceOf(bVoice, out, { fromMs: 500, segmentMs: 3000 }).lagMs;
    const aLevel = activeRmsLevel(aVoice);
    const back = (fromMs: number, toMs: number): number => 20 * Math.log10(Math.max(rmsOf(out, atMs(fromMs), atMs(toMs)), 1e-6) / aLevel);
    const report = b.lines.find((l) => l.event === 'echo-report') ?? null;
    return {
      echoCancellation,
      echoBeforeDb: back(bStartMs - 4000, bStartMs - 300),
      echoAfterDb: back(bStartMs + 10_500, bStartMs + 13_000),
      bWindows: echoCancellation ? nearWindowsFound(bVoice, out.subarray(atMs(bStartMs)), 0, 9500) : null,
      report,
    };
  } finally {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    await room.close();
  }
}

export async function run(calls = 2): Promise<EchoFeedbackResult> {
  const speex = speexDspAvailability();
  if (!speex.available) return { skipped: speex.reason, calls: [] };
  const pulse = await startPulse();
  if ('skipped' in pulse) return { skipped: pulse.skipped, calls: [] };
  const dir = mkdtempSync(path.join(tmpdir(), 'rt-echo-feedback-'));
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  try {
    const aVoice = concat([await readWavMono48k(fixture('speech-a.wav')), await readWavMono48k(fixture('speech-c.wav'))]);
    const bVoice = concat([await readWavMono48k(fixture('speech-b.wav')), await readWavMono48k(fixture('speech-b.wav'))]);
    const aInput = path.join(dir, 'a-talks.wav');
    await writeWav(aInput, aVoice);
    const results: EchoCall[] = [];
    for (let i = 0; i < calls; i++) {
      for (const on of [false, true]) results.push(await oneCall(pulse, dir, `ws://127.0.0.1:${server.port}`, aInput, aVoice, bVoice, on, `${i}-${on ? 'on' : 'off'}`));
    }
    return { calls: results };
  } finally {
    await server.close();
    await pulse.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}


export function render(r: EchoFeedbackResult): string[] {
  if (r.skipped !== undefined) return [`Skipped: ${r.skipped}.`];
  return [
    "Two `join` processes; B's speaker leaks into B's microphone through PulseAudio (80 ms −6 dB, reflections at 95 ms −16 dB and 115 ms −22 dB; bench/lib/echo-room.ts). " +
      'A talks throughout; B talks 10 s starting 9 s after connecting. Goal: A\'s voice back ≥ 25 dB down, B found in ≥ 0.8 of its windows during double talk.',
    '',
    '| B\'s echo cancellation | A\'s voice back, before B talks | after B talked | B windows found (double talk) | B: round trip found / pairing changes / energy removed while A plays |',
    '|---|---|---|---|---|',
    ...r.calls.map(
      (c) =>
        `| ${c.echoCancellation ? 'on' : 'off'} | ${fmt(c.echoBeforeDb)} dB | ${fmt(c.echoAfterDb)} dB | ${c.bWindows ? `${c.bWindows.found} of ${c.bWindows.total}` : '—'} | ` +
        (c.report ? `${String(c.report.roundTripMs)} ms / ${String(c.report.pairingChanges)} / ${fmt(c.report.reductionDb as number)} dB` : '—') +
        ' |',
    ),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await run(Number(process.argv[2] ?? 2));
  console.log(render(result).join('\n'));
}
