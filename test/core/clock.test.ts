import { describe, expect, it } from 'vitest';
import { FramePacer, ManualClock } from '../../src/core/clock.js';

describe('ManualClock', () => {
  it('fires timers in due order with now() at each due time', () => {
    const clock = new ManualClock(100);
    const seen: Array<[string, number]> = [];
    clock.setTimer(() => seen.push(['b', clock.now()]), 20);
    clock.setTimer(() => seen.push(['a', clock.now()]), 10);
    const c = clock.setTimer(() => seen.push(['c', clock.now()]), 15);
    clock.clearTimer(c);
    clock.advance(25);
    expect(seen).toEqual([['a', 110], ['b', 120]]);
    expect(clock.now()).toBe(125);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('FramePacer', () => {
  it('ticks at start + n·period without drift', () => {
    const clock = new ManualClock(0);
    const dues: number[] = [];
    const pacer = new FramePacer(clock, 20, (_i, due) => dues.push(due));
    pacer.start();
    for (let i = 0; i < 50; i++) clock.advance(7); // 350 ms in odd steps
    pacer.stop();
    expect(dues).toEqual(Array.from({ length: 18 }, (_, i) => i * 20));
  });

  it('delivers missed ticks after a stall, bounded by maxBurst', () => {
    const clock = new ManualClock(0);
    const indices: number[] = [];
    const pacer = new FramePacer(clock, 10, (i) => indices.push(i), 5);
    pacer.start(); // tick 0
    clock.advance(100); // 10 ticks due; at most 5 per wake-up, rest on the next
    expect(indices.length).toBeGreaterThanOrEqual(6);
    clock.advance(0.001);
    clock.advance(1);
    expect(indices.slice(0, 11)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    pacer.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects a non-positive period', () => {
    expect(() => new FramePacer(new ManualClock(), 0, () => {})).toThrow(RangeError);
  });
});

describe('FramePacer.start(firstDueMs)', () => {
  it('delays tick 0 to the given time and keeps the grid from there', () => {
    const clock = new ManualClock(100);
    const dues: number[] = [];
    const pacer = new FramePacer(clock, 10, (_i, due) => dues.push(due));
    pacer.start(107);
    expect(dues).toEqual([]);
    clock.advance(30);
    pacer.stop();
    expect(dues).toEqual([107, 117, 127]);
  });

  it('treats a first due time in the past as now', () => {
    const clock = new ManualClock(50);
    const dues: number[] = [];
    const pacer = new FramePacer(clock, 10, (_i, due) => dues.push(due));
    pacer.start(20);
    pacer.stop();
    expect(dues).toEqual([50]);
  });
});
