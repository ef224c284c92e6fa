/**
 * A simulated one-way network path for `roundtable loopback`, the UDP relay
 * of the impairment harness (`udp-relay.ts`), tests and benchmarks: seeded
 * random loss, Gilbert–Elliott burst loss, delay and jitter (and, as a
 * consequence of jitter larger than the packet spacing, or explicitly,
 * reordering), duplication, a rate limit with a drop-tail queue, and outages.
 * Kernel netem is not available here (docs/architecture.md §10), so impairment
 * happens in user space: before the jitter buffer in `loopback`, between the
 * clients and a TURN server in the relay.
 */
import type { Clock } from '../../core/clock.js';
import { createRandom, type Random } from './prng.js';

export interface NetworkImpairment {
  /** Probability of losing each packet, in percent (0–100). */
  lossPercent: number;
  /** Each packet gets an extra delay drawn uniformly from [0, jitterMs]. */
  jitterMs: number;
  /** Fixed one-way delay added to every packet. */
  baseDelayMs: number;
  /**
   * Extra probability (percent) of holding a packet back by one more
   * `reorderHoldMs`, so it arrives after its successor even on a low-jitter link.
   */
  reorderPercent: number;
  reorderHoldMs: number;
  seed: number;
  /** Burst loss on top of `lossPercent` (absent: none). */
  gilbertElliott?: GilbertElliott;
  /** Probability of delivering a packet twice, in percent (0–100). */
  duplicatePercent?: number;
  /** A bottleneck link with a drop-tail queue (absent: unlimited). */
  rateLimit?: RateLimit;
}

/**
 * The Gilbert–Elliott two-state channel: in the Good state packets are lost
 * with probability `lossInGood`, in the Bad state with `lossInBad`; after each
 * packet the channel moves Good → Bad with probability `p` and Bad → Good with
 * probability `r`. With the usual lossInGood = 0, lossInBad = 1 (Gilbert's
 * simple model), bursts last 1/r packets on average and the long-run loss is
 * p / (p + r). All values are probabilities in [0, 1].
 */
export interface GilbertElliott {
  p: number;
  r: number;
  lossInBad?: number;
  lossInGood?: number;
}

/** p and r for a long-run loss of `lossPercent` in bursts of `meanBurstPackets` on average (lossInBad = 1). */
export function gilbertElliottFor(lossPercent: number, meanBurstPackets: number): GilbertElliott {
  if (!(lossPercent >= 0 && lossPercent < 100)) throw new RangeError(`burst loss must be in [0, 100); got ${lossPercent}`);
  if (!(meanBurstPackets >= 1)) throw new RangeError(`mean burst length must be at least 1 packet; got ${meanBurstPackets}`);
  const r = 1 / meanBurstPackets;
  const share = lossPercent / 100;
  // Stationary share of the Bad state: π_B = p / (p + r) = share.
  return { p: (r * share) / (1 - share), r };
}

/**
 * A link of `bytesPerS` in front of a FIFO queue of `queueBytes`: a packet
 * waits for the bytes ahead of it to be serialized, and a packet that does
 * not fit in the queue is dropped (drop-tail), as a router's bottleneck does.
 */
export interface RateLimit {
  bytesPerS: number;
  /** Default: 200 ms worth of the rate. */
  queueBytes?: number;
}

export const CLEAN_LINK: NetworkImpairment = {
  lossPercent: 0,
  jitterMs: 0,
  baseDelayMs: 0,
  reorderPercent: 0,
  reorderHoldMs: 0,
  seed: 1,
};

export interface NetworkStats {
  sent: number;
  /** All drops, whatever the cause (the sum of `droppedBy`). */
  dropped: number;
  droppedBy: { random: number; burst: number; rate: number; outage: number };
  /** Packets that arrived (an extra copy counts again). */
  delivered: number;
  /** Extra copies made (before delivery). */
  duplicated: number;
  /** Packets that arrived after a packet sent later than them. */
  reordered: number;
}

export function emptyNetworkStats(): NetworkStats {
  return { sent: 0, dropped: 0, droppedBy: { random: 0, burst: 0, rate: 0, outage: 0 }, delivered: 0, duplicated: 0, reordered: 0 };
}

/** An interval during which nothing gets through, relative to the schedule's epoch. */
export interface Outage {
  atMs: number;
  forMs: number;
}

/**
 * When the path is down: scripted outages relative to an epoch (e.g. when a
 * relay started) plus ones started on demand. One schedule may be shared by
 * many `SimulatedNetwork`s (both directions of every client of a relay), so
 * an outage cuts the whole path at once.
 */
export class OutageSchedule {
  private readonly windows: Array<{ startMs: number; endMs: number }> = [];

  constructor(
    private readonly clock: Clock,
    scripted: readonly Outage[] = [],
    private readonly epochMs = clock.now(),
  ) {
    for (const o of scripted) this.add(epochMs + o.atMs, o.forMs);
  }

  /** Start an outage now; returns when it starts and ends on the schedule's clock. */
  start(forMs: number): { startMs: number; endMs: number } {
    return this.add(this.clock.now(), forMs);
  }

  isDown(nowMs: number): boolean {
    return this.windows.some((w) => nowMs >= w.startMs && nowMs < w.endMs);
  }

  /** Every outage, on the schedule's clock, in the order added. */
  get all(): ReadonlyArray<{ startMs: number; endMs: number }> {
    return this.windows;
  }

  private add(startMs: number, forMs: number): { startMs: number; endMs: number } {
    if (!(Number.isFinite(startMs) && startMs >= this.epochMs - 1e-9) || !(forMs >= 0 && Number.isFinite(forMs))) {
      throw new RangeError(`an outage needs atMs ≥ 0 and forMs ≥ 0; got at ${startMs - this.epochMs}, for ${forMs}`);
    }
    const w = { startMs, endMs: startMs + forMs };
    this.windows.push(w);
    return w;
  }
}

export function validateImpairment(imp: NetworkImpairment): NetworkImpairment {
  const check = (name: string, v: number, lo: number, hi: number): void => {
    if (!Number.isFinite(v) || v < lo || v > hi) throw new RangeError(`${name} must be between ${lo} and ${hi}; got ${v}`);
  };
  check('loss', imp.lossPercent, 0, 100);
  check('jitter', imp.jitterMs, 0, 10_000);
  check('delay', imp.baseDelayMs, 0, 10_000);
  check('reorder', imp.reorderPercent, 0, 100);
  check('reorder hold', imp.reorderHoldMs, 0, 10_000);
  if (!Number.isInteger(imp.seed)) throw new RangeError(`seed must be an integer; got ${imp.seed}`);
  if (imp.duplicatePercent !== undefined) check('duplication', imp.duplicatePercent, 0, 100);
  const ge = imp.gilbertElliott;
  if (ge !== undefined) {
    check('Gilbert–Elliott p', ge.p, 0, 1);
    check('Gilbert–Elliott r', ge.r, 0, 1);
    check('Gilbert–Elliott loss in Bad', ge.lossInBad ?? 1, 0, 1);
    check('Gilbert–Elliott loss in Good', ge.lossInGood ?? 0, 0, 1);
  }
  if (imp.rateLimit !== undefined) {
    check('rate limit (bytes/s)', imp.rateLimit.bytesPerS, 1, 1e10);
    if (imp.rateLimit.queueBytes !== undefined) check('queue (bytes)', imp.rateLimit.queueBytes, 0, 1e9);
  }
  return imp;
}

/** Seeds of the independent random streams (golden-ratio offsets), so each feature has its own. */
const BURST_STREAM = 0x9e3779b9;
const DUPLICATE_STREAM = 0x3c6ef372;

export class SimulatedNetwork {
  private readonly random: Random;
  // Burst loss and duplication draw from streams of their own: turning them
  // on leaves the random loss and delays of the same seed as they were.
  private readonly burstRandom: Random;
  private readonly duplicateRandom: Random;
  private readonly inFlight = new Set<ReturnType<Clock['setTimer']>>();
  private readonly queueBytes: number;
  private inBadState = false;
  /** When the bottleneck link will have sent everything queued so far. */
  private linkBusyUntilMs = -Infinity;
  private lastDeliveredSendIndex = -1;
  private sendIndex = 0;
  private closed = false;
  readonly stats: NetworkStats = emptyNetworkStats();

  constructor(
    private readonly clock: Clock,
    private readonly impairment: NetworkImpairment,
    private readonly deliver: (packet: Uint8Array, arrivalMs: number) => void,
    private readonly outages?: OutageSchedule,
  ) {
    validateImpairment(impairment);
    this.random = createRandom(impairment.seed);
    this.burstRandom = createRandom((impairment.seed ^ BURST_STREAM) >>> 0);
    this.duplicateRandom = createRandom((impairment.seed ^ DUPLICATE_STREAM) >>> 0);
    const rate = impairment.rateLimit;
    this.queueBytes = rate === undefined ? Infinity : (rate.queueBytes ?? rate.bytesPerS * 0.2);
  }

  /** Send one packet; it is copied, so the caller may reuse its buffer. */
  send(packet: Uint8Array): void {
    if (this.closed) return;
    const now = this.clock.now();
    const index = this.sendIndex++;
    this.stats.sent++;
    // Draw every random number for every packet, lost or not, so that a
    // change of loss rate does not reshuffle the delays of the survivors.
    const lost = this.random.next() * 100 < this.impairment.lossPercent;
    const jitter = this.random.next() * this.impairment.jitterMs;
    const hold = this.random.next() * 100 < this.impairment.reorderPercent ? this.impairment.reorderHoldMs : 0;
    const burstLost = this.nextBurstLoss();
    const duplicate = this.duplicateRandom.next() * 100 < (this.impairment.duplicatePercent ?? 0);
    const duplicateJitter = this.duplicateRandom.next() * this.impairment.jitterMs;

    if (this.outages?.isDown(now) === true) return this.drop('outage');
    if (lost) return this.drop('random');
    if (burstLost) return this.drop('burst');
    const queueDelayMs = this.enqueue(packet.byteLength, now);
    if (queueDelayMs === null) return this.drop('rate');

    const base = this.impairment.baseDelayMs + queueDelayMs;
    this.schedule(Uint8Array.from(packet), index, base + jitter + hold);
    if (duplicate) {
      // The copy is made after the bottleneck (as by a misbehaving switch or
      // a retransmitting link layer), so it takes no queue room of its own.
      this.stats.duplicated++;
      this.schedule(Uint8Array.from(packet), index, base + duplicateJitter);
    }
  }

  /** Drop everything still in flight. */
  close(): void {
    this.closed = true;
    for (const h of this.inFlight) this.clock.clearTimer(h);
    this.inFlight.clear();
  }

  private drop(cause: keyof NetworkStats['droppedBy']): void {
    this.stats.dropped++;
    this.stats.droppedBy[cause]++;
  }

  /** The Gilbert–Elliott channel: the loss decision in the current state, then the state transition. */
  private nextBurstLoss(): boolean {
    const ge = this.impairment.gilbertElliott;
    const lossDraw = this.burstRandom.next();
    const moveDraw = this.burstRandom.next();
    if (ge === undefined) return false;
    const lost = lossDraw < (this.inBadState ? (ge.lossInBad ?? 1) : (ge.lossInGood ?? 0));
    this.inBadState = this.inBadState ? moveDraw >= ge.r : moveDraw < ge.p;
    return lost;
  }

  /** Queueing plus serialization delay at the bottleneck, or null when the queue is full (drop-tail). */
  private enqueue(bytes: number, nowMs: number): number | null {
    const rate = this.impairment.rateLimit;
    if (rate === undefined) return 0;
    const backlogBytes = (Math.max(0, this.linkBusyUntilMs - nowMs) * rate.bytesPerS) / 1000;
    if (backlogBytes + bytes > this.queueBytes) return null;
    this.linkBusyUntilMs = Math.max(nowMs, this.linkBusyUntilMs) + (bytes * 1000) / rate.bytesPerS;
    return this.linkBusyUntilMs - nowMs;
  }

  private schedule(copy: Uint8Array, index: number, delayMs: number): void {
    if (delayMs <= 0) {
      this.arrive(copy, index);
      return;
    }
    const handle = this.clock.setTimer(() => {
      this.inFlight.delete(handle);
      this.arrive(copy, index);
    }, delayMs);
    this.inFlight.add(handle);
  }

  private arrive(packet: Uint8Array, index: number): void {
    if (this.closed) return;
    this.stats.delivered++;
    if (index < this.lastDeliveredSendIndex) this.stats.reordered++;
    else this.lastDeliveredSendIndex = index;
    this.deliver(packet, this.clock.now());
  }
}
