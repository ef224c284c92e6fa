import { describe, expect, it } from 'vitest';
import { RtcpSession } from '../../../src/engine/rtcp/rtcp-session.js';
import { buildReceiverReport, buildSenderReport, ntpFromUnixMs, ntpMiddle32, parseRtcp, type ReportBlock } from '../../../src/engine/rtcp/packets.js';
import { ReceptionTracker } from '../../../src/engine/rtp/reception.js';

const LOCAL = 0x0a0a0a0a;
const REMOTE = 0x0b0b0b0b;
const T0_UNIX_MS = 1_700_000_000_000;

function session() {
  const reception = new ReceptionTracker();
  return { reception, rtcp: new RtcpSession({ localSsrc: LOCAL, reception }) };
}

/** A report block from the peer about `ssrc`, echoing our SR sent at `srUnixMs` and held `heldMs`. */
function blockAbout(ssrc: number, srUnixMs: number, heldMs: number): ReportBlock {
  return {
    ssrc,
    fractionLost: 0,
    cumulativeLost: 0,
    extendedHighestSeq: 0,
    jitter: 0,
    lastSr: ntpMiddle32(ntpFromUnixMs(srUnixMs)),
    delaySinceLastSr: Math.round((heldMs / 1000) * 65536),
  };
}

function parsedReport(bytes: Uint8Array | null) {
  if (bytes === null) throw new Error('no report');
  const r = parseRtcp(bytes);
  if (!r.ok || r.packets.length !== 1 || r.packets[0]!.type !== 'rr') throw new Error('not one receiver report');
  return r.packets[0]!;
}

describe('RtcpSession', () => {
  it('measures the round trip from a report block about our source (RFC 3550 §6.4.1)', () => {
    const { rtcp } = session();
    expect(rtcp.rttMs).toBeNull();
    // Our SR left at T0, the peer held it 200 ms, its RR arrives at T0 + 260: 60 ms on the wire both ways.
    const rr = buildReceiverReport({ ssrc: REMOTE, reports: [blockAbout(LOCAL, T0_UNIX_MS, 200)] });
    expect(rtcp.receive(rr, 5_000, T0_UNIX_MS + 260)).toBe(true);
    expect(rtcp.rttMs).toBeCloseTo(60, 0);
  });

  it('takes the RTT from the blocks of a sender report too', () => {
    const { rtcp } = session();
    const sr = buildSenderReport({ ssrc: REMOTE, ntpSeconds: 1, ntpFraction: 0, rtpTimestamp: 0, packetCount: 1, octetCount: 1, reports: [blockAbout(LOCAL, T0_UNIX_MS, 10)] });
    rtcp.receive(sr, 5_000, T0_UNIX_MS + 35);
    expect(rtcp.rttMs).toBeCloseTo(25, 0);
  });

  it('ignores blocks about other sources, blocks without LSR and implausible results', () => {
    const { rtcp } = session();
    rtcp.receive(buildReceiverReport({ ssrc: REMOTE, reports: [blockAbout(0x1234, T0_UNIX_MS, 0)] }), 0, T0_UNIX_MS + 50);
    rtcp.receive(buildReceiverReport({ ssrc: REMOTE, reports: [{ ...blockAbout(LOCAL, T0_UNIX_MS, 0), lastSr: 0 }] }), 0, T0_UNIX_MS + 50);
    rtcp.receive(buildReceiverReport({ ssrc: REMOTE, reports: [blockAbout(LOCAL, T0_UNIX_MS, 0)] }), 0, T0_UNIX_MS + 20_000); // 20 s
    rtcp.receive(buildReceiverReport({ ssrc: REMOTE, reports: [blockAbout(LOCAL, T0_UNIX_MS, 500)] }), 0, T0_UNIX_MS + 100); // negative
    expect(rtcp.rttMs).toBeNull();
  });

  it('says false for bytes that are not RTCP and keeps going', () => {
    const { rtcp } = session();
    expect(rtcp.receive(Uint8Array.from([0x81, 0xc9, 0, 50]), 0, T0_UNIX_MS)).toBe(false); // RR with a lying length
    expect(rtcp.receive(new Uint8Array(0), 0, T0_UNIX_MS)).toBe(false);
    expect(rtcp.receive(buildReceiverReport({ ssrc: REMOTE, reports: [] }), 0, T0_UNIX_MS)).toBe(true);
  });

  it('builds no report before any RTP, then one block about the peer from the stream tracker', () => {
    const { reception, rtcp } = session();
    expect(rtcp.buildReport(1000)).toBeNull();
    for (const seq of [10, 11, 13, 14]) reception.receive({ ssrc: REMOTE, sequenceNumber: seq, timestamp: seq * 960 });
    const rr = parsedReport(rtcp.buildReport(2000));
    expect(rr.ssrc).toBe(LOCAL);
    expect(rr.reports).toHaveLength(1);
    expect(rr.reports[0]).toMatchObject({ ssrc: REMOTE, cumulativeLost: reception.stats.lost, extendedHighestSeq: 14, lastSr: 0, delaySinceLastSr: 0 });
    expect(rr.reports[0]!.cumulativeLost).toBe(1);
  });

  it("echoes the peer's last sender report as LSR, with the time we held it as DLSR", () => {
    const { reception, rtcp } = session();
    reception.receive({ ssrc: REMOTE, sequenceNumber: 1, timestamp: 0 });
    const ntp = ntpFromUnixMs(T0_UNIX_MS);
    rtcp.receive(buildSenderReport({ ssrc: REMOTE, ntpSeconds: ntp.seconds, ntpFraction: ntp.fraction, rtpTimestamp: 0, packetCount: 1, octetCount: 1 }), 7_000, T0_UNIX_MS + 40);
    const block = parsedReport(rtcp.buildReport(7_250)).reports[0]!;
    expect(block.lastSr).toBe(ntpMiddle32(ntp));
    expect(block.delaySinceLastSr).toBe(Math.round(0.25 * 65536));
  });
});
