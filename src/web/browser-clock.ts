/**
 * The engine's Clock (core/clock.ts) in a browser: performance.now() and
 * setTimeout. `nowNs` is on the page's own time origin, not the machine's
 * CLOCK_MONOTONIC, so browser anchors are not compared across processes.
 */
import type { Clock, TimerHandle } from '../core/clock.js';

let nextId = 1;

export function browserClock(): Clock {
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  return {
    now: () => performance.now(),
    nowNs: () => BigInt(Math.round(performance.now() * 1e6)),
    setTimer(fn, delayMs) {
      const id = nextId++;
      timers.set(
        id,
        setTimeout(() => {
          timers.delete(id);
          fn();
        }, Math.max(0, delayMs)),
      );
      return { id };
    },
    clearTimer(handle: TimerHandle) {
      const t = timers.get(handle.id);
      if (t !== undefined) clearTimeout(t);
      timers.delete(handle.id);
    },
  };
}
