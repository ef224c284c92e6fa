/**
 * Builds the reception report block we send about one remote source
 * (RFC 3550 §6.4.1), from our own SequenceTracker plus the timing of the
 * last sender report that source sent us:
 * - LSR = middle 32 bits of that SR's NTP timestamp (0 if none yet);
 * - DLSR = time since it arrived, in 1/65536 s.
 * The remote side then computes RTT = A − LSR − DLSR (rttFromReportBlock).
 */
import { ntpMiddle32, type ReportBlock, type SenderReport } from './packets.js';
import type { SequenceTracker } from '../rtp/sequence.js';

export class ReceptionReporter {
  private lastSrMiddle32 = 0;
  private lastSrArrivalMs: number | undefined;

  constructor(
    /** SSRC of the remote source this block reports on. */
    readonly remoteSsrc: number,
    private readonly tracker: SequenceTracker,
  ) {}

  /** Record an SR from the remote source; `arrivalMs` on the same monotonic clock as `build`. */
  onSenderReport(sr: Pick<SenderReport, 'ntpSeconds' | 'ntpFraction'>, arrivalMs: number): void {
    this.lastSrMiddle32 = ntpMiddle32({ seconds: sr.ntpSeconds, fraction: sr.ntpFraction });
    this.lastSrArrivalMs = arrivalMs;
  }

  /** The block for our next RR/SR; starts a new fraction-lost interval (A.3). */
  build(nowMs: number): ReportBlock {
    const interval = this.tracker.takeIntervalReport();
    const delayS = this.lastSrArrivalMs === undefined ? 0 : Math.max(0, nowMs - this.lastSrArrivalMs) / 1000;
    return {
      ssrc: this.remoteSsrc,
      fractionLost: interval.fractionLost,
      cumulativeLost: interval.cumulativeLost,
      extendedHighestSeq: interval.extendedHighestSeq,
      jitter: interval.jitter >>> 0,
      lastSr: this.lastSrMiddle32,
      delaySinceLastSr: this.lastSrArrivalMs === undefined ? 0 : Math.min(0xffffffff, Math.round(delayS * 65536)),
    };
  }
}
