/**
 * Coalesces a fast stream of values (engine snapshots, up to one per audio
 * frame per peer) into at most one emission per interval, so that React
 * re-renders — which run on the same event loop as the audio pacer — stay at
 * ~12 per second and never stall the media path.
 *
 * Leading edge: a value arriving after a quiet interval is emitted at once
 * (keys feel instant). Trailing edge: values arriving inside the interval are
 * held, and the newest one is emitted when the interval ends, so the final
 * state always shows.
 */
import type { Clock, TimerHandle } from '../core/clock.js';

/** ~12.5 redraws per second. */
export const DEFAULT_REDRAW_INTERVAL_MS = 80;

export class CoalescingThrottle<T> {
  private lastEmitMs: number | undefined;
  private timer: TimerHandle | undefined;
  private pending = false;
  private latest: T | undefined;
  private disposed = false;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly emit: (value: T) => void,
  ) {
    if (!(intervalMs >= 0) || !Number.isFinite(intervalMs)) {
      throw new RangeError(`intervalMs must be a finite number >= 0, got ${intervalMs}`);
    }
  }

  push(value: T): void {
    if (this.disposed) return;
    this.latest = value;
    this.pending = true;
    if (this.timer !== undefined) return; // a trailing emission is already due
    const waitMs = this.lastEmitMs === undefined ? 0 : this.lastEmitMs + this.intervalMs - this.clock.now();
    if (waitMs <= 0) this.flush();
    else this.timer = this.clock.setTimer(() => this.onTimer(), waitMs);
  }

  /** Whether a value is held for the trailing emission. */
  get hasPending(): boolean {
    return this.pending;
  }

  /** Drop any held value and stop the timer; later pushes are ignored. */
  dispose(): void {
    this.disposed = true;
    this.pending = false;
    this.latest = undefined;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private onTimer(): void {
    this.timer = undefined;
    this.flush();
  }

  private flush(): void {
    if (!this.pending || this.disposed) return;
    const value = this.latest as T;
    this.pending = false;
    this.latest = undefined;
    this.lastEmitMs = this.clock.now();
    this.emit(value);
  }
}
