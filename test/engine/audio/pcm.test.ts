import { describe, expect, it } from 'vitest';
import { floatSampleToInt16, floatToInt16, int16ToFloat32, peakLevel, rmsLevel } from '../../../src/engine/audio/pcm.js';

describe('pcm levels', () => {
  it('is 0 for silence and for an empty buffer', () => {
    expect(peakLevel(new Int16Array(960))).toBe(0);
    expect(rmsLevel(new Int16Array(960))).toBe(0);
    expect(peakLevel(new Int16Array(0))).toBe(0);
    expect(rmsLevel(new Int16Array(0))).toBe(0);
  });

  it('reaches 1 at either full-scale extreme', () => {
    expect(peakLevel(Int16Array.of(0, 32767, 5))).toBe(1);
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
});

describe('int16 ↔ float', () => {
  it('round-trips every int16 value exactly', () => {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    expect(floatToInt16(int16ToFloat32(all))).toEqual(all);
  });

  it('maps extremes to ±1 and clamps out-of-range and NaN input', () => {
    expect(Array.from(int16ToFloat32(Int16Array.of(-32768, 0, 32767)))).toEqual([-1, 0, 1]);
    expect(floatSampleToInt16(2)).toBe(32767);
    expect(floatSampleToInt16(-7)).toBe(-32768);
    expect(floatSampleToInt16(Number.NaN)).toBe(0);
    expect(Array.from(floatToInt16([0.5, -0.5]))).toEqual([16384, -16384]);
  });
});
