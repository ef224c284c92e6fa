/**
 * Does drawing the terminal UI stall the audio? The same `roundtable demo`
 * (embedded server, two talking bots, you sending speech-c.wav) runs twice
 * for `durationS`: once with the Ink TUI in a real terminal (tmux, 100×30,
 * statistics panel open so the most is drawn) and once --headless. Each
 * run writes --stats, which records (src/cli/demo/send-timing.ts):
 *
 * - send interval: wall time between two consecutive audio frames handed to
 *   a peer's link (pairs one frame apart in RTP time only, so voice-gate
 *   pauses are not counted). Ideal: exactly frameMs (20 ms). A render that
 *   blocks the event loop shows up as a long interval followed by short ones.
 * - capture lateness: how long after its due time each 20 ms capture tick ran.
 * - RSS of the demo process, sampled once a second in the call (the bots
 *   and the server run in the same process, in both modes: the difference
 *   between the modes is the TUI's).
 *
 * Run: `npm run build && node dist/bench/tui-pacing.js [durationS]`, or `run()`.
 * Needs tmux for the TUI half (skipped with a note without it).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fixture, repoRoot } from './lib/paths.js';
import { cleanEnv, startInTmux, tmuxAvailable } from './lib/tmux.js';

interface Summary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface PacingRun {
  mode: 'tui' | 'headless';
  sendIntervalMs: Summary;
  captureLatenessMs: Summary;
  rssMiB: number;
  maxRssMiB: number;
  /** Control process: UI, signaling, the demo's rooms and server. */
  cpuPercentOfOneCore: number;
  /** The user's media process. */
  mediaCpuPercentOfOneCore: number | null;
}

export interface TuiPacingResult {
  durationS: number;
  frameMs: number;
  runs: PacingRun[];
  /** Set when the TUI half could not run. */
  note?: string;
}

interface StatsFile {
  frameMs: number;
  sendIntervalMs: Summary;
  captureLatenessMs: Summary;
  process: { inCallRssMaxBytes: number; maxRssBytes: number; cpuUserMs: number; cpuSystemMs: number; uptimeMs: number };
  /** The user's media process (capture, encode, send, receive, mix, playback). */
  mediaProcess?: { maxRssBytes: number; cpuUserMs: number; cpuSystemMs: number; uptimeMs: number };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

function demoArgs(dir: string, durationS: number): string[] {
  return [
    path.join(repoRoot(), 'bin', 'roundtable'),
    'demo',
    '--input',
    fixture('speech-c.wav'),
    '--output',
    path.join(dir, 'heard.wav'),
    '--duration',
    String(durationS),
    '--stats',
    path.join(dir, 'stats.json'),
  ];
}

async function runTui(dir: string, durationS: number): Promise<StatsFile> {
  const tmux = startInTmux(dir, [process.execPath, ...demoArgs(dir, durationS)]);
  try {
    // Open the statistics panel once the call is up: the most the UI ever draws.
    await sleep(3000);
    tmux.sendKeys(['s']);
    const code = await tmux.waitForExit((durationS + 30) * 1000);
    if (code !== 0) throw new Error(`demo in tmux exited with ${code}`);
    return JSON.parse(readFileSync(path.join(dir, 'stats.json'), 'utf8')) as StatsFile;
  } finally {
    tmux.kill();
  }
}

async function runHeadless(dir: string, durationS: number): Promise<StatsFile> {
  const home = path.join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const child = spawn(process.execPath, [...demoArgs(dir, durationS), '--headless'], { cwd: dir, env: cleanEnv(home), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  if (code !== 0) throw new Error(`headless demo exited with ${code}: ${stderr.slice(-1000)}`);
  return JSON.parse(readFileSync(path.join(dir, 'stats.json'), 'utf8')) as StatsFile;
}

function toRun(mode: PacingRun['mode'], s: StatsFile): PacingRun {
  const p = s.process;
  return {
    mode,
    sendIntervalMs: s.sendIntervalMs,
    captureLatenessMs: s.captureLatenessMs,
    rssMiB: Math.round((p.inCallRssMaxBytes / MiB) * 10) / 10,
    maxRssMiB: Math.round((p.maxRssBytes / MiB) * 10) / 10,
    cpuPercentOfOneCore: Math.round(((p.cpuUserMs + p.cpuSystemMs) / p.uptimeMs) * 1000) / 10,
    mediaCpuPercentOfOneCore: s.mediaProcess ? Math.round(((s.mediaProcess.cpuUserMs + s.mediaProcess.cpuSystemMs) / s.mediaProcess.uptimeMs) * 1000) / 10 : null,
  };
}

export async function run(durationS = 15): Promise<TuiPacingResult> {
  const root = mkdtempSync(path.join(tmpdir(), 'rt-bench-tui-'));
  const runs: PacingRun[] = [];
  let frameMs = 20;
  let note: string | undefined;
  try {
    if (tmuxAvailable()) {
      const dir = path.join(root, 'tui');
      mkdirSync(dir);
      const s = await runTui(dir, durationS);
      frameMs = s.frameMs;
      runs.push(toRun('tui', s));
    } else {
      note = 'tmux is not installed: TUI run skipped';
    }
    const dir = path.join(root, 'headless');
    mkdirSync(dir);
    const s = await runHeadless(dir, durationS);
    frameMs = s.frameMs;
    runs.push(toRun('headless', s));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return { durationS, frameMs, runs, ...(note !== undefined ? { note } : {}) };
}

function print(r: TuiPacingResult): void {
  console.log(`TUI pacing: roundtable demo (2 bots + you sending speech), ${r.durationS} s per mode, ${r.frameMs} ms frames`);
  if (r.note) console.log(`note: ${r.note}`);
  console.log('mode      | send interval ms: n    p50    p99    max | capture lateness ms: p50   p99   max | RSS MiB (in call, max) | CPU % of a core (control, media)');
  for (const x of r.runs) {
    const si = x.sendIntervalMs;
    const cl = x.captureLatenessMs;
    console.log(
      `${x.mode.padEnd(9)} | ${String(si.count).padStart(20)} ${si.p50Ms.toFixed(2).padStart(6)} ${si.p99Ms.toFixed(2).padStart(6)} ${si.maxMs.toFixed(2).padStart(6)}` +
        ` | ${cl.p50Ms.toFixed(2).padStart(25)} ${cl.p99Ms.toFixed(2).padStart(5)} ${cl.maxMs.toFixed(2).padStart(5)}` +
        ` | ${`${x.rssMiB} (${x.maxRssMiB})`.padStart(22)} | ${x.cpuPercentOfOneCore}, ${x.mediaCpuPercentOfOneCore ?? 'n/a'}`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const durationS = Number(process.argv[2] ?? 15);
  run(Number.isFinite(durationS) && durationS > 0 ? durationS : 15).then(
    (r) => print(r),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
