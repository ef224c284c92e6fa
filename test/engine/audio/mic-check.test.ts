/**
 * The microphone test's figures on synthetic signals whose levels are known:
 * a sine at a set dBFS, a clipped sine, a white-noise floor at a set level,
 * silence, and "speech" (tone bursts) over a noise floor.
 */
import { describe, expect, it } from 'vitest';
import { activeRmsLevel } from '../../../src/engine/audio/level.js';
import {
  CLIPPING_PROBLEM_PERCENT,
  MIN_DBFS,
  clippedSampleCount,
  measureSignal,
  micCheck,
  noiseFloorLevel,
  toDbfs,
  trimDigitalSilence,
} from '../../../src/engine/audio/mic-check.js';
import { createRandom } from '../../../src/engine/sim/prng.js';

const RATE = 48_000;
const samples = (ms: number): number => Math.round((ms * RATE) / 1000);
const clip16 = (v: number): number => (v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v));

/** A 440 Hz sine whose RMS is `rmsDbfs` (its peak is 3 dB above), `ms` long. */
function sine(rmsDbfs: number, ms: number): Int16Array {
  const amplitude = 32768 * 10 ** (rmsDbfs / 20) * Math.SQRT2;
  return Int16Array.from({ length: samples(ms) }, (_, i) => clip16(amplitude * Math.sin((2 * Math.PI * 440 * i) / RATE)));
}

/** White noise (uniform) whose RMS is `rmsDbfs`, seeded. */
function noise(rmsDbfs: number, ms: number, seed = 1): Int16Array {
  const rnd = createRandom(seed);
  // A uniform in [−a, a] has an RMS of a/√3.
  const a = 32768 * 10 ** (rmsDbfs / 20) * Math.sqrt(3);
  return Int16Array.from({ length: samples(ms) }, () => clip16(a * (2 * rnd.next() - 1)));
}

function add(a: Int16Array, b: Int16Array): Int16Array {
  return Int16Array.from({ length: Math.max(a.length, b.length) }, (_, i) => clip16((a[i] ?? 0) + (b[i] ?? 0)));
}

/** "Speech": 300 ms tone bursts at `rmsDbfs` every 600 ms, over `ms`. */
function bursts(rmsDbfs: number, ms: number): Int16Array {
  const tone = sine(rmsDbfs, ms);
  return tone.map((v, i) => (Math.floor(i / samples(300)) % 2 === 0 ? v : 0));
}

describe('signal measures', () => {
  it('a sine at −20 dBFS RMS: speech level −20, peak −17, no clipping', () => {
    const m = measureSignal(sine(-20, 2000));
    expect(m.speechDbfs).toBeCloseTo(-20, 1);
    expect(m.peakDbfs).toBeCloseTo(-20 + 3.01, 1);
    expect(m.clippedSamples).toBe(0);
    expect(m.clippedPercent).toBe(0);
    expect(m.durationMs).toBe(2000);
  });

  it('a sine driven 6 dB past full scale clips on a good share of its samples', () => {
    const hot = sine(-3 + 6, 1000); // peak would be +6 dBFS
    const clipped = clippedSampleCount(hot);
    // Twice full scale: |sin| ≥ 0.5 for two thirds of the time.
    expect(clipped / hot.length).toBeGreaterThan(0.63);
    expect(clipped / hot.length).toBeLessThan(0.7);
    expect(measureSignal(hot).peakDbfs).toBe(0);
  });

  it('counts both full-scale extremes and nothing below them', () => {
    expect(clippedSampleCount(Int16Array.of(0, 32767, -32768, 32766, -32767, 100))).toBe(2);
  });

  it('a white-noise floor at −50 dBFS reads −50 as floor and as level', () => {
    const m = measureSignal(noise(-50, 3000));
    expect(m.noiseFloorDbfs).toBeGreaterThan(-50.6);
    expect(m.noiseFloorDbfs).toBeLessThan(-49.4);
    expect(m.speechDbfs).toBeCloseTo(-50, 0);
  });

  it('speech over a floor: the floor is the pauses, the speech level the bursts', () => {
    const m = measureSignal(add(bursts(-20, 4000), noise(-60, 4000)));
    expect(m.noiseFloorDbfs).toBeGreaterThan(-60.6);
    expect(m.noiseFloorDbfs).toBeLessThan(-59.4);
    expect(m.speechDbfs).toBeCloseTo(-20, 0);
  });

  it('silence reads as MIN_DBFS everywhere, not −Infinity', () => {
    const m = measureSignal(new Int16Array(samples(1000)));
    expect(m).toMatchObject({ peakDbfs: MIN_DBFS, speechDbfs: MIN_DBFS, noiseFloorDbfs: MIN_DBFS, clippedSamples: 0 });
    expect(measureSignal(new Int16Array(0)).noiseFloorDbfs).toBe(MIN_DBFS);
    expect(toDbfs(0)).toBe(MIN_DBFS);
    expect(toDbfs(1)).toBe(0);
    expect(noiseFloorLevel(new Int16Array(100))).toBe(0);
  });

  it('active RMS leaves out the pauses (blocks 30 dB under the loudest)', () => {
    const x = bursts(-20, 2000);
    expect(20 * Math.log10(activeRmsLevel(x))).toBeCloseTo(-20, 1);
    expect(activeRmsLevel(new Int16Array(960))).toBe(0);
  });

  it('trims exact zeros at both ends only', () => {
    expect(Array.from(trimDigitalSilence(Int16Array.of(0, 0, 3, 0, -2, 0)))).toEqual([3, 0, -2]);
    expect(trimDigitalSilence(new Int16Array(10)).length).toBe(0);
  });
});

describe('micCheck advice', () => {
  const on = { noiseSuppression: 'on', autoGain: 'on' } as const;

  it('a clean voice well above a quiet floor is good', () => {
    const raw = add(bursts(-22, 4000), noise(-70, 4000));
    const r = micCheck({ raw, processed: raw, ...on });
    expect(r.ok).toBe(true);
    expect(r.advice.map((a) => a.kind)).toEqual(['good']);
    expect(r.snrBeforeDb).toBeGreaterThan(45);
    expect(r.noiseReductionDb).toBe(0);
    expect(r.gainDb).toBe(0);
  });

  it('silence: no signal, pointing at the device list', () => {
    const silence = new Int16Array(samples(3000));
    const r = micCheck({ raw: silence, processed: silence, ...on });
    expect(r.ok).toBe(false);
    expect(r.advice.map((a) => a.kind)).toEqual(['no-signal']);
    expect(r.advice[0]!.message).toContain('roundtable devices');
  });

  it('a faint microphone hiss is still "no signal"', () => {
    const hiss = noise(-80, 3000);
    expect(micCheck({ raw: hiss, processed: hiss, ...on }).advice[0]!.kind).toBe('no-signal');
  });

  it('a voice at −48 dBFS is too quiet: raise the input volume', () => {
    const raw = add(bursts(-48, 4000), noise(-90, 4000));
    const r = micCheck({ raw, processed: raw, ...on });
    expect(r.advice.map((a) => a.kind)).toEqual(['too-quiet']);
    expect(r.advice[0]!.message).toMatch(/raise your microphone's input volume/i);
  });

  it('a clipping voice: lower it', () => {
    const raw = add(bursts(3, 4000), noise(-70, 4000));
    const r = micCheck({ raw, processed: raw, ...on });
    expect(r.clipping.problem).toBe(true);
    expect(r.clipping.percent).toBeGreaterThan(CLIPPING_PROBLEM_PERCENT);
    expect(r.advice.map((a) => a.kind)).toEqual(['clipping']);
    expect(r.advice[0]!.message).toMatch(/lower/i);
  });

  it('one clipped sample is counted but is not a problem', () => {
    const raw = add(bursts(-20, 4000), noise(-70, 4000));
    raw[1000] = 32767;
    const r = micCheck({ raw, processed: raw, ...on });
    expect(r.clipping).toMatchObject({ samples: 1, problem: false });
    expect(r.ok).toBe(true);
  });

  it('noisy: voice 6 dB over the floor; what suppression removed is the SNR gained, whatever the gain', () => {
    const voice = bursts(-20, 4000);
    const raw = add(voice, noise(-26, 4000, 2));
    // "Processed": the noise 30 dB down, then 6 dB of gain on everything.
    const processed = add(voice, noise(-56, 4000, 3)).map((v) => clip16(v * 2));
    const r = micCheck({ raw, processed, ...on });
    expect(r.advice.map((a) => a.kind)).toEqual(['noisy']);
    expect(r.advice[0]!.message).toContain('Noise suppression removed');
    expect(r.noiseReductionDb).toBeGreaterThan(27);
    expect(r.noiseReductionDb).toBeLessThan(33);
    expect(r.output.noiseFloorDbfs).toBeCloseTo(-50, 0);
  });

  it('the level after gain control: 6 dB of gain reads +6 dB', () => {
    const raw = add(bursts(-30, 4000), noise(-80, 4000));
    const r = micCheck({ raw, processed: raw.map((v) => clip16(v * 2)), ...on });
    expect(r.gainDb).toBeCloseTo(6, 0);
    expect(r.output.speechDbfs).toBeCloseTo(-24, 0);
    expect(r.noiseReductionDb).toBeCloseTo(0, 0);
  });

  it('noisy with suppression off: says to turn it on', () => {
    const raw = add(bursts(-20, 4000), noise(-26, 4000, 2));
    const r = micCheck({ raw, processed: raw, noiseSuppression: 'off', autoGain: 'off' });
    expect(r.advice[0]!.message).toMatch(/turn noise suppression on/i);
    expect(r.noiseReductionDb).toBe(0);
  });
});
