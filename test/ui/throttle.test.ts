import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { CoalescingThrottle } from '../../src/ui/throttle.js';

function setup(intervalMs = 80) {
  const clock = new ManualClock(1000);
  const emitted: Array<[number, number]> = [];
  const throttle = new CoalescingThrottle<number>(clock, intervalMs, (v) => emitted.push([clock.now(), v]));
  return { clock, emitted, throttle };
}

describe('CoalescingThrottle', () => {
  it('emits the first value at once (leading edge)', () => {
    const { emitted, throttle } = setup();
    throttle.push(1);
    expect(emitted).toEqual([[1000, 1]]);
  });

  it('coalesces a burst into one trailing emission of the newest value', () => {
    const { clock, emitted, throttle } = setup();
    throttle.push(1);
    for (let v = 2; v <= 50; v++) {
      clock.advance(1);
      throttle.push(v);
    }
    expect(emitted).toEqual([[1000, 1]]);
    expect(throttle.hasPending).toBe(true);
    clock.advance(80);
    expect(emitted).toEqual([
      [1000, 1],
      [1080, 50],
    ]);
    expect(throttle.hasPending).toBe(false);
  });

  it('never emits more than once per interval under a steady 1 ms stream', () => {
    const { clock, emitted, throttle } = setup();
    for (let i = 0; i < 1000; i++) {
      throttle.push(i);
      clock.advance(1);
    }
    clock.advance(200);
    // Pushes at t = 0 … 999 ms: emissions at t = 0, 80, …, 960, then the
    // trailing one at 1040 carrying the last value: 14, against 1000 pushes.
    expect(emitted.map(([t]) => t - 1000)).toEqual(Array.from({ length: 14 }, (_, i) => i * 80));
    for (let i = 1; i < emitted.length; i++) {
      expect(emitted[i]![0] - emitted[i - 1]![0]).toBeGreaterThanOrEqual(80);
    }
    // The final state always shows.
    expect(emitted.at(-1)![1]).toBe(999);
  });

  it('emits immediately again after a quiet interval', () => {
    const { clock, emitted, throttle } = setup();
    throttle.push(1);
    clock.advance(500);
    throttle.push(2);
    expect(emitted).toEqual([
      [1000, 1],
      [1500, 2],
    ]);
  });

  it('dispose drops the pending value and cancels the timer', () => {
    const { clock, emitted, throttle } = setup();
    throttle.push(1);
    throttle.push(2);
    throttle.dispose();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(200);
    throttle.push(3);
    expect(emitted).toEqual([[1000, 1]]);
  });

  it('rejects a bad interval', () => {
    expect(() => new CoalescingThrottle(new ManualClock(), Number.NaN, () => {})).toThrow(RangeError);
    expect(() => new CoalescingThrottle(new ManualClock(), -1, () => {})).toThrow(RangeError);
  });
});
