import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { TokenBucket } from '../../src/server/token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the configured rate', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, 10, 3);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
    clock.advance(99);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(1);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    expect(bucket.isFull()).toBe(false);
    clock.advance(10_000);
    expect(bucket.isFull()).toBe(true);
    // Refill never exceeds the burst.
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
  });

  it('rejects nonsense parameters', () => {
    expect(() => new TokenBucket(new ManualClock(), 0, 1)).toThrow(RangeError);
    expect(() => new TokenBucket(new ManualClock(), 1, 0)).toThrow(RangeError);
  });
});
