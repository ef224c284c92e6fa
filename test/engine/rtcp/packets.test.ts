import { describe, expect, it } from 'vitest';
import { buildRtp } from '../../../src/engine/rtp/packet.js';
import {
  buildEmptyReceiverReport,
  buildGoodbye,
  buildReceiverReport,
  hasGoodbye,
  readGoodbye,
  buildSenderReport,
  isRtcp,
  isRtcpSecondByte,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcp,
  rttFromReportBlock,
  type ReportBlock,
} from '../../../src/engine/rtcp/packets.js';

const block: ReportBlock = {
  ssrc: 0xaabbccdd,
  fractionLost: 25,
  cumulativeLost: 1234,
  extendedHighestSeq: 0x0001fffe,
  jitter: 77,
  lastSr: 0x12345678,
  delaySinceLastSr: 65536,
};

describe('isRtcp (RFC 5761 §4 demux)', () => {
  it('tells RTCP from RTP on a muxed port', () => {
    expect(isRtcp(buildReceiverReport({ ssrc: 1, reports: [] }))).toBe(true);
    expect(isRtcp(buildSenderReport({ ssrc: 1, ntpSeconds: 0, ntpFraction: 0, rtpTimestamp: 0, packetCount: 0, octetCount: 0 }))).toBe(true);
    expect(isRtcp(buildRtp({ sequenceNumber: 1, timestamp: 1, ssrc: 1, payloadType: 111, marker: true, payload: new Uint8Array(1) }))).toBe(false);
    expect(isRtcp(buildRtp({ sequenceNumber: 1, timestamp: 1, ssrc: 1, payloadType: 111, payload: new Uint8Array(1) }))).toBe(false);
    expect(isRtcp(new Uint8Array([0x80, 200]))).toBe(false); // too short
    expect(isRtcp(new Uint8Array([0x40, 200, 0, 0]))).toBe(false); // version 1
    expect(isRtcp(new Uint8Array([0x80, 223, 0, 0]))).toBe(true);
    expect(isRtcp(new Uint8Array([0x80, 224, 0, 0]))).toBe(false);
  });

  it('decides by the second octet alone where the caller checked the rest', () => {
    expect([191, 192, 200, 201, 223, 224].map(isRtcpSecondByte)).toEqual([false, true, true, true, true, false]);
    expect(isRtcpSecondByte(0x80 | 111)).toBe(false); // Opus RTP with the marker bit
    expect(isRtcpSecondByte(0x80 | 72)).toBe(true); // why RTP avoids payload types 64–95
  });
});

describe('empty receiver report (keepalive)', () => {
  it('is the 8-byte RR with RC = 0 the mesh sends while nothing else goes out', () => {
    const rr = buildEmptyReceiverReport(0xa0b0c0d0);
    // V=2, P=0, RC=0 | PT=201 | length 1 (words − 1) | SSRC
    expect(Array.from(rr)).toEqual([0x80, 201, 0, 1, 0xa0, 0xb0, 0xc0, 0xd0]);
    expect(isRtcp(rr)).toBe(true);
    const parsed = parseRtcp(rr);
    expect(parsed.ok && parsed.packets).toEqual([{ type: 'rr', ssrc: 0xa0b0c0d0, reports: [] }]);
  });
});

describe('SR / RR build and parse', () => {
  it('round-trips a sender report with blocks', () => {
    const sr = { ssrc: 99, ntpSeconds: 0xe1234567, ntpFraction: 0x40000000, rtpTimestamp: 0xfffffff0, packetCount: 5000, octetCount: 400_000, reports: [block, { ...block, ssrc: 2, cumulativeLost: -5 }] };
    const r = parseRtcp(buildSenderReport(sr));
    expect(r).toEqual({ ok: true, packets: [{ type: 'sr', ...sr }] });
  });

  it('round-trips a receiver report and a compound SR+RR', () => {
    const rr = buildReceiverReport({ ssrc: 7, reports: [block] });
    expect(parseRtcp(rr)).toEqual({ ok: true, packets: [{ type: 'rr', ssrc: 7, reports: [block] }] });
    const sr = buildSenderReport({ ssrc: 8, ntpSeconds: 1, ntpFraction: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5 });
    const compound = Buffer.concat([sr, rr]);
    const r = parseRtcp(compound);
    expect(r.ok && r.packets.map((p) => p.type)).toEqual(['sr', 'rr']);
  });

  it('clamps cumulative lost to signed 24 bits', () => {
    const r = parseRtcp(buildReceiverReport({ ssrc: 7, reports: [{ ...block, cumulativeLost: 1e9 }] }));
    expect(r.ok && r.packets[0]!.type === 'rr' && r.packets[0]!.reports[0]!.cumulativeLost).toBe(0x7fffff);
  });

  it('rejects builder misuse with RangeErrors', () => {
    expect(() => buildReceiverReport({ ssrc: 1, reports: new Array(32).fill(block) })).toThrow(RangeError);
    expect(() => buildReceiverReport({ ssrc: 1, reports: [{ ...block, fractionLost: 256 }] })).toThrow(RangeError);
    expect(() => buildSenderReport({ ssrc: -1, ntpSeconds: 0, ntpFraction: 0, rtpTimestamp: 0, packetCount: 0, octetCount: 0 })).toThrow(RangeError);
  });
});

describe('BYE (RFC 3550 §6.6)', () => {
  it('builds a compound RR + BYE with the reason, null-padded to 32 bits, that parses back', () => {
    for (const reason of ['', 'bye', 'left the room', 'ünïcode ✓']) {
      const bytes = buildGoodbye(0x01020304, reason);
      expect(bytes.length % 4).toBe(0);
      const parsed = parseRtcp(bytes);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) continue;
      expect(parsed.packets.map((p) => (p.type === 'other' ? p.packetType : p.type))).toEqual(['rr', 203]);
      expect(hasGoodbye(bytes)).toBe(true);
      expect(readGoodbye(bytes)).toEqual({ ssrcs: [0x01020304], reason });
      // Padding octets are zero (§6.6), and the BYE's length counts them.
      const len = Buffer.from(reason, 'utf8').length;
      expect([...bytes.subarray(8 + 9 + len)].every((b) => b === 0)).toBe(true);
    }
  });

  it('reads a BYE without a reason, with several sources, and says null for packets without one', () => {
    const bye = Buffer.from([0x82, 203, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(readGoodbye(bye)).toEqual({ ssrcs: [1, 2], reason: null });
    expect(hasGoodbye(buildEmptyReceiverReport(5))).toBe(false);
    expect(readGoodbye(buildEmptyReceiverReport(5))).toBeNull();
    // A reason whose length runs past the packet is no reason; a truncated source list is no BYE.
    expect(readGoodbye(Buffer.from([0x81, 203, 0, 2, 0, 0, 0, 1, 9, 0x61, 0x62, 0x63]))).toEqual({ ssrcs: [1], reason: null });
    expect(readGoodbye(Buffer.from([0x83, 203, 0, 1, 0, 0, 0, 1]))).toBeNull();
    // Malformed lengths never throw.
    expect(readGoodbye(Buffer.from([0x81, 203, 0xff, 0xff, 0, 0, 0, 1]))).toBeNull();
    expect(() => buildGoodbye(1, 'x'.repeat(256))).toThrow(RangeError);
  });
});

describe('parseRtcp errors', () => {
  const code = (b: Uint8Array): string => {
    const r = parseRtcp(b);
    return r.ok ? 'ok' : r.error.code;
  };
  it('returns typed errors, never throws', () => {
    expect(code(new Uint8Array(3))).toBe('too-short');
    expect(code(new Uint8Array([0x40, 201, 0, 1, 0, 0, 0, 0]))).toBe('bad-version');
    expect(code(new Uint8Array([0x80, 201, 0, 5, 0, 0, 0, 0]))).toBe('bad-length');
    expect(code(new Uint8Array([0x81, 201, 0, 1, 0, 0, 0, 0]))).toBe('truncated-reports'); // RC=1 with no block
    expect(code(new Uint8Array([0xa0, 201, 0, 1, 0, 0, 0, 0]))).toBe('bad-padding'); // P=1, count 0
    expect(code(new Uint8Array([0x80, 201, 0, 1, 0, 0, 0, 0, 0x80]))).toBe('bad-length'); // trailing byte
    expect(code('x' as unknown as Uint8Array)).toBe('not-bytes');
  });
});

describe('RTT (RFC 3550 §6.4.1)', () => {
  it('computes A − LSR − DLSR in ms', () => {
    // Example from RFC 3550 Figure 2: A=0xb710:8000, LSR=0xb705:2000, DLSR=0x0005:4000 → 6.125 s.
    expect(rttFromReportBlock({ lastSr: 0xb7052000, delaySinceLastSr: 0x00054000 }, 0xb7108000)).toBeCloseTo(6125, 6);
  });
  it('handles wrap of the middle-32 clock', () => {
    // (0x14000 − 0x8000) / 65536 s = 0.75 s
    expect(rttFromReportBlock({ lastSr: 0xffff0000, delaySinceLastSr: 0x8000 }, 0x00004000)).toBeCloseTo(750, 6);
  });
  it('returns null without an SR or for a negative result', () => {
    expect(rttFromReportBlock({ lastSr: 0, delaySinceLastSr: 0 }, 1000)).toBeNull();
    expect(rttFromReportBlock({ lastSr: 0x10000, delaySinceLastSr: 0x10000 }, 0x10000)).toBeNull();
  });
  it('ntp helpers produce the middle 32 bits', () => {
    const ntp = ntpFromUnixMs(1_500.5 * 1000); // 1500.5 s after the Unix epoch
    expect(ntp.seconds).toBe(2_208_988_800 + 1500);
    expect(ntp.fraction).toBe(0x80000000);
    expect(ntpMiddle32(ntp)).toBe((((2_208_988_800 + 1500) & 0xffff) * 65536 + 0x8000) >>> 0);
  });
});
