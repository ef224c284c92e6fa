/**
 * Real sound devices through a private PulseAudio null sink (test/helpers/pulse.ts):
 * what DeviceSink plays, DeviceSource captures from the sink's monitor.
 * Skipped only where PulseAudio cannot start.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioDeviceError, DeviceSink, DeviceSource, listDevices } from '../../../src/engine/audio/device.js';
import { rmsLevel } from '../../../src/engine/audio/level.js';
import { usePulse } from '../../helpers/pulse.js';
import { concat } from '../../../bench/lib/analysis.js';

const requirePulse = usePulse();
const scratch = mkdtempSync(join(tmpdir(), 'rt-device-test-'));

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
});

/** Power of one frequency by the Goertzel algorithm, normalised so a full-scale sine gives ~0.25·n². */
function goertzelPower(pcm: Int16Array, freqHz: number, sampleRate = 48_000): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freqHz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < pcm.length; i++) {
    const s0 = pcm[i]! / 32768 + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/** Fraction of the signal's energy that sits at `freqHz` (1 for a pure tone there). */
function toneEnergyFraction(pcm: Int16Array, freqHz: number): number {
  let energy = 0;
  for (let i = 0; i < pcm.length; i++) energy += (pcm[i]! / 32768) ** 2;
  if (energy === 0) return 0;
  // For a sinusoid, |X(f)|² = (A·n/2)² and the energy is A²·n/2, so 2·|X|²/(n·E) = 1.
  return (2 * goertzelPower(pcm, freqHz)) / (pcm.length * energy);
}

describe('audio devices under PulseAudio', () => {
  it('listDevices() shows the default (pulse) device for input and output', async (ctx) => {
    const pulse = requirePulse(ctx);
    const devices = await listDevices({ env: pulse.env });
    const def = devices.find((d) => d.isDefaultInput && d.isDefaultOutput);
    expect(def).toBeDefined();
    expect(def!.name).toBe('default');
    expect(def!.maxInputChannels).toBeGreaterThan(0);
    expect(def!.maxOutputChannels).toBeGreaterThan(0);
  });

  it('plays a 1 kHz tone and captures it back at real-time pace', async (ctx) => {
    const pulse = requirePulse(ctx);
    const frameMs = 20;
    let phase = 0;
    const sink = new DeviceSink({ frameMs, env: pulse.env });
    const sinkStartMs = performance.now();
    await sink.start(() => {
      const frame = new Int16Array(960);
      for (let i = 0; i < frame.length; i++) {
        frame[i] = Math.round(16384 * Math.sin(phase));
        phase += (2 * Math.PI * 1000) / 48_000;
      }
      return frame;
    });
    const sinkOpenMs = performance.now();
    const captured: Int16Array[] = [];
    const arrivalsMs: number[] = [];
    const captureNs: bigint[] = [];
    const source = new DeviceSource({ frameMs, env: pulse.env });
    const sourceStartMs = performance.now();
    await source.start((pcm, t) => {
      expect(pcm.length).toBe(960);
      captured.push(pcm.slice());
      arrivalsMs.push(performance.now());
      captureNs.push(t);
    });
    await new Promise((r) => setTimeout(r, 500));
    // Steady-state pull pace, measured after start-up.
    const pulledAtMark = sink.frameCount;
    const markMs = performance.now();
    await new Promise((r) => setTimeout(r, 2500));
    const pulledInWindow = sink.frameCount - pulledAtMark;
    const windowMs = performance.now() - markMs;
    await source.stop();
    await sink.stop();
    const afterStop = captured.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(captured.length).toBe(afterStop); // nothing after stop()

    // Pace: skip start-up, then frames must arrive at one per 20 ms (±10 %).
    const firstFrameMs = (arrivalsMs[0] ?? Number.NaN) - sourceStartMs;
    const from = 10;
    const n = captured.length - 1 - from;
    const arrivalRate = (n * frameMs) / (arrivalsMs.at(-1)! - arrivalsMs[from]!);
    const stampRate = (n * frameMs * 1e6) / Number(captureNs.at(-1)! - captureNs[from]!);
    // The sink is asked for frames at the device's pace too.
    const pullRate = (pulledInWindow * frameMs) / windowMs;
    console.info(
      `device loop: captured ${captured.length} frames, arrival rate ${arrivalRate.toFixed(3)}, stamp rate ${stampRate.toFixed(3)}, ` +
        `pull rate ${pullRate.toFixed(3)}, underflows ${sink.underflows}, sink open ${(sinkOpenMs - sinkStartMs).toFixed(0)} ms, ` +
        `first captured frame ${firstFrameMs.toFixed(0)} ms after calling source.start()`,
    );
    expect(captured.length).toBeGreaterThan(100);
    expect(arrivalRate).toBeGreaterThan(0.9);
    expect(arrivalRate).toBeLessThan(1.1);
    expect(stampRate).toBeGreaterThan(0.9);
    expect(stampRate).toBeLessThan(1.1);
    expect(pullRate).toBeGreaterThan(0.9);
    expect(pullRate).toBeLessThan(1.1);

    // Content: the last second of the capture is the tone, at about the level played.
    const tail = concat(captured.slice(-50));
    expect(rmsLevel(tail)).toBeGreaterThan(0.3); // played at 0.5 peak → 0.35 RMS
    expect(toneEnergyFraction(tail, 1000)).toBeGreaterThan(0.9);
    expect(toneEnergyFraction(tail, 1500)).toBeLessThan(0.01);
  });

  it('counts an underflow when the engine is late, plays silence instead and keeps going', async (ctx) => {
    const pulse = requirePulse(ctx);
    const sink = new DeviceSink({ frameMs: 20, env: pulse.env });
    let pulls = 0;
    await sink.start(() => {
      pulls++;
      if (pulls === 20) {
        // Block the event loop for 200 ms: longer than everything queued towards the device.
        const until = performance.now() + 200;
        while (performance.now() < until) {
          /* stall */
        }
      }
      return new Int16Array(960).fill(1000);
    });
    await new Promise((r) => setTimeout(r, 1000));
    const pulledAfterStall = sink.frameCount;
    await new Promise((r) => setTimeout(r, 500));
    await sink.stop();
    expect(sink.underflows).toBeGreaterThanOrEqual(1);
    expect(sink.underflows).toBeLessThanOrEqual(15);
    // Still pulling at the device's pace after the stall (25 frames in 500 ms, ±20 %).
    const later = sink.frameCount - pulledAfterStall;
    expect(later).toBeGreaterThanOrEqual(20);
    expect(later).toBeLessThanOrEqual(30);
  });

  it('plays a frame that comes late but while frames are still queued at the device, rather than silence', async (ctx) => {
    const pulse = requirePulse(ctx);
    // Three 20 ms frames queued at the device: a frame 25 ms late still comes before the queue runs dry.
    const sink = new DeviceSink({ frameMs: 20, env: pulse.env, bufferFrames: 3 });
    let pulls = 0;
    let before = -1;
    await sink.start(() => {
      pulls++;
      if (pulls === 60) {
        before = sink.underflows;
        const until = performance.now() + 25;
        while (performance.now() < until) {
          /* the media process busy for 25 ms */
        }
      }
      return new Int16Array(960).fill(1000);
    });
    while (pulls < 80) await new Promise((r) => setTimeout(r, 50));
    await sink.stop();
    expect(before).toBeGreaterThanOrEqual(0);
    // Half a frame of grace (10 ms) replaced this frame by silence and counted an underflow.
    expect(sink.underflows).toBe(before);
  });

  it('a device name that matches nothing fails with advice to use a WAV file', async (ctx) => {
    const pulse = requirePulse(ctx);
    const sink = new DeviceSink({ frameMs: 20, device: 'no-such-device-xyz', env: pulse.env });
    const err = await sink.start(() => new Int16Array(960)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioDeviceError);
    expect((err as AudioDeviceError).kind).toBe('not-found');
    expect((err as Error).message).toMatch(/no output device matching "no-such-device-xyz".*--output file\.wav/);
  });

  it('nothing naudiodon prints reaches the parent process stdout', async (ctx) => {
    const pulse = requirePulse(ctx);
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const run = (args: string[]): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, args, { cwd: scratch, env: { ...process.env, ...pulse.env }, stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
        child.on('error', reject);
        child.on('close', () => resolve(out));
      });
    // Control: naudiodon used directly does print to stdout.
    const naudiodonPath = createRequire(import.meta.url).resolve('naudiodon');
    const direct = await run([
      '-e',
      `const na=require(${JSON.stringify(naudiodonPath)});const io=na.AudioIO({outOptions:{channelCount:1,sampleFormat:16,sampleRate:48000,deviceId:-1,closeOnError:false}});io.start();io.quit(()=>process.exit(0));`,
    ]);
    expect(direct).toContain('PortAudio');
    // Through our API: only the probe's own line.
    const probe = fileURLToPath(new URL('./stdout-probe.ts', import.meta.url));
    const viaApi = await run(['--import', tsx, probe]);
    expect(viaApi).toBe('probe-ok devices=1 captured=true\n');
  });
});

describe('audio devices without a sound server', () => {
  it('no device at all fails clearly and suggests --input file.wav', async () => {
    // An ALSA configuration whose only device points at a card that does not exist.
    const conf = join(scratch, 'no-device.conf');
    writeFileSync(conf, 'pcm.!default { type hw card 99 }\n');
    const env = { ALSA_CONFIG_PATH: conf, PULSE_SERVER: 'unix:/nonexistent' };
    expect(await listDevices({ env })).toEqual([]);
    const err = await new DeviceSource({ frameMs: 20, env }).start(() => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioDeviceError);
    expect((err as AudioDeviceError).kind).toBe('no-device');
    expect((err as Error).message).toMatch(/No audio input device available.*--input file\.wav/);
  });

  it('a native crash in the device process becomes an error, not a crash of ours', async () => {
    // An empty ALSA configuration makes PortAudio 19.6 fail an assertion (SIGABRT).
    const conf = join(scratch, 'empty.conf');
    writeFileSync(conf, '');
    const err = await new DeviceSink({ frameMs: 20, env: { ALSA_CONFIG_PATH: conf } })
      .start(() => new Int16Array(960))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioDeviceError);
    expect((err as Error).message).toMatch(/stopped unexpectedly.*(SIGABRT|code).*--output file\.wav/);
  });

  it('rejects invalid options before spawning anything', () => {
    expect(() => new DeviceSink({ frameMs: 20, bufferFrames: 1 })).toThrow(RangeError);
    expect(() => new DeviceSource({ frameMs: 15 as never })).toThrow(RangeError);
  });
});
