/**
 * Garbage-collection pauses of this process, from Node's `gc` performance
 * entries: each is a stop of the event loop, so they are one candidate for
 * why a loop runs late (bench/signaling-cluster.ts compares them with
 * monitorEventLoopDelay).
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

export interface GcPauses {
  /** Collections since the watch began. */
  readonly count: number;
  /** Their pauses summed, ms. */
  readonly totalMs: number;
  /** The longest pause, ms. */
  readonly maxMs: number;
  /** Pauses of 10 ms or more. */
  readonly over10Ms: number;
  /** Of those, how many were scavenges of the young generation (the rest: mark-compact and its incremental steps). */
  readonly over10MsMinor: number;
}

/** Start counting; the returned function reads the figures so far (and can be called any number of times). */
export function watchGcPauses(): () => GcPauses {
  let count = 0;
  let totalMs = 0;
  let maxMs = 0;
  let over10Ms = 0;
  let over10MsMinor = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      count++;
      totalMs += e.duration;
      maxMs = Math.max(maxMs, e.duration);
      if (e.duration < 10) continue;
      over10Ms++;
      if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) over10MsMinor++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => ({ count, totalMs: Math.round(totalMs), maxMs: Math.round(maxMs * 10) / 10, over10Ms, over10MsMinor });
}
