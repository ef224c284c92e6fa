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

describe('FramePacer early tolerance', () => {
  it('runs a tick due within the tolerance in the current wake-up, with its own due time', () => {
    const clock = new ManualClock(0);
    const seen: Array<[number, number]> = [];
    const pacer = new FramePacer(clock, 10, (_i, due) => seen.push([due, clock.now()]), 50, 1);
    pacer.start(); // tick 0 at 0
    clock.advance(9.4); // the timer for tick 1 fires at 10; not yet
    expect(seen).toEqual([[0, 0]]);
    pacer.stop();
    // A wake-up 0.6 ms before the due time (as Node's whole-millisecond timers do) runs the tick at once.
    const early = new FramePacer(clock, 10, (_i, due) => seen.push([due, clock.now()]), 50, 1);
    seen.length = 0;
    early.start(clock.now() + 0.6);
    expect(seen).toEqual([[10, 9.4]]);
    early.stop();
  });

  it('never runs a tick more than the tolerance early, and rejects a tolerance of a period or more', () => {
    const clock = new ManualClock(0);
    const seen: number[] = [];
    const pacer = new FramePacer(clock, 10, (_i, due) => seen.push(due), 50, 1);
    pacer.start(5);
    expect(seen).toEqual([]);
    clock.advance(3.9); // 1.1 ms before
    expect(seen).toEqual([]);
    clock.advance(0.2); // 0.9 ms before: the pending timer is for 5, so nothing runs until it fires
    clock.advance(0.9);
    expect(seen).toEqual([5]);
    pacer.stop();
    expect(() => new FramePacer(clock, 10, () => {}, 50, 10)).toThrow(RangeError);
  });
});
