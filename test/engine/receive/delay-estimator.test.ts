import { describe, expect, it } from 'vitest';
import { DelayEstimator } from '../../../src/engine/receive/delay-estimator.js';
import { seededRandom } from './fakes.js';

describe('DelayEstimator', () => {
  it('gives just the margin on a clean link, whatever the constant transit time', () => {
    const e = new DelayEstimator({ marginMs: 5 });
    for (let i = 0; i < 200; i++) e.update(1000 + 73 + i * 20, i * 20);
    expect(e.percentileDelayMs).toBe(0);
    expect(e.targetDelayMs).toBe(5);
    expect(e.minOffsetMs).toBe(1073);
  });

  it('targets the 97th percentile of relative delay', () => {
    const e = new DelayEstimator({ marginMs: 0, windowMs: 10_000 });
    // Relative delays 0..99 ms, one each, in shuffled order.
    const rand = seededRandom(3);
    const delays = Array.from({ length: 100 }, (_, i) => i);
    for (let i = delays.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [delays[i], delays[j]] = [delays[j]!, delays[i]!];
    }
    delays.forEach((d, i) => e.update(i * 20 + d, i * 20));
    expect(e.percentileDelayMs).toBe(96);
  });

  it('forgets packets older than the window', () => {
    const e = new DelayEstimator({ marginMs: 0, windowMs: 1000, shrinkMsPerSecond: 1e9, percentile: 1 });
    e.update(0 + 50, 0); // one slow packet... relative to later fast ones
    for (let i = 1; i < 40; i++) e.update(i * 20, i * 20);
    expect(e.percentileDelayMs).toBe(50);
    for (let i = 40; i < 120; i++) e.update(i * 20, i * 20);
    expect(e.size).toBeLessThanOrEqual(51);
    expect(e.percentileDelayMs).toBe(0);
    expect(e.targetDelayMs).toBe(0);
  });

  it('grows at once and shrinks at most shrinkMsPerSecond', () => {
    const e = new DelayEstimator({ marginMs: 0, windowMs: 200, shrinkMsPerSecond: 10, percentile: 0.5 });
    for (let i = 0; i < 20; i++) e.update(i * 20 + (i % 2 === 0 ? 0 : 100), i * 20);
    expect(e.targetDelayMs).toBe(100);
    for (let i = 20; i < 70; i++) e.update(i * 20, i * 20); // 1 s clean
    // Raw target is 0 after the window passed; smoothed one fell ~10 ms/s.
    expect(e.rawTargetMs).toBe(0);
    expect(e.targetDelayMs).toBeGreaterThan(88);
    expect(e.targetDelayMs).toBeLessThan(92);
  });

  it('clamps the target to [minDelayMs, maxDelayMs]', () => {
    const lo = new DelayEstimator({ minDelayMs: 20, marginMs: 0 });
    lo.update(0, 0);
    expect(lo.targetDelayMs).toBe(20);
    const hi = new DelayEstimator({ maxDelayMs: 100, marginMs: 0, percentile: 1 });
    hi.update(0, 0);
    hi.update(1000, 20);
    expect(hi.targetDelayMs).toBe(100);
  });

  it('ignores non-finite input and rejects bad options', () => {
    const e = new DelayEstimator();
    e.update(Number.NaN, 0);
    expect(e.size).toBe(0);
    expect(() => new DelayEstimator({ windowMs: 0 })).toThrow(/windowMs/);
    expect(() => new DelayEstimator({ minDelayMs: 50, maxDelayMs: 10 })).toThrow(/maxDelayMs/);
    expect(() => new DelayEstimator({ percentile: 2 })).toThrow(/percentile/);
  });

  it('keeps working when more packets than its capacity fall in the window', () => {
    const e = new DelayEstimator({ capacity: 8, marginMs: 0, windowMs: 1e9 });
    for (let i = 0; i < 100; i++) e.update(i + (i === 95 ? 30 : 0), i);
    expect(e.size).toBe(8);
    expect(e.percentileDelayMs).toBe(30);
  });
});
