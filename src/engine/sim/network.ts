/**
 * A simulated one-way network path for `roundtable loopback`, tests and
 * benchmarks: seeded random loss, delay jitter and (as a consequence of
 * jitter larger than the packet spacing, or explicitly) reordering.
 * Kernel netem is not available here (docs/architecture.md §10), so impairment happens
 * in user space, before the jitter buffer.
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
  dropped: number;
  delivered: number;
  /** Packets that arrived after a packet sent later than them. */
  reordered: number;
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
  return imp;
}

export class SimulatedNetwork {
  private readonly random: Random;
  private readonly inFlight = new Set<ReturnType<Clock['setTimer']>>();
  private lastDeliveredSendIndex = -1;
  private sendIndex = 0;
  private closed = false;
  readonly stats: NetworkStats = { sent: 0, dropped: 0, delivered: 0, reordered: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly impairment: NetworkImpairment,
    private readonly deliver: (packet: Uint8Array, arrivalMs: number) => void,
  ) {
    validateImpairment(impairment);
    this.random = createRandom(impairment.seed);
  }

  /** Send one packet; it is copied, so the caller may reuse its buffer. */
  send(packet: Uint8Array): void {
    if (this.closed) return;
    const index = this.sendIndex++;
    this.stats.sent++;
    // Draw every random number for every packet, lost or not, so that a
    // change of loss rate does not reshuffle the delays of the survivors.
    const lost = this.random.next() * 100 < this.impairment.lossPercent;
    const jitter = this.random.next() * this.impairment.jitterMs;
    const hold = this.random.next() * 100 < this.impairment.reorderPercent ? this.impairment.reorderHoldMs : 0;
    if (lost) {
      this.stats.dropped++;
      return;
    }
    const copy = Uint8Array.from(packet);
    const delayMs = this.impairment.baseDelayMs + jitter + hold;
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

  /** Drop everything still in flight. */
  close(): void {
    this.closed = true;
    for (const h of this.inFlight) this.clock.clearTimer(h);
    this.inFlight.clear();
  }
}
