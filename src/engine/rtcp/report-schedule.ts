/**
 * When our next RTCP report is due. RFC 3550 §6.2 randomizes the interval
 * and keeps it at 5 s or more to bound RTCP bandwidth in large sessions,
 * but allows a smaller fixed value; a mesh of a few peers sends every
 * second (default), which also tells each peer within a second that we are
 * alive while the voice gate sends no RTP (docs/architecture.md §3, §4).
 *
 * Reports fall on a fixed grid from the start (start + k · interval): a
 * late timer does not shift the later ones, and reports missed while the
 * process stalled are not made up in a burst.
 */
export class ReportSchedule {
  private nextDueMs: number;

  constructor(
    readonly intervalMs: number,
    startMs: number,
  ) {
    if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
    this.nextDueMs = startMs + intervalMs;
  }

  /** Milliseconds from `nowMs` until the next report is due (0 when due). */
  delayMs(nowMs: number): number {
    return Math.max(0, this.nextDueMs - nowMs);
  }

  /** True when a report is due at `nowMs`; the next one is then due on the next grid point after `nowMs`. */
  takeDue(nowMs: number): boolean {
    if (nowMs < this.nextDueMs) return false;
    const missed = Math.floor((nowMs - this.nextDueMs) / this.intervalMs);
    this.nextDueMs += (missed + 1) * this.intervalMs;
    return true;
  }
}
