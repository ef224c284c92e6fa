import { describe, expect, it } from 'vitest';
import { ReceptionReporter } from '../../../src/engine/rtcp/reception-report.js';
import { buildReceiverReport, buildSenderReport, ntpFromUnixMs, ntpMiddle32, parseRtcp, rttFromReportBlock } from '../../../src/engine/rtcp/packets.js';
import { SequenceTracker } from '../../../src/engine/rtp/sequence.js';

describe('ReceptionReporter', () => {
  it('reports loss from our tracking and no LSR before any SR', () => {
    const tracker = new SequenceTracker();
    for (const s of [1, 2, 4, 5]) tracker.receive(s);
    const block = new ReceptionReporter(0x1234, tracker).build(1000);
    expect(block).toMatchObject({ ssrc: 0x1234, cumulativeLost: 1, fractionLost: 51, extendedHighestSeq: 5, lastSr: 0, delaySinceLastSr: 0 });
  });

  it('lets the sender compute the RTT from an SR → RR exchange (RFC 3550 §6.4.1)', () => {
    // Sender A sends an SR at wallclock t0; it takes 30 ms to reach B; B answers 200 ms later;
    // the RR takes 30 ms back. A should see RTT ≈ 60 ms.
    const t0UnixMs = 1_700_000_000_000;
    const ntp = ntpFromUnixMs(t0UnixMs);
    const sr = parseRtcp(buildSenderReport({ ssrc: 0xa, ntpSeconds: ntp.seconds, ntpFraction: ntp.fraction, rtpTimestamp: 0, packetCount: 1, octetCount: 1 }));
    if (!sr.ok || sr.packets[0]!.type !== 'sr') throw new Error('SR did not parse');
    const tracker = new SequenceTracker();
    tracker.receive(1);
    const reporter = new ReceptionReporter(0xa, tracker);
    const bMonotonicAtArrival = 5_000; // B's own monotonic clock
    reporter.onSenderReport(sr.packets[0]!, bMonotonicAtArrival);
    const rr = parseRtcp(buildReceiverReport({ ssrc: 0xb, reports: [reporter.build(bMonotonicAtArrival + 200)] }));
    if (!rr.ok || rr.packets[0]!.type !== 'rr') throw new Error('RR did not parse');
    const arrivalAtA = ntpMiddle32(ntpFromUnixMs(t0UnixMs + 30 + 200 + 30));
    expect(rttFromReportBlock(rr.packets[0]!.reports[0]!, arrivalAtA)).toBeCloseTo(60, 0);
  });
});
