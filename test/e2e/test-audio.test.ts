/**
 * `roundtable test-audio` as a user runs it (the built binary):
 *  - with files, on speech + fan noise at 5 dB SNR (bench/lib/noisy-speech.ts):
 *    the result WAV holds the speech, the raw figures are the input file's,
 *    and the report's noise reduction is ≥ 15 dB with noise suppression and
 *    about 0 without;
 *  - on a real-time virtual sound card (PulseAudio, test/helpers/pulse.ts):
 *    speech played into the virtual microphone is recorded, then played back
 *    on the virtual speaker (captured from its monitor by the test);
 *  - a microphone or a speaker that cannot open ends it with exit 1 and a clear message.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bestPresence, concat, presenceOf } from '../../bench/lib/analysis.js';
import { mixAtSnr } from '../../bench/lib/noisy-speech.js';
import { DeviceSource } from '../../src/engine/audio/device.js';
import { measureSignal, type MicCheckReport } from '../../src/engine/audio/mic-check.js';
import { readWavMono48k, writeWav } from '../../src/engine/audio/wav-file.js';
import { playIntoMicrophone, usePulse } from '../helpers/pulse.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'roundtable');
const fixture = (name: string): string => path.join(ROOT, 'fixtures', name);

const requirePulse = usePulse();
const dir = mkdtempSync(path.join(tmpdir(), 'rt-test-audio-e2e-'));
const NOISY = path.join(dir, 'noisy.wav');
let clean: Int16Array;
let noisy: Int16Array;

beforeAll(async () => {
  clean = await readWavMono48k(fixture('speech-a.wav'));
  noisy = mixAtSnr(clean, await readWavMono48k(fixture('noise-fan.wav')), 5);
  await writeWav(NOISY, noisy);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the binary; `onStderr` sees stderr as it comes (progress goes there with --json). */
function testAudio(args: string[], env: Record<string, string> = {}, onStderr?: (text: string) => void): Promise<Run> {
  const proc = spawn(process.execPath, [BIN, 'test-audio', ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  proc.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    onStderr?.(stderr);
  });
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('roundtable test-audio with files', () => {
  it('noisy speech: the result holds the speech, suppression removes ≥ 15 dB of the fan; without it ≈ 0', async () => {
    const outOn = path.join(dir, 'on.wav');
    const outOff = path.join(dir, 'off.wav');
    // One after the other: both are paced in real time on a 2-core machine.
    const on = await testAudio(['--input', NOISY, '--output', outOn, '--json']);
    const off = await testAudio(['--input', NOISY, '--output', outOff, '--json', '--no-noise-suppression']);
    expect(on.code, on.stderr).toBe(0);
    expect(off.code, off.stderr).toBe(0);
    const reportOn = JSON.parse(on.stdout) as MicCheckReport & { playback: { file: string } };
    const reportOff = JSON.parse(off.stdout) as MicCheckReport;
    console.log('test-audio on the noisy fixture', JSON.stringify({ on: reportOn, off: reportOff }));

    // The raw figures are the input file's own (5 s, the whole file).
    const inputFile = measureSignal(noisy);
    expect(reportOn.input.noiseFloorDbfs).toBeCloseTo(inputFile.noiseFloorDbfs, 0);
    expect(reportOn.input.speechDbfs).toBeCloseTo(inputFile.speechDbfs, 0);
    expect(reportOn.input.noiseFloorDbfs).toBe(reportOff.input.noiseFloorDbfs);

    expect(reportOn.noiseSuppression).toBe('on');
    expect(reportOn.noiseReductionDb).toBeGreaterThanOrEqual(15);
    expect(reportOn.output.noiseFloorDbfs).toBeLessThanOrEqual(reportOn.input.noiseFloorDbfs - 15);
    expect(reportOn.advice.map((a) => a.kind)).toContain('noisy');
    expect(reportOn.playback.file).toBe(outOn);

    expect(reportOff.noiseSuppression).toBe('off');
    expect(Math.abs(reportOff.noiseReductionDb)).toBeLessThanOrEqual(3);
    expect(reportOff.advice.find((a) => a.kind === 'noisy')?.message).toMatch(/turn noise suppression on/i);

    // The result WAV really is the speech, cleaned or not.
    for (const out of [outOn, outOff]) {
      const written = await readWavMono48k(out);
      // 1 s probes: the loopback's jitter buffer may stretch playout under load (bench/lib/analysis.ts, bestPresence).
      expect(bestPresence(clean, written, { segmentMs: 1000 })).toBeGreaterThan(0.6);
    }
  }, 60_000);
});

describe('roundtable test-audio on a virtual sound card', () => {
  it('records speech played into the virtual microphone and plays it back on the virtual speaker', async (ctx) => {
    const pulse = requirePulse(ctx);
    const speech = await readWavMono48k(fixture('speech-b.wav'));
    // The virtual microphone is the null sink's monitor: play speech-b into the sink, looped, while it records.
    const player = await playIntoMicrophone(pulse, speech);
    // The speaker is the same sink: capture its monitor, keeping what arrives once playback has begun.
    const heard: Int16Array[] = [];
    let playbackBegan = false;
    const monitor = new DeviceSource({ frameMs: 20, env: pulse.env });
    await monitor.start((pcm) => {
      if (playbackBegan) heard.push(Int16Array.from(pcm));
    });
    let run: Run;
    try {
      run = await testAudio(['--duration', '7', '--json'], pulse.env, (stderr) => {
        if (!playbackBegan && stderr.includes('Playing it back')) {
          playbackBegan = true;
          void player.stop();
        }
      });
    } finally {
      await player.stop();
      await monitor.stop();
    }
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('Speak now… 7 s');
    const report = JSON.parse(run.stdout) as MicCheckReport & { playback: { device: string } };
    expect(report.playback.device).toBe('default');
    expect(report.input.durationMs).toBeGreaterThanOrEqual(6900);
    expect(report.advice.map((a) => a.kind)).not.toContain('no-signal');
    expect(report.input.speechDbfs).toBeGreaterThan(-30);
    // What the speaker played back is speech-b, through the send chain and Opus.
    const presence = bestPresence(speech, concat(heard), { segmentMs: 1000 });
    console.log('test-audio on the virtual sound card', JSON.stringify({ presence, input: report.input, output: report.output, advice: report.advice }));
    expect(presence).toBeGreaterThan(0.5);
  }, 90_000);

  it('a microphone that cannot open: exit 1 with a clear message', async (ctx) => {
    const pulse = requirePulse(ctx);
    const r = await testAudio(['--input-device', 'no-such-microphone', '--output', path.join(dir, 'none.wav')], pulse.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/roundtable: Audio input device not found: .*no-such-microphone/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 60_000);

  it('a speaker that cannot open: exit 1 with a clear message, after the recording', async (ctx) => {
    const pulse = requirePulse(ctx);
    const r = await testAudio(['--input', fixture('speech-a.wav'), '--duration', '1', '--output-device', 'no-such-speaker'], pulse.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Playing it back');
    expect(r.stderr).toMatch(/roundtable: Audio output device not found: .*no-such-speaker/);
  }, 60_000);
});
