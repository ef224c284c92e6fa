import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_BACKOFF, resolveBackoff } from '../../src/core/backoff.js';

describe('reconnect backoff', () => {
  const opts = { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 };

  it('grows exponentially up to the cap without jitter when random() = 0', () => {
    expect([0, 1, 2, 3, 4, 5, 100].map((n) => backoffDelayMs(n, opts, () => 0))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('jitters within [base·(1−jitter), base]', () => {
    expect(backoffDelayMs(2, opts, () => 0.999999)).toBeCloseTo(200, 3);
    expect(backoffDelayMs(2, opts, () => 0.5)).toBe(300);
    let seed = 1;
    const lcg = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const samples = Array.from({ length: 1000 }, () => backoffDelayMs(3, opts, lcg));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(400);
    expect(Math.max(...samples)).toBeLessThanOrEqual(800);
    expect(new Set(samples.map((x) => Math.round(x))).size).toBeGreaterThan(100);
  });

  it('validates options', () => {
    expect(resolveBackoff(undefined)).toEqual(DEFAULT_BACKOFF);
    expect(() => resolveBackoff({ jitter: 2 })).toThrow(RangeError);
    expect(() => resolveBackoff({ initialDelayMs: 500, maxDelayMs: 100 })).toThrow(RangeError);
  });
});
