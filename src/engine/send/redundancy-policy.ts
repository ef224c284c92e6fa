/**
 * How many earlier frames to repeat in each packet to one peer (RFC 2198
 * RED, docs/architecture.md §2), from the loss that peer reports about our
 * stream in its RTCP report blocks (fraction lost, RFC 3550 §6.4.1). Pure:
 * reports and their arrival times go in, a distance (0, 1 or 2) comes out.
 *
 * Why these numbers:
 * - With independent loss p, distance d leaves about p^(d+1) of the frames
 *   lost (a frame is gone only if its packet and the d after it are all
 *   lost). The goal is at most 0.5 % concealed: distance 1 meets it up to
 *   p ≈ 7 % (0.49 %), distance 2 up to p ≈ 17 %.
 * - Each step repeats a whole frame: distance 1 about doubles the payload
 *   bitrate (32 kb/s Opus → ~64 kb/s), distance 2 triples it. So nothing on
 *   a clean link; 1 from 2 % loss (where a frame in 50 is concealed: an
 *   audible click every second of speech); 2 from 7 %.
 * - Hysteresis in level and time: up at once when a report crosses the
 *   threshold (the loss is happening now), down only after every report for
 *   `holdDownMs` (10 s) stayed below a lower threshold (1 % for 1 → 0, 4 %
 *   for 2 → 1): loss comes in episodes, and switching off between two bursts
 *   would give the second one nothing to recover from.
 * - The input is smoothed (half the new report, half the past), so one
 *   interval with a single lost packet (2 % of 50) does not switch on RED
 *   by itself, yet two such intervals running do.
 * - A report whose extended highest sequence number did not move says
 *   nothing about loss (we sent nothing to that peer: silence, mute); it is
 *   ignored, so a pause neither switches redundancy off nor resets the hold.
 *
 * - **From the first frame** at distance 1 (`startDistance`): the first
 *   receiver report comes about a second into the call and the smoothing
 *   needs a second one, so a policy that waited for reports left the first
 *   words of every call on a lossy path unprotected (2.3–2.7 % concealed in
 *   6 s calls at 5 % loss, against 0.37 % in steady state; bench/results.md).
 *   Until a report has shown any loss (smoothed ≥ `offBelow`), the step
 *   down needs only `startHoldMs` (2 s) of clean reports, so a clean link
 *   pays the doubled payload for about the first 3 s of the call and nothing
 *   after. Chromium sends RED from the first packet too, without adapting.
 *
 * The peer's fraction lost counts packets, never frames recovered from
 * redundancy (receivers count those apart, rtp/reception.ts), so RED does
 * not hide the loss that keeps it on.
 */

export type RedDistance = 0 | 1 | 2;
export const MAX_RED_DISTANCE: RedDistance = 2;

export interface RedundancyPolicyOptions {
  /** Smoothed loss (0..1) at or above which distance 0 becomes 1. Default 0.02. */
  oneAt?: number;
  /** … 1 becomes 2. Default 0.07. */
  twoAt?: number;
  /** Below this for holdDownMs, 1 becomes 0. Default 0.01. */
  offBelow?: number;
  /** Below this for holdDownMs, 2 becomes 1. Default 0.04. */
  oneBelow?: number;
  /** Default 10 000 ms. */
  holdDownMs?: number;
  /** Weight of a new report in the smoothed loss (0 < w ≤ 1). Default 0.5. */
  weight?: number;
  /** Distance before any report (from the first frame). Default 1. */
  startDistance?: RedDistance;
  /** The step-down hold while no report has shown loss yet. Default 2000 ms. */
  startHoldMs?: number;
}

export class RedundancyPolicy {
  private readonly oneAt: number;
  private readonly twoAt: number;
  private readonly offBelow: number;
  private readonly oneBelow: number;
  private readonly holdDownMs: number;
  private readonly weight: number;
  private readonly startHoldMs: number;
  private current: RedDistance;
  /** A counted report's smoothed loss reached offBelow: from then on the step down holds holdDownMs. */
  private lossSeen = false;
  private smoothed = 0;
  private measured = false;
  private hasHighest = false;
  private lastHighest = 0;
  /** Arrival of the first report of the current run below the step-down threshold, or null. */
  private belowSinceMs: number | null = null;
  private reports = 0;

  constructor(options: RedundancyPolicyOptions = {}) {
    this.oneAt = options.oneAt ?? 0.02;
    this.twoAt = options.twoAt ?? 0.07;
    this.offBelow = options.offBelow ?? 0.01;
    this.oneBelow = options.oneBelow ?? 0.04;
    this.holdDownMs = options.holdDownMs ?? 10_000;
    this.weight = options.weight ?? 0.5;
    this.startHoldMs = options.startHoldMs ?? 2000;
    this.current = options.startDistance ?? 1;
    if (this.current !== 0 && this.current !== 1 && this.current !== 2) throw new RangeError(`startDistance must be 0, 1 or 2; got ${String(this.current)}`);
    if (!(this.startHoldMs >= 0)) throw new RangeError(`startHoldMs must be ≥ 0; got ${this.startHoldMs}`);
    if (!(this.offBelow <= this.oneAt && this.oneAt <= this.oneBelow && this.oneBelow <= this.twoAt)) {
      throw new RangeError('thresholds must satisfy offBelow ≤ oneAt ≤ oneBelow ≤ twoAt');
    }
    if (!(this.weight > 0 && this.weight <= 1)) throw new RangeError(`weight must be in (0, 1]; got ${this.weight}`);
    if (!(this.holdDownMs >= 0)) throw new RangeError(`holdDownMs must be ≥ 0; got ${this.holdDownMs}`);
  }

  /**
   * One report block about our stream: `fractionLost` as sent (8-bit fixed
   * point, loss × 256), the block's extended highest sequence number, and
   * when it arrived. Returns the distance from now on.
   */
  onReport(fractionLost: number, extendedHighestSeq: number, nowMs: number): RedDistance {
    const moved = !this.hasHighest || extendedHighestSeq !== this.lastHighest;
    this.hasHighest = true;
    this.lastHighest = extendedHighestSeq;
    if (!moved || !Number.isFinite(fractionLost)) return this.current;
    const loss = Math.min(255, Math.max(0, fractionLost)) / 256;
    this.smoothed = this.measured ? this.smoothed + this.weight * (loss - this.smoothed) : loss;
    this.measured = true;
    this.reports++;
    if (this.smoothed >= this.offBelow) this.lossSeen = true;

    const up: RedDistance = this.smoothed >= this.twoAt ? 2 : this.smoothed >= this.oneAt ? 1 : 0;
    if (up > this.current) {
      this.current = up;
      this.belowSinceMs = null;
      return this.current;
    }
    const downThreshold = this.current === 2 ? this.oneBelow : this.current === 1 ? this.offBelow : -1;
    if (this.smoothed >= downThreshold) {
      this.belowSinceMs = null;
      return this.current;
    }
    this.belowSinceMs ??= nowMs;
    if (nowMs - this.belowSinceMs >= (this.lossSeen ? this.holdDownMs : this.startHoldMs)) {
      this.current = (this.current - 1) as RedDistance;
      // A further step down needs its own hold.
      this.belowSinceMs = this.current > 0 ? nowMs : null;
    }
    return this.current;
  }

  get distance(): RedDistance {
    return this.current;
  }

  /** The smoothed loss the decisions use (0..1), or null before a report that counted. */
  get smoothedLoss(): number | null {
    return this.measured ? this.smoothed : null;
  }

  /** Reports that carried news (the sequence number moved). */
  get reportsUsed(): number {
    return this.reports;
  }
}
