/**
 * Time for the media path, injectable so that unit tests are deterministic.
 *
 * All times are milliseconds on a monotonic clock (fractional values allowed).
 * `monotonicClock` reads `process.hrtime.bigint()`, which on Linux is the
 * machine-wide CLOCK_MONOTONIC: separate processes can compare its readings,
 * which is what cross-process latency measurement relies on (docs/architecture.md §8).
 */
export interface Clock {
  /** Monotonic time in milliseconds. */
  now(): number;
  /** Monotonic time in nanoseconds (for stats anchors shared across processes). */
  nowNs(): bigint;
  /** Run `fn` once after `delayMs` (clamped at 0). */
  setTimer(fn: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: number;
}

let nextTimerId = 1;

class MonotonicClock implements Clock {
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): number {
    return Number(process.hrtime.bigint()) / 1e6;
  }

  nowNs(): bigint {
    return process.hrtime.bigint();
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const id = nextTimerId++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, Math.max(0, delayMs));
    this.timers.set(id, t);
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    const t = this.timers.get(handle.id);
    if (t !== undefined) {
      clearTimeout(t);
      this.timers.delete(handle.id);
    }
  }
}

/** The real clock. */
export const monotonicClock: Clock = new MonotonicClock();

/**
 * A clock that only moves when told to. Timers fire in due-time order during
 * `advance()`, each seeing `now()` equal to its own due time.
 */
export class ManualClock implements Clock {
  private timeMs: number;
  private readonly timers = new Map<number, { dueMs: number; seq: number; fn: () => void }>();
  private seq = 0;

  constructor(startMs = 0) {
    this.timeMs = startMs;
  }

  now(): number {
    return this.timeMs;
  }

  nowNs(): bigint {
    return BigInt(Math.round(this.timeMs * 1e6));
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const id = nextTimerId++;
    this.timers.set(id, { dueMs: this.timeMs + Math.max(0, delayMs), seq: this.seq++, fn });
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  /** Number of timers still pending. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.timeMs + ms;
    for (;;) {
      let nextId = -1;
      let next: { dueMs: number; seq: number; fn: () => void } | undefined;
      for (const [id, t] of this.timers) {
        if (t.dueMs <= target && (next === undefined || t.dueMs < next.dueMs || (t.dueMs === next.dueMs && t.seq < next.seq))) {
          next = t;
          nextId = id;
        }
      }
      if (next === undefined) break;
      this.timers.delete(nextId);
      this.timeMs = Math.max(this.timeMs, next.dueMs);
      next.fn();
    }
    this.timeMs = target;
  }
}

/**
 * How early a playback pull may run rather than wait for a second wake-up.
 * Node's timers count whole milliseconds on a loop time that is truncated
 * and read before the callback that sets them, so a timer set for a
 * fractional due time fires up to 1 ms before it: measured, 10 ms ticks
 * took 1.7 wake-ups each (505 for 300), the extra one a 1 ms timer. Each
 * wake-up of the media process costs a context switch, and those dominate
 * its CPU (docs/architecture.md §12). A pull that runs <1 ms early only
 * shortens the wait for a packet by that much; a capture is never run early
 * (its frame would exist before its own time), so sources keep 0.
 */
export const PULL_EARLY_TOLERANCE_MS = 1;

/**
 * Calls `onTick(index)` every `periodMs`, drift-free: tick n is due at
 * start + n·periodMs, computed from the start time rather than by chaining
 * relative delays, so timer lateness never accumulates. When the process was
 * stalled past several periods, the missed ticks are delivered at once (the
 * caller decides whether to catch up or drop), up to `maxBurst` per wake-up.
 * A tick due within `earlyToleranceMs` of a wake-up runs in it, before its
 * due time (PULL_EARLY_TOLERANCE_MS for playback pulls); `dueMs` stays its
 * due time.
 */
export class FramePacer {
  private startMs = 0;
  private index = 0;
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly periodMs: number,
    private readonly onTick: (index: number, dueMs: number) => void,
    private readonly maxBurst = 50,
    private readonly earlyToleranceMs = 0,
  ) {
    if (!(periodMs > 0)) throw new RangeError(`periodMs must be > 0, got ${periodMs}`);
    if (!(earlyToleranceMs >= 0 && earlyToleranceMs < periodMs)) throw new RangeError(`earlyToleranceMs must be in [0, periodMs), got ${earlyToleranceMs}`);
  }

  /**
   * Start ticking. Tick 0 is due at `firstDueMs` (default now: it fires at
   * once); a later time lets a caller set the phase of this clock relative
   * to another one (playback relative to capture).
   */
  start(firstDueMs?: number): void {
    if (this.running) return;
    this.running = true;
    const now = this.clock.now();
    this.startMs = firstDueMs !== undefined && firstDueMs > now ? firstDueMs : now;
    this.index = 0;
    this.run();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Monotonic time (ms) at which tick 0 was due. */
  get startTimeMs(): number {
    return this.startMs;
  }

  private run(): void {
    this.timer = undefined;
    const now = this.clock.now() + this.earlyToleranceMs;
    let burst = 0;
    while (this.running && this.startMs + this.index * this.periodMs <= now && burst < this.maxBurst) {
      const i = this.index++;
      burst++;
      this.onTick(i, this.startMs + i * this.periodMs);
    }
    if (!this.running) return;
    const dueMs = this.startMs + this.index * this.periodMs;
    this.timer = this.clock.setTimer(() => this.run(), dueMs - this.clock.now());
  }
}
