import { describe, expect, it } from 'vitest';
import { PeakMeter, peakLevel, rmsLevel } from '../../../src/engine/receive/level.js';

describe('levels', () => {
  it('measures peak and RMS on a 0..1 scale', () => {
    expect(peakLevel(Int16Array.of(0, 100, -32768, 5))).toBe(1);
    expect(peakLevel(Int16Array.of(0, 16384, -8192))).toBe(0.5);
    expect(peakLevel(new Int16Array(0))).toBe(0);
    expect(rmsLevel(new Int16Array(100).fill(16384))).toBe(0.5);
    expect(rmsLevel(Int16Array.of(16384, -16384))).toBe(0.5);
    expect(rmsLevel(new Int16Array(0))).toBe(0);
  });

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
