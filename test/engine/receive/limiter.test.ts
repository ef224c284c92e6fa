import { describe, expect, it } from 'vitest';
import { limitToInt16, softLimit } from '../../../src/engine/receive/limiter.js';

describe('softLimit', () => {
  it('is the identity below the knee', () => {
    for (const x of [0, 0.1, -0.5, 0.8, -0.8]) expect(softLimit(x)).toBe(x);
  });

  it('is monotonic, odd, continuous at the knee and stays below full scale', () => {
    let prev = -Infinity;
    for (let x = -10; x <= 10; x += 0.001) {
      const y = softLimit(x);
      expect(y).toBeGreaterThanOrEqual(prev);
      expect(Math.abs(y)).toBeLessThanOrEqual(1);
      expect(softLimit(-x)).toBeCloseTo(-y, 12);
      prev = y;
    }
    expect(softLimit(0.8 + 1e-9)).toBeCloseTo(0.8, 8);
    expect(softLimit(1e9)).toBeLessThanOrEqual(1);
  });

  it('turns NaN into silence', () => {
    expect(softLimit(Number.NaN)).toBe(0);
  });
});

describe('limitToInt16', () => {
  it('converts and never wraps, even far beyond full scale', () => {
    const input = Float32Array.of(0, 0.5, -0.5, 3, -3, 100, -100, 1, -1);
    const out = new Int16Array(input.length);
    limitToInt16(input, out);
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(16384);
    expect(out[2]).toBe(-16384);
    for (const i of [3, 5]) expect(out[i]!).toBeGreaterThan(32000);
    for (const i of [4, 6]) expect(out[i]!).toBeLessThan(-32000);
    // Full scale itself lands inside the knee: 0.8 + 0.2·tanh(1) ≈ 0.952.
    expect(out[7]).toBe(Math.round((0.8 + 0.2 * Math.tanh(1)) * 32768));
    expect(out[8]).toBe(-out[7]!);
  });
});
