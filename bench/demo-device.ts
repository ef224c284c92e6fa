/**
 * `roundtable demo` as a new user first runs it, on a real-time sound
 * device: a private PulseAudio null sink (bench/lib/pulse.ts) is the
 * speaker, the user says speech-c.wav, the two bots talk, for `durationS`.
 * From the demo's --stats: output underflows (each one a gap the listener
 * hears), the bots' jitter-buffer delay as the user's streams measured it,
 * and the loss the screen shows on this perfect loopback link.
 * Goals (issue 11): 0 underflows after the first second, jitter buffers
 * ≤ 30 ms, 0 % loss.
 *
 * Run: `npm run build && node dist/bench/demo-device.js [durationS]`, or `run()`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fixture, repoRoot } from './lib/paths.js';
import { startPulse } from './lib/pulse.js';

interface DemoStats {
  outputUnderflows?: number;
  outputUnderflowsAfterWarmup?: number;
  peers: Array<{ name: string; packetsReceived: number; packetsLost: number; meanJitterBufferMs: number; framesConcealed: number }>;
  mediaProcess?: { cpuUserMs: number; cpuSystemMs: number; uptimeMs: number };
}

export interface DemoDeviceResult {
  durationS: number;
  outputUnderflows: number | null;
  /** Those after the device's first second (the goal's figure). */
  outputUnderflowsAfterWarmup: number | null;
  peers: Array<{ name: string; packetsReceived: number; packetsLost: number; lossPercent: number; meanJitterBufferMs: number; framesConcealed: number }>;
  note?: string;
}

export async function run(durationS = 30): Promise<DemoDeviceResult> {
  const pulse = await startPulse();
  if ('skipped' in pulse) return { durationS, outputUnderflows: null, outputUnderflowsAfterWarmup: null, peers: [], note: `PulseAudio could not start: ${pulse.skipped}` };
  const dir = mkdtempSync(path.join(tmpdir(), 'rt-bench-demo-device-'));
  try {
    const statsFile = path.join(dir, 'stats.json');
    const child = spawn(
      process.execPath,
      [path.join(repoRoot(), 'bin', 'roundtable'), 'demo', '--headless', '--input', fixture('speech-c.wav'), '--duration', String(durationS), '--stats', statsFile],
      { cwd: dir, env: { ...process.env, ...pulse.env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    if (code !== 0) throw new Error(`demo exited with ${code}: ${stderr.slice(-800)}`);
    const s = JSON.parse(readFileSync(statsFile, 'utf8')) as DemoStats;
    return {
      durationS,
      outputUnderflows: s.outputUnderflows ?? null,
      outputUnderflowsAfterWarmup: s.outputUnderflowsAfterWarmup ?? null,
      peers: s.peers.map((p) => ({
        name: p.name,
        packetsReceived: p.packetsReceived,
        packetsLost: p.packetsLost,
        lossPercent: p.packetsReceived + p.packetsLost > 0 ? Math.round((10_000 * p.packetsLost) / (p.packetsReceived + p.packetsLost)) / 100 : 0,
        meanJitterBufferMs: Math.round(p.meanJitterBufferMs * 10) / 10,
        framesConcealed: p.framesConcealed,
      })),
    };
  } finally {
    await pulse.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const durationS = Number(process.argv[2] ?? 30);
  run(Number.isFinite(durationS) && durationS > 0 ? durationS : 30).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
