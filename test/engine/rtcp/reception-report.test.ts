import { describe, expect, it } from 'vitest';
import { ReceptionReporter } from '../../../src/engine/rtcp/reception-report.js';
import { buildReceiverReport, buildSenderReport, ntpFromUnixMs, ntpMiddle32, parseRtcp, rttFromReportBlock, type SenderReport } from '../../../src/engine/rtcp/packets.js';
import { ReceptionTracker } from '../../../src/engine/rtp/reception.js';

const rtp = (ssrc: number, seq: number) => ({ ssrc, sequenceNumber: seq, timestamp: seq * 960 });

function senderReport(ssrc: number, unixMs: number): SenderReport {
  const ntp = ntpFromUnixMs(unixMs);
  const sr = parseRtcp(buildSenderReport({ ssrc, ntpSeconds: ntp.seconds, ntpFraction: ntp.fraction, rtpTimestamp: 0, packetCount: 1, octetCount: 1 }));
  if (!sr.ok || sr.packets[0]!.type !== 'sr') throw new Error('SR did not parse');
  return sr.packets[0]!;
}

describe('ReceptionReporter', () => {
  it('reports loss from our tracking and no LSR before any SR', () => {
    const tracker = new ReceptionTracker();
    for (const s of [1, 2, 4, 5]) tracker.receive(rtp(0x1234, s));
    const block = new ReceptionReporter(tracker).build(1000);
    expect(block).toMatchObject({ ssrc: 0x1234, cumulativeLost: 1, fractionLost: 51, extendedHighestSeq: 5, lastSr: 0, delaySinceLastSr: 0 });
  });

  it('has no block before the first RTP packet', () => {
    expect(new ReceptionReporter(new ReceptionTracker()).build(1000)).toBeNull();
  });

  it('lets the sender compute the RTT from an SR → RR exchange (RFC 3550 §6.4.1)', () => {
    // Sender A sends an SR at wallclock t0; it takes 30 ms to reach B; B answers 200 ms later;
    // the RR takes 30 ms back. A should see RTT ≈ 60 ms.
    const t0UnixMs = 1_700_000_000_000;
    const tracker = new ReceptionTracker();
    tracker.receive(rtp(0xa, 1));
    const reporter = new ReceptionReporter(tracker);
    const bMonotonicAtArrival = 5_000; // B's own monotonic clock
    reporter.onSenderReport(senderReport(0xa, t0UnixMs), bMonotonicAtArrival);
    const rr = parseRtcp(buildReceiverReport({ ssrc: 0xb, reports: [reporter.build(bMonotonicAtArrival + 200)!] }));
    if (!rr.ok || rr.packets[0]!.type !== 'rr') throw new Error('RR did not parse');
    const arrivalAtA = ntpMiddle32(ntpFromUnixMs(t0UnixMs + 30 + 200 + 30));
    expect(rttFromReportBlock(rr.packets[0]!.reports[0]!, arrivalAtA)).toBeCloseTo(60, 0);
  });

  it('ignores an SR of another source, and forgets the LSR when the source changes', () => {
    const tracker = new ReceptionTracker();
    tracker.receive(rtp(0xa, 1));
    const reporter = new ReceptionReporter(tracker);
    reporter.onSenderReport(senderReport(0xbad, 1_700_000_000_000), 100);
    expect(reporter.build(200)).toMatchObject({ lastSr: 0, delaySinceLastSr: 0 });
    reporter.onSenderReport(senderReport(0xa, 1_700_000_000_000), 300);
    expect(reporter.build(400)!.lastSr).not.toBe(0);
    tracker.receive(rtp(0xc, 9)); // the sender restarted with a new SSRC
    expect(reporter.build(500)).toMatchObject({ ssrc: 0xc, lastSr: 0, delaySinceLastSr: 0 });
  });
});
