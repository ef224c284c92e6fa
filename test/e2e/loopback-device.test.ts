/**
 * `roundtable loopback` with a real-time virtual sound card (a PulseAudio
 * null sink started by the test, docs/architecture.md §10), in both directions:
 *  - --input file, output to the default device: what the device plays
 *    (captured from the sink's monitor by the test) is the input speech;
 *  - input from the default device, --output file: speech the test plays
 *    into the sink comes out in the file.
 * Skipped with a message only where PulseAudio cannot start.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { presenceOf } from '../../bench/lib/analysis.js';
import { DeviceSource } from '../../src/engine/audio/device.js';
import { readWavMono48k } from '../../src/engine/audio/wav-file.js';
import { playIntoMicrophone, usePulse, type PulseHandle } from '../helpers/pulse.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'roundtable');
const SPEECH_A = path.join(ROOT, 'fixtures', 'speech-a.wav');
const SPEECH_B = path.join(ROOT, 'fixtures', 'speech-b.wav');

const requirePulse = usePulse();
const dir = mkdtempSync(path.join(tmpdir(), 'rt-loopback-device-'));

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
});

function runLoopback(pulse: PulseHandle, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [BIN, 'loopback', ...args], { cwd: dir, env: { ...process.env, ...pulse.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('roundtable loopback on a virtual sound card', () => {
  it('plays the input file on the default output device', async (ctx) => {
    const pulse = requirePulse(ctx);
    // Capture what the device plays from the null sink's monitor (the default source).
    const captured: Int16Array[] = [];
    const monitor = new DeviceSource({ frameMs: 20, env: pulse.env });
    await monitor.start((pcm) => captured.push(Int16Array.from(pcm)));
    try {
      const r = await runLoopback(pulse, ['--input', SPEECH_A, '--duration', '6']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/receive\s+\d+ packets, lost 0/);
    } finally {
      await monitor.stop();
    }
    const heard = new Int16Array(captured.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of captured) {
      heard.set(c, at);
      at += c.length;
    }
    expect(presenceOf(await readWavMono48k(SPEECH_A), heard).value).toBeGreaterThan(0.5);
  }, 60_000);

  it('captures from the default input device into the output file', async (ctx) => {
    const pulse = requirePulse(ctx);
    const out = path.join(dir, 'from-device.wav');
    const speech = await readWavMono48k(SPEECH_B);
    // Play speech-b, looped, into the null sink while the loopback runs; its
    // monitor is the default input. 12 s of capture holds at least one whole
    // 5 s loop whatever the process's start-up time.
    const player = await playIntoMicrophone(pulse, speech);
    let r: Awaited<ReturnType<typeof runLoopback>>;
    try {
      r = await runLoopback(pulse, ['--output', out, '--duration', '12']);
    } finally {
      await player.stop();
    }
    expect(r.code, r.stderr).toBe(0);
    expect(presenceOf(speech, await readWavMono48k(out)).value).toBeGreaterThan(0.5);
  }, 60_000);
});
