/**
 * The RTCP state we keep about one remote peer (RFC 3550 §6), apart from
 * any peer connection: what arrives goes in as bytes with its arrival time,
 * what we send comes out as bytes built at a given `now`
 * (docs/architecture.md §3).
 *
 * - Sender reports from the peer's source give LSR/DLSR for our report
 *   block about it (ReceptionReporter).
 * - Report blocks about OUR source, in the peer's SR or RR, give the round
 *   trip time RTT = A − LSR − DLSR (§6.4.1), A being the block's arrival on
 *   our NTP wallclock. The peer's LSR echoes an NTP time from our own
 *   sender report (libdatachannel's RtcpSrReporter stamps it from the
 *   system wallclock), so A must be wallclock time too, not a monotonic one.
 * - The same blocks' fraction lost is how the peer hears our stream: it is
 *   handed on (`onReportAboutUs`) to the sender's redundancy policy
 *   (send/redundancy-policy.ts).
 * - Our receiver report (§6.4.2) carries one block about the peer's stream,
 *   from the stream's ReceptionTracker: the same counts the UI shows.
 */
import { buildReceiverReport, ntpFromUnixMs, ntpMiddle32, parseRtcp, rttFromReportBlock, type ReportBlock } from './packets.js';
import { ReceptionReporter } from './reception-report.js';
import type { ReceptionTracker } from '../rtp/reception.js';

/** A round trip longer than this is taken for inconsistent clocks or values, not a measurement. */
const MAX_PLAUSIBLE_RTT_MS = 10_000;

export interface RtcpSessionOptions {
  /** Our SSRC: what our receiver reports are sent from, and whose report blocks carry our RTT. */
  localSsrc: number;
  /** The peer's stream as we receive it. */
  reception: ReceptionTracker;
  /** Each report block the peer sends about our source, with its arrival (monotonic ms). */
  onReportAboutUs?: (block: ReportBlock, arrivalMs: number) => void;
}

export class RtcpSession {
  private readonly localSsrc: number;
  private readonly reporter: ReceptionReporter;
  private rtt: number | null = null;
  private readonly onReportAboutUs: ((block: ReportBlock, arrivalMs: number) => void) | undefined;

  constructor(options: RtcpSessionOptions) {
    this.localSsrc = options.localSsrc;
    this.onReportAboutUs = options.onReportAboutUs;
    this.reporter = new ReceptionReporter(options.reception);
  }

  /**
   * One (compound) RTCP packet from the peer. `arrivalMs` is on the
   * monotonic clock `buildReport` gets (for DLSR), `arrivalUnixMs` the
   * wallclock at the same instant (for RTT). False if it does not parse.
   */
  receive(bytes: Uint8Array, arrivalMs: number, arrivalUnixMs: number): boolean {
    const parsed = parseRtcp(bytes);
    if (!parsed.ok) return false;
    for (const p of parsed.packets) {
      if (p.type === 'other') continue;
      if (p.type === 'sr') this.reporter.onSenderReport(p, arrivalMs);
      for (const block of p.reports) {
        if (block.ssrc !== this.localSsrc) continue;
        this.onReportAboutUs?.(block, arrivalMs);
        if (block.lastSr === 0) continue;
        const rtt = rttFromReportBlock(block, ntpMiddle32(ntpFromUnixMs(arrivalUnixMs)));
        if (rtt !== null && rtt >= 0 && rtt < MAX_PLAUSIBLE_RTT_MS) this.rtt = rtt;
      }
    }
    return true;
  }

  /**
   * Our receiver report about the peer's stream at `nowMs` (monotonic), or
   * null before any RTP from it. Starts a new fraction-lost interval (A.3).
   */
  buildReport(nowMs: number): Buffer | null {
    const block = this.reporter.build(nowMs);
    return block === null ? null : buildReceiverReport({ ssrc: this.localSsrc, reports: [block] });
  }

  /** The last round-trip time measured, ms, or null before any. */
  get rttMs(): number | null {
    return this.rtt;
  }
}
