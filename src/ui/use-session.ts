/**
 * The one hook binding the engine to React: subscribes to a SessionController
 * and hands components its snapshot, coalesced to at most one React state
 * update per `intervalMs` (see throttle.ts for why).
 */
import { useEffect, useRef, useState } from 'react';
import { monotonicClock, type Clock } from '../core/clock.js';
import type { SessionController, SessionSnapshot } from '../engine/api.js';
import { CoalescingThrottle, DEFAULT_REDRAW_INTERVAL_MS } from './throttle.js';

export interface UseSessionOptions {
  /** Time source for the redraw throttle; tests pass a ManualClock. */
  readonly clock?: Clock;
  readonly intervalMs?: number;
}

export function useSessionSnapshot(controller: SessionController, options: UseSessionOptions = {}): SessionSnapshot {
  const clock = options.clock ?? monotonicClock;
  const intervalMs = options.intervalMs ?? DEFAULT_REDRAW_INTERVAL_MS;
  const [snapshot, setSnapshot] = useState<SessionSnapshot>(() => controller.snapshot());
  const shownRef = useRef(snapshot);
  shownRef.current = snapshot;

  useEffect(() => {
    const throttle = new CoalescingThrottle<SessionSnapshot>(clock, intervalMs, setSnapshot);
    const unsubscribe = controller.subscribe((next) => throttle.push(next));
    // A change may have landed between the first render and this subscribe.
    const current = controller.snapshot();
    if (current !== shownRef.current) throttle.push(current);
    return () => {
      unsubscribe();
      throttle.dispose();
    };
  }, [controller, clock, intervalMs]);

  return snapshot;
}
