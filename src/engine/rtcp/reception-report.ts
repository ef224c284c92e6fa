/**
 * Builds the reception report block we send about one remote source
 * (RFC 3550 §6.4.1), from the stream's ReceptionTracker (the same counts the
 * UI shows, docs/architecture.md §3) plus the timing of the last sender
 * report that source sent us:
 * - LSR = middle 32 bits of that SR's NTP timestamp (0 if none yet);
 * - DLSR = time since it arrived, in 1/65536 s.
 * The remote side then computes RTT = A − LSR − DLSR (rttFromReportBlock).
 */
import { ntpMiddle32, type ReportBlock, type SenderReport } from './packets.js';
import type { ReceptionTracker } from '../rtp/reception.js';

export class ReceptionReporter {
  private lastSrSsrc = 0;
  private lastSrMiddle32 = 0;
  private lastSrArrivalMs: number | undefined;

  constructor(private readonly tracker: ReceptionTracker) {}

  /**
   * Record an SR from the remote side; `arrivalMs` on the same monotonic
   * clock as `build`. Only an SR from the source the tracker follows counts.
   */
  onSenderReport(sr: Pick<SenderReport, 'ssrc' | 'ntpSeconds' | 'ntpFraction'>, arrivalMs: number): void {
    if (sr.ssrc !== this.tracker.ssrc) return;
    this.lastSrSsrc = sr.ssrc;
    this.lastSrMiddle32 = ntpMiddle32({ seconds: sr.ntpSeconds, fraction: sr.ntpFraction });
    this.lastSrArrivalMs = arrivalMs;
  }

  /** The block for our next RR/SR, or null before any RTP arrived; starts a new fraction-lost interval (A.3). */
  build(nowMs: number): ReportBlock | null {
    const ssrc = this.tracker.ssrc;
    if (ssrc === undefined) return null;
    const interval = this.tracker.takeIntervalReport();
    // An SR of an earlier source says nothing about this one (LSR is per source, §6.4.1).
    const srArrivalMs = this.lastSrSsrc === ssrc ? this.lastSrArrivalMs : undefined;
    const delayS = srArrivalMs === undefined ? 0 : Math.max(0, nowMs - srArrivalMs) / 1000;
    return {
      ssrc,
      fractionLost: interval.fractionLost,
      cumulativeLost: interval.cumulativeLost,
      extendedHighestSeq: interval.extendedHighestSeq,
      jitter: interval.jitter >>> 0,
      lastSr: srArrivalMs === undefined ? 0 : this.lastSrMiddle32,
      delaySinceLastSr: srArrivalMs === undefined ? 0 : Math.min(0xffffffff, Math.round(delayS * 65536)),
    };
  }
}
