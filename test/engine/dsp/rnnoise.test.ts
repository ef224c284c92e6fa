/**
 * RNNoise through its wasm build, on audio: the three speech fixtures (15 s,
 * three voices) plus fan and keyboard noise (fixtures/noise-fan.wav,
 * noise-keys.wav) at 5 dB SNR. The speech must still be found in the output
 * by correlation (≥ 0.8 of its 500 ms windows) and the noise in speech
 * pauses drop by ≥ 20 dB (measured: fan 36.9 dB, fan + keys 23.5 dB).
 * Keyboard clicks are transients RNNoise alone lets through in part (fan +
 * keys 15.7 dB without the voice hold); the voice hold takes them down
 * without touching the speech, which is checked too.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readWavMono48k } from '../../../src/engine/audio/wav-file.js';
import { loadRnnoiseFactory, RNNOISE_BLOCK_SAMPLES, RNNOISE_DELAY_MS, type SuppressorFactory } from '../../../src/engine/dsp/rnnoise.js';
import { concat, findInSignal, toFloat } from '../../../bench/lib/analysis.js';
import { addNoises, advance, mixAtSnr, pauseReductionDb, speechWindowsFound } from '../../../bench/lib/noisy-speech.js';

const FIXTURES = path.join(import.meta.dirname, '../../../fixtures');
let factory: SuppressorFactory;
let clean: Int16Array;
let fan: Int16Array;
let keys: Int16Array;

beforeAll(async () => {
  factory = await loadRnnoiseFactory();
  // Three voices, 15 s: enough 500 ms windows and pauses to judge by.
  clean = concat(await Promise.all(['speech-a.wav', 'speech-b.wav', 'speech-c.wav'].map((f) => readWavMono48k(path.join(FIXTURES, f)))));
  fan = await readWavMono48k(path.join(FIXTURES, 'noise-fan.wav'));
  keys = await readWavMono48k(path.join(FIXTURES, 'noise-keys.wav'));
});

/** Run `input` through a fresh suppressor in frames of `frameSamples`. */
function suppress(input: Int16Array, frameSamples: number, make: SuppressorFactory = factory): Int16Array {
  const ns = make();
  const out = new Int16Array(input.length - (input.length % frameSamples));
  const frame = new Int16Array(frameSamples);
  for (let at = 0; at + frameSamples <= input.length; at += frameSamples) {
    frame.set(input.subarray(at, at + frameSamples));
    ns.process(frame);
    out.set(frame, at);
  }
  ns.close();
  return out;
}

describe('RnnoiseSuppressor', () => {
  /** Noisy speech → suppressor → aligned output, and the two figures. */
  function judge(noise: Int16Array): { reductionDb: number; found: ReturnType<typeof speechWindowsFound> } {
    const noisy = mixAtSnr(clean, noise, 5);
    const out = advance(suppress(noisy, 960), (RNNOISE_DELAY_MS * 48_000) / 1000);
    return { reductionDb: pauseReductionDb(clean, noisy, out), found: speechWindowsFound(clean, out) };
  }

  it('removes ≥ 20 dB of fan noise in speech pauses at 5 dB SNR and keeps the speech', () => {
    const { reductionDb, found } = judge(fan);
    expect(reductionDb).toBeGreaterThanOrEqual(20);
    expect(found.fraction).toBeGreaterThanOrEqual(0.8);
    expect(Math.abs(found.lagMs)).toBeLessThanOrEqual(2);
  });

  it('with keyboard clicks added, still removes ≥ 20 dB in pauses (voice hold) and keeps the speech', () => {
    const { reductionDb, found } = judge(addNoises(fan, keys));
    expect(reductionDb).toBeGreaterThanOrEqual(20);
    expect(found.fraction).toBeGreaterThanOrEqual(0.8);
  });

  it('the voice hold leaves speech alone: where the clean speech is active it changes the output by less than −35 dB', async () => {
    const withoutHold = await loadRnnoiseFactory({ voiceHold: false });
    for (const input of [clean, mixAtSnr(clean, addNoises(fan, keys), 5)]) {
      const held = suppress(input, 960);
      const plain = suppress(input, 960, withoutHold);
      const delay = (RNNOISE_DELAY_MS * 48_000) / 1000;
      let speech = 0;
      let changed = 0;
      for (let i = delay; i < held.length; i++) {
        if (Math.abs(clean[i - delay]!) < 300) continue;
        speech += plain[i]! ** 2;
        changed += (plain[i]! - held[i]!) ** 2;
      }
      expect(10 * Math.log10(changed / speech)).toBeLessThan(-35);
    }
  });

  it('delays its output by RNNOISE_DELAY_MS (20 ms), the same for 10, 20 and 40 ms frames', () => {
    for (const frameSamples of [480, 960, 1920]) {
      const out = suppress(clean, frameSamples);
      const peak = findInSignal(toFloat(clean.subarray(48_000, 96_000)), toFloat(out));
      expect(peak.lag - 48_000).toBe((RNNOISE_DELAY_MS * 48_000) / 1000);
      expect(peak.value).toBeGreaterThan(0.95);
    }
  });

  it('processes whole blocks in place and saturates to 16 bits', () => {
    const ns = factory();
    const frame = new Int16Array(2 * RNNOISE_BLOCK_SAMPLES);
    for (let k = 0; k < 50; k++) {
      for (let i = 0; i < frame.length; i++) frame[i] = i % 2 === 0 ? 32767 : -32768;
      ns.process(frame);
    }
    for (const v of frame) expect(Number.isInteger(v) && v >= -32768 && v <= 32767).toBe(true);
    ns.close();
    ns.close(); // idempotent
  });

  it('reset forgets history: the same input after reset gives the same output as a fresh state', () => {
    const a = factory();
    const b = factory();
    const block = (seed: number): Int16Array => clean.slice(seed * 480, seed * 480 + 960);
    for (let k = 0; k < 20; k++) a.process(block(k + 100));
    a.reset();
    const x = block(300);
    const y = block(300);
    a.process(x);
    b.process(y);
    expect(Array.from(x)).toEqual(Array.from(y));
    a.close();
    b.close();
  });
});
