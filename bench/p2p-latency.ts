/**
 * Mouth-to-ear latency between two real `roundtable join` processes over a
 * clean loopback link (node-datachannel on 127.0.0.1, in-process signaling
 * server), at 20 ms frames.
 *
 * The talker's microphone is a click-train WAV; the listener writes what it
 * plays to a WAV. Both write --stats with the monotonic anchors of their
 * first input sample and first output sample (process.hrtime.bigint(),
 * machine-wide on Linux, docs/architecture.md §8), so each click's latency is
 *   (listener.firstOutputNs + outputOnset/48 kHz) − (talker.firstInputNs + inputOnset/48 kHz).
 * Floor at 20 ms frames: 20 ms frame + 6.5 ms Opus lookahead = 26.5 ms
 * (22.5 ms with --low-delay's 2.5 ms).
 *
 * With --tui-busy the same number of calls has the talker in the terminal UI
 * (tmux) while keys are pressed 40 times a second, interleaved with the
 * headless calls: the UI must not delay the audio. With --low-delay every
 * mode runs again with the talker in Opus's low-delay mode.
 *
 * Run: `npm run build && node dist/bench/p2p-latency.js [runs] [--tui-busy] [--low-delay]`, or `run()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readWavMono48k, writeWav } from '../src/engine/audio/wav-file.js';
import { opusLookaheadMs } from '../src/engine/codec/types.js';
import { generateJoinCode } from '../src/protocol/index.js';
import { startSignalingServer } from '../src/server/index.js';
import { detectOnsets, makeClickTrain, matchOnsets, median, percentile } from './lib/analysis.js';
import { repoRoot } from './lib/paths.js';
import { startInTmux, tmuxAvailable } from './lib/tmux.js';

/** One `roundtable` child process logging JSON lines. */
export interface JoinProcess {
  readonly proc: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
  waitFor(pred: (l: Record<string, unknown>) => boolean, timeoutMs: number, what?: string): Promise<Record<string, unknown>>;
}

/** Spawn `roundtable join CODE ... --headless --json --bind-address 127.0.0.1` (compiled CLI in dist/). */
export function spawnJoin(code: string, serverUrl: string, config: string, extra: string[], prefix: readonly string[] = [], env: Readonly<Record<string, string>> = {}, bindAddress = '127.0.0.1', nodeArgs: readonly string[] = []): JoinProcess {
  return spawnRoundtable(['join', code, '--server', serverUrl, '--config', config, '--headless', '--json', '--bind-address', bindAddress, ...extra], prefix, env, nodeArgs);
}

/**
 * Spawn `roundtable ARGS` logging JSON lines; `prefix` runs it through e.g.
 * `ip netns exec NS` (which execs in place); `env` is merged over ours (e.g.
 * a PulseAudio room's devices); `nodeArgs` go to Node itself (`--cpu-prof`,
 * which its media and device processes then take too).
 */
export function spawnRoundtable(args: readonly string[], prefix: readonly string[] = [], env: Readonly<Record<string, string>> = {}, nodeArgs: readonly string[] = []): JoinProcess {
  const bin = path.join(repoRoot(), 'bin', 'roundtable');
  const argv = [...prefix, process.execPath, ...nodeArgs, bin, ...args];
  const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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
    waitFor(pred, timeoutMs, what = 'a log line') {
      const hit = lines.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last lines: ${JSON.stringify(lines.slice(-4))}; stderr: ${stderr.slice(-500)}`)), timeoutMs);
        waiters.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      });
    },
  };
}

/**
 * A config without STUN or cues, so nothing leaves the machine and outputs
 * are clean, and without noise suppression: click trains are not speech
 * (RNNoise and its voice hold would remove them), and these benchmarks
 * measure the path, not the suppressor (its 20 ms and its CPU are in
 * bench/noise-suppression.ts). `--noise-suppression` on a command line
 * turns it back on for one process.
 */
export function loopbackConfig(dir: string): string {
  const file = path.join(dir, 'bench.yaml');
  writeFileSync(file, 'ice:\n  servers: []\ncues:\n  enabled: false\naudio:\n  noiseSuppression: false\n');
  return file;
}


interface Stats {
  anchors: { firstInputNs: string | null; firstOutputNs: string | null };
  /** How late each capture tick ran in the talker's media process. */
  captureLatenessMs?: { p50Ms: number; p99Ms: number; maxMs: number };
  peers: Array<{ connectMs: number | null }>;
}

export interface P2pLatencyResult {
  talker: TalkerMode;
  frameMs: number;
  runs: number;
  clicks: number;
  missed: number;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  perRunMedianMs: number[];
  floorMs: number;
  /** p99 of the talker's capture lateness, one per call. */
  talkerCaptureLatenessP99Ms: number[];
}

/**
 * How the talker runs: --headless, or with the terminal UI in tmux while a
 * person presses keys 40 times a second; either with Opus's low-delay mode
 * (`--low-delay`, 4 ms less lookahead: codec/types.ts OPUS_LOOKAHEAD_MS).
 */
export type TalkerMode = 'headless' | 'tui-busy' | 'headless-low-delay' | 'tui-busy-low-delay';

const isBusy = (mode: TalkerMode): boolean => mode.startsWith('tui-busy');
const isLowDelay = (mode: TalkerMode): boolean => mode.endsWith('low-delay');

/** Keys a person presses during a call (none mutes, leaves or changes what is sent): 4 per send, every 100 ms. */
const BUSY_KEYS: ReadonlyArray<readonly string[]> = [
  ['s', 'Down', 'Right', '?'],
  ['?', 'Up', 'Left', 's'],
];

interface Fixture {
  dir: string;
  serverUrl: string;
  config: string;
  clickFile: string;
  silenceFile: string;
  train: ReturnType<typeof makeClickTrain>;
  frameMs: number;
}

/** One call: a listener (headless, records) and a talker (clicks); the clicks' delays in ms and how many were missed. */
async function oneCall(f: Fixture, r: number, mode: TalkerMode): Promise<{ delays: number[]; missed: number; captureP99Ms: number | null }> {
  const code = generateJoinCode();
  const out = path.join(f.dir, `heard-${mode}-${r}.wav`);
  const listenerStats = path.join(f.dir, `listener-${mode}-${r}.json`);
  const talkerStats = path.join(f.dir, `talker-${mode}-${r}.json`);
  const common = ['--frame-ms', String(f.frameMs)];
  const listener = spawnJoin(code, f.serverUrl, f.config, [...common, '--name', 'listener', '--input', f.silenceFile, '--loop', '--output', out, '--stats', listenerStats, '--duration', '9']);
  await listener.waitFor((l) => l.event === 'joined', 10_000);
  const talkerArgs = [...common, ...(isLowDelay(mode) ? ['--low-delay'] : []), '--name', 'talker', '--input', f.clickFile, '--output', path.join(f.dir, `talker-out-${mode}-${r}.wav`), '--stats', talkerStats, '--duration', '7'];
  if (!isBusy(mode)) {
    const talker = spawnJoin(code, f.serverUrl, f.config, talkerArgs);
    await Promise.all([listener.exited, talker.exited]);
  } else {
    const tmuxDir = path.join(f.dir, `tmux-${mode}-${r}`);
    mkdirSync(tmuxDir);
    const bin = path.join(repoRoot(), 'bin', 'roundtable');
    const tmux = startInTmux(tmuxDir, [process.execPath, bin, 'join', code, '--server', f.serverUrl, '--config', f.config, '--bind-address', '127.0.0.1', ...talkerArgs]);
    try {
      for (let i = 0; !tmux.exited() && i < 120; i++) {
        tmux.sendKeys(BUSY_KEYS[i % BUSY_KEYS.length]!);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const exitCode = await tmux.waitForExit(20_000);
      if (exitCode !== 0) throw new Error(`talker in tmux exited with ${exitCode}`);
    } finally {
      tmux.kill();
    }
    await listener.exited;
  }
  const ls = JSON.parse(readFileSync(listenerStats, 'utf8')) as Stats;
  const ts = JSON.parse(readFileSync(talkerStats, 'utf8')) as Stats;
  if (ls.anchors.firstOutputNs === null || ts.anchors.firstInputNs === null) throw new Error('missing anchors in --stats');
  const offsetNs = BigInt(ls.anchors.firstOutputNs) - BigInt(ts.anchors.firstInputNs);
  const offsetSamples = (Number(offsetNs) / 1e9) * 48_000;
  const heard = await readWavMono48k(out);
  const delays = matchOnsets(f.train.onsets, detectOnsets(heard, { threshold: 0.1 }), { offsetSamples, windowMs: 300 });
  return { delays, missed: f.train.onsets.length - delays.length, captureP99Ms: ts.captureLatenessMs?.p99Ms ?? null };
}

/**
 * `runs` calls per talker mode, the modes interleaved (headless, busy,
 * headless, ...) so that both meet the same machine load.
 */
export async function run(runs = 3, frameMs: 10 | 20 | 40 = 20, modes: readonly TalkerMode[] = ['headless']): Promise<P2pLatencyResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rt-bench-p2p-'));
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  // Clicks start after 1.5 s so the link is up; 250 ms apart keeps the voice gate open.
  const train = makeClickTrain({ durationMs: 6500, intervalMs: 250, leadMs: 1500 });
  const f: Fixture = {
    dir,
    serverUrl: server.url,
    config: loopbackConfig(dir),
    clickFile: path.join(dir, 'clicks.wav'),
    silenceFile: path.join(dir, 'silence.wav'),
    train,
    frameMs,
  };
  await writeWav(f.clickFile, train.samples);
  await writeWav(f.silenceFile, new Int16Array(48_000));
  const usable = modes.filter((m) => !isBusy(m) || tmuxAvailable());
  const acc = new Map(usable.map((m) => [m, { all: [] as number[], perRun: [] as number[], missed: 0, captureP99: [] as number[] }]));
  try {
    for (let r = 0; r < runs; r++) {
      for (const mode of usable) {
        const { delays, missed, captureP99Ms } = await oneCall(f, r, mode);
        const a = acc.get(mode)!;
        if (captureP99Ms !== null) a.captureP99.push(captureP99Ms);
        a.all.push(...delays);
        a.perRun.push(round(median(delays)));
        a.missed += missed;
      }
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return usable.map((mode) => {
    const a = acc.get(mode)!;
    return {
      talker: mode,
      frameMs,
      runs,
      clicks: a.all.length,
      missed: a.missed,
      medianMs: round(median(a.all)),
      p10Ms: round(percentile(a.all, 10)),
      p90Ms: round(percentile(a.all, 90)),
      perRunMedianMs: a.perRun,
      floorMs: frameMs + opusLookaheadMs(isLowDelay(mode)),
      talkerCaptureLatenessP99Ms: a.captureP99,
    };
  });
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const runs = Number(process.argv[2] ?? 3);
  const plain: TalkerMode[] = process.argv.includes('--tui-busy') ? ['headless', 'tui-busy'] : ['headless'];
  const modes: TalkerMode[] = process.argv.includes('--low-delay') ? [...plain, ...plain.map((m) => `${m}-low-delay` as TalkerMode)] : plain;
  run(Number.isInteger(runs) && runs > 0 ? runs : 3, 20, modes)
    .then((results) => {
      for (const r of results) {
        console.log(`p2p mouth-to-ear latency, talker ${r.talker}, two processes on loopback, ${r.frameMs} ms frames (${r.runs} runs, ${r.clicks} clicks)`);
        for (const [k, v] of Object.entries(r)) console.log(`  ${k.padEnd(16)} ${Array.isArray(v) ? v.join(', ') : v}`);
      }
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
