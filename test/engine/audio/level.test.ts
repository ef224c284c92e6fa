import { describe, expect, it } from 'vitest';
import { FULL_SCALE, PeakMeter, peakLevel, rmsLevel } from '../../../src/engine/audio/level.js';

describe('levels (one scale: full scale = 32768)', () => {
  it('measures peak and RMS on a 0..1 scale', () => {
    expect(peakLevel(Int16Array.of(0, 100, -32768, 5))).toBe(1);
    expect(peakLevel(Int16Array.of(0, 16384, -8192))).toBe(0.5);
    expect(peakLevel(new Int16Array(0))).toBe(0);
    expect(rmsLevel(new Int16Array(100).fill(16384))).toBe(0.5);
    expect(rmsLevel(Int16Array.of(16384, -16384))).toBe(0.5);
    expect(rmsLevel(new Int16Array(0))).toBe(0);
  });

  it('is 0 for silence and for an empty buffer', () => {
    expect(peakLevel(new Int16Array(960))).toBe(0);
    expect(rmsLevel(new Int16Array(960))).toBe(0);
    expect(peakLevel(new Int16Array(0))).toBe(0);
    expect(rmsLevel(new Int16Array(0))).toBe(0);
  });

  it('reaches 1 at either full-scale extreme (the positive one 1/32768 short of it)', () => {
    expect(peakLevel(Int16Array.of(0, 32767, 5))).toBe(32767 / FULL_SCALE);
    expect(peakLevel(Int16Array.of(0, 32767, 5))).toBeCloseTo(1, 4);
    expect(peakLevel(Int16Array.of(0, -32768, 5))).toBe(1);
  });

  it('measures a half-scale square wave as 0.5 peak and 0.5 RMS', () => {
    const square = Int16Array.from({ length: 960 }, (_, i) => (i % 2 === 0 ? 16384 : -16384));
    expect(peakLevel(square)).toBeCloseTo(0.5, 3);
    expect(rmsLevel(square)).toBeCloseTo(0.5, 6);
  });

  it('gives a sine an RMS of peak/√2', () => {
    const sine = Int16Array.from({ length: 4800 }, (_, i) => Math.round(20000 * Math.sin((2 * Math.PI * 1000 * i) / 48000)));
    expect(rmsLevel(sine)).toBeCloseTo(20000 / 32768 / Math.SQRT2, 3);
  });

  it('gives the same signal the same level whichever sign its peak has', () => {
    // The mic meter and the peer meters used to scale positive samples by 32767 and by 32768.
    expect(peakLevel(Int16Array.of(20000))).toBe(peakLevel(Int16Array.of(-20000)));
    expect(peakLevel(Int16Array.of(20000))).toBe(20000 / 32768);
  });
});

describe('PeakMeter', () => {
  it('meters with instant attack and per-frame release', () => {
    const m = new PeakMeter(0.5);
    expect(m.update(0.8)).toBe(0.8);
    expect(m.update(0.1)).toBe(0.4);
    expect(m.update(0.3)).toBe(0.3);
    for (let i = 0; i < 30; i++) m.update(0);
    expect(m.level).toBe(0);
    expect(() => new PeakMeter(1)).toThrow(RangeError);
  });
});
