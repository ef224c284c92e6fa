/**
 * One SendLoop per peer (docs/architecture.md §2, "encode once, send to all"): the
 * capture path encodes a frame once and enqueues the same packet to every
 * peer's loop. Each loop owns a small bounded queue and sends from it
 * asynchronously, so:
 * - enqueue() does not call the transport itself (but for a burst, below)
 *   and never waits on it;
 * - a stalled or slow peer only fills ITS OWN queue, where the oldest frames
 *   are dropped first (for live voice a late frame is worth less than a
 *   fresh one), and never delays another peer's loop;
 * - a burst is not a slow peer: a capture that catches up after the process
 *   stalled hands over several frames in one turn, before the loop's
 *   microtask could run. A full queue with no send in flight is then sent
 *   at once instead of losing its oldest frames (they carry sequence numbers
 *   already, so dropping them would be loss on a perfect network; one
 *   150 ms stall cost 4 packets before this);
 * - a send function that throws or rejects (e.g. the track is not open yet,
 *   docs/architecture.md §6) is caught and counted, never propagated.
 * A send that neither resolves nor rejects within `sendTimeoutMs` is counted
 * as timed out and the loop moves on, so one hung promise cannot wedge a peer
 * forever.
 */
import { monotonicClock, type Clock, type TimerHandle } from '../../core/clock.js';
import { silentLogger, type Logger } from '../../core/logger.js';

export type SendFn<P> = (packet: P) => void | Promise<void>;

export interface SendLoopOptions<P> {
  send: SendFn<P>;
  clock?: Clock;
  /** Frames waiting (not counting one in flight); default 4. */
  maxQueue?: number;
  /** Give up waiting on an async send after this long; default 1000 ms. */
  sendTimeoutMs?: number;
  logger?: Logger;
}

export interface SendLoopStats {
  /** Packets waiting now. */
  queued: number;
  sent: number;
  droppedOverflow: number;
  sendErrors: number;
  sendTimeouts: number;
  /** Enqueue → send-start delay of the most recent send, ms. */
  lastDelayMs: number;
  maxDelayMs: number;
  meanDelayMs: number;
  lastError: string | undefined;
}

interface Entry<P> {
  packet: P;
  enqueuedMs: number;
}

export class SendLoop<P = Uint8Array> {
  private readonly send: SendFn<P>;
  private readonly clock: Clock;
  private readonly maxQueue: number;
  private readonly sendTimeoutMs: number;
  private readonly log: Logger;
  private readonly queue: Entry<P>[] = [];
  private scheduled = false;
  private inFlight = false;
  /** Bumped on each async send so a late settle of a timed-out send is ignored. */
  private flightId = 0;
  private flightTimer: TimerHandle | undefined;
  private closed = false;
  private sentCount = 0;
  private dropped = 0;
  private errors = 0;
  private timeouts = 0;
  private delaySumMs = 0;
  private lastDelay = 0;
  private maxDelay = 0;
  private lastErrorMessage: string | undefined;

  constructor(opts: SendLoopOptions<P>) {
    if (typeof opts.send !== 'function') throw new TypeError('SendLoop needs a send function');
    const maxQueue = opts.maxQueue ?? 4;
    const sendTimeoutMs = opts.sendTimeoutMs ?? 1000;
    if (!Number.isInteger(maxQueue) || maxQueue < 1) throw new RangeError(`maxQueue must be an integer ≥ 1; got ${maxQueue}`);
    if (!(sendTimeoutMs > 0)) throw new RangeError(`sendTimeoutMs must be > 0; got ${sendTimeoutMs}`);
    this.send = opts.send;
    this.clock = opts.clock ?? monotonicClock;
    this.maxQueue = maxQueue;
    this.sendTimeoutMs = sendTimeoutMs;
    this.log = opts.logger ?? silentLogger;
  }

  /** Queue a packet for this peer; returns at once. Ignored after close(). */
  enqueue(packet: P): void {
    if (this.closed) return;
    // Full with nothing in flight: the transport is not behind, the queue only never had its turn (see the header).
    if (this.queue.length >= this.maxQueue && !this.inFlight) this.pump();
    if (this.queue.length >= this.maxQueue) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push({ packet, enqueuedMs: this.clock.now() });
    this.schedule();
  }

  /** Drop what is queued and stop sending; an in-flight send is abandoned. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.clearFlightTimer();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get stats(): SendLoopStats {
    return {
      queued: this.queue.length,
      sent: this.sentCount,
      droppedOverflow: this.dropped,
      sendErrors: this.errors,
      sendTimeouts: this.timeouts,
      lastDelayMs: this.lastDelay,
      maxDelayMs: this.maxDelay,
      meanDelayMs: this.sentCount + this.errors + this.timeouts === 0 ? 0 : this.delaySumMs / (this.sentCount + this.errors + this.timeouts),
      lastError: this.lastErrorMessage,
    };
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight || this.closed) return;
    this.scheduled = true;
    // A microtask: after the caller's synchronous fan-out to every peer, before any I/O.
    queueMicrotask(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.closed && !this.inFlight && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      const delayMs = this.clock.now() - entry.enqueuedMs;
      this.lastDelay = delayMs;
      this.delaySumMs += delayMs;
      if (delayMs > this.maxDelay) this.maxDelay = delayMs;
      let result: void | Promise<void>;
      try {
        result = this.send(entry.packet);
      } catch (err) {
        this.recordError(err);
        continue;
      }
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        this.awaitSend(result as Promise<void>);
      } else {
        this.sentCount++;
      }
    }
  }

  private awaitSend(promise: Promise<void>): void {
    this.inFlight = true;
    const id = ++this.flightId;
    this.flightTimer = this.clock.setTimer(() => {
      if (id !== this.flightId || !this.inFlight) return;
      this.flightTimer = undefined;
      this.timeouts++;
      this.log.debug('send-timeout', { timeoutMs: this.sendTimeoutMs });
      this.finishFlight();
    }, this.sendTimeoutMs);
    promise.then(
      () => {
        if (id !== this.flightId || !this.inFlight) return;
        this.sentCount++;
        this.finishFlight();
      },
      (err: unknown) => {
        if (id !== this.flightId || !this.inFlight) return;
        this.recordError(err);
        this.finishFlight();
      },
    );
  }

  private finishFlight(): void {
    this.clearFlightTimer();
    this.flightId++;
    this.inFlight = false;
    this.schedule();
  }

  private clearFlightTimer(): void {
    if (this.flightTimer !== undefined) this.clock.clearTimer(this.flightTimer);
    this.flightTimer = undefined;
  }

  private recordError(err: unknown): void {
    this.errors++;
    this.lastErrorMessage = err instanceof Error ? err.message : String(err);
    // The first error is worth a warning; a closed track fails every frame, so the rest go to debug.
    if (this.errors === 1) this.log.warn('send-error', { error: this.lastErrorMessage });
    else this.log.debug('send-error', { error: this.lastErrorMessage, errors: this.errors });
  }
}
