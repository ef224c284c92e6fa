/**
 * RTCP (RFC 3550 §6) wire format: demultiplexing from RTP on one port,
 * compound packet parsing for the stats we need (SR, RR report blocks), RTT
 * from a report block, SR/RR builders (including the empty RR a link sends
 * as a keepalive), and BYE (§6.6), which a peer leaving the room sends on
 * each link. Parsing never throws on any input.
 *
 * Common header of every RTCP packet (§6.4.1):
 *  0                   1                   2                   3
 * |V=2|P|   RC    |      PT       |        length (words − 1)     |
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;

const REPORT_BLOCK_BYTES = 24;
const MAX_REPORT_BLOCKS = 31; // RC is 5 bits

/**
 * RFC 5761 §4: with RTP and RTCP multiplexed on one port (node-datachannel
 * delivers both on one track callback, docs/architecture.md §6), a packet
 * whose second octet is 192–223 is RTCP (SR 200, RR 201, …); RTP payload
 * types 64–95 are avoided for that reason. The one definition of the rule:
 * the mesh demultiplexes with it too.
 */
export function isRtcpSecondByte(secondByte: number): boolean {
  return secondByte >= 192 && secondByte <= 223;
}

/** A whole packet by the rule of RFC 5761 §4: version 2, at least a header, second octet 192–223. */
export function isRtcp(buf: Uint8Array): boolean {
  if (!(buf instanceof Uint8Array) || buf.length < 4) return false;
  if (buf[0]! >> 6 !== 2) return false;
  return isRtcpSecondByte(buf[1]!);
}

/** One reception report block (§6.4.1). */
export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, 8-bit fixed point (lost/expected × 256). */
  fractionLost: number;
  /** Cumulative packets lost, signed 24-bit (duplicates can make it negative). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | max seq). */
  extendedHighestSeq: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received (0 = none). */
  lastSr: number;
  /** Delay since that SR, in 1/65536 s. */
  delaySinceLastSr: number;
}

export interface SenderReport {
  type: 'sr';
  ssrc: number;
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: ReportBlock[];
}

export interface ReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: ReportBlock[];
}

/** Any other RTCP packet (SDES, BYE, APP, feedback, XR): kept only as its type and body view. */
export interface OtherRtcp {
  type: 'other';
  packetType: number;
  count: number;
  body: Uint8Array;
}

export type RtcpPacket = SenderReport | ReceiverReport | OtherRtcp;

export type RtcpParseErrorCode = 'not-bytes' | 'too-short' | 'bad-version' | 'bad-length' | 'bad-padding' | 'truncated-reports';

export interface RtcpParseError {
  code: RtcpParseErrorCode;
  message: string;
}

export type RtcpParseResult = { ok: true; packets: RtcpPacket[] } | { ok: false; error: RtcpParseError };

function fail(code: RtcpParseErrorCode, message: string): RtcpParseResult {
  return { ok: false, error: { code, message } };
}

function readReportBlocks(view: DataView, offset: number, count: number): ReportBlock[] {
  const blocks: ReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const o = offset + i * REPORT_BLOCK_BYTES;
    const lostWord = view.getUint32(o + 4);
    let cumulativeLost = lostWord & 0xffffff;
    if (cumulativeLost & 0x800000) cumulativeLost -= 0x1000000; // signed 24-bit
    blocks.push({
      ssrc: view.getUint32(o),
      fractionLost: lostWord >>> 24,
      cumulativeLost,
      extendedHighestSeq: view.getUint32(o + 8),
      jitter: view.getUint32(o + 12),
      lastSr: view.getUint32(o + 16),
      delaySinceLastSr: view.getUint32(o + 20),
    });
  }
  return blocks;
}

/**
 * Parse a compound RTCP packet. The lengths of the parts must add up to the
 * whole buffer (RFC 3550 Appendix A.2 validity check); anything else is a
 * typed error. The first-packet-is-SR/RR rule is not enforced, so reduced-size
 * RTCP (RFC 5506) still parses.
 */
export function parseRtcp(buf: Uint8Array): RtcpParseResult {
  if (!(buf instanceof Uint8Array)) return fail('not-bytes', 'RTCP input must be a Uint8Array/Buffer');
  if (buf.length < 4) return fail('too-short', `RTCP packet of ${buf.length} bytes is shorter than a 4-byte header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  const packets: RtcpPacket[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (buf.length - offset < 4) return fail('bad-length', `${buf.length - offset} trailing bytes after the last RTCP packet`);
    const b0 = buf[offset]!;
    if (b0 >> 6 !== 2) return fail('bad-version', `RTCP version ${b0 >> 6} at byte ${offset}, expected 2`);
    const hasPadding = (b0 & 0x20) !== 0;
    const count = b0 & 0x1f;
    const packetType = buf[offset + 1]!;
    const packetBytes = (view.getUint16(offset + 2) + 1) * 4;
    if (offset + packetBytes > buf.length) {
      return fail('bad-length', `RTCP packet at byte ${offset} claims ${packetBytes} bytes; ${buf.length - offset} remain`);
    }
    let contentEnd = offset + packetBytes;
    if (hasPadding) {
      const pad = buf[contentEnd - 1]!;
      if (pad === 0 || pad > packetBytes - 4) return fail('bad-padding', `RTCP padding count ${pad} is invalid`);
      contentEnd -= pad;
    }
    const bodyStart = offset + 4;
    const bodyBytes = contentEnd - bodyStart;
    if (packetType === RTCP_SR) {
      if (bodyBytes < 24 + count * REPORT_BLOCK_BYTES) {
        return fail('truncated-reports', `SR with RC=${count} needs ${24 + count * REPORT_BLOCK_BYTES} bytes; has ${bodyBytes}`);
      }
      packets.push({
        type: 'sr',
        ssrc: view.getUint32(bodyStart),
        ntpSeconds: view.getUint32(bodyStart + 4),
        ntpFraction: view.getUint32(bodyStart + 8),
        rtpTimestamp: view.getUint32(bodyStart + 12),
        packetCount: view.getUint32(bodyStart + 16),
        octetCount: view.getUint32(bodyStart + 20),
        reports: readReportBlocks(view, bodyStart + 24, count),
      });
    } else if (packetType === RTCP_RR) {
      if (bodyBytes < 4 + count * REPORT_BLOCK_BYTES) {
        return fail('truncated-reports', `RR with RC=${count} needs ${4 + count * REPORT_BLOCK_BYTES} bytes; has ${bodyBytes}`);
      }
      packets.push({
        type: 'rr',
        ssrc: view.getUint32(bodyStart),
        reports: readReportBlocks(view, bodyStart + 4, count),
      });
    } else {
      packets.push({ type: 'other', packetType, count, body: buf.subarray(bodyStart, contentEnd) });
    }
    offset += packetBytes;
  }
  return { ok: true, packets };
}

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

export interface NtpTimestamp {
  seconds: number;
  fraction: number;
}

/** Wallclock (Unix ms) to a 64-bit NTP timestamp (RFC 3550 §4). */
export function ntpFromUnixMs(unixMs: number): NtpTimestamp {
  const totalS = unixMs / 1000 + NTP_UNIX_OFFSET_S;
  const seconds = Math.floor(totalS);
  const fraction = Math.min(0xffffffff, Math.floor((totalS - seconds) * 2 ** 32));
  return { seconds: seconds >>> 0, fraction: fraction >>> 0 };
}

/** The middle 32 bits of an NTP timestamp: the LSR/A unit of §6.4.1 (1/65536 s). */
export function ntpMiddle32(ntp: NtpTimestamp): number {
  return (((ntp.seconds & 0xffff) << 16) | (ntp.fraction >>> 16)) >>> 0;
}

/**
 * Round-trip time from a report block about our stream, RFC 3550 §6.4.1:
 * RTT = A − LSR − DLSR, with A the arrival time of the report as middle-32
 * NTP. Returns milliseconds, or null when the peer has not yet received an
 * SR (LSR = 0) or the result is negative (clocks or values inconsistent).
 */
export function rttFromReportBlock(block: Pick<ReportBlock, 'lastSr' | 'delaySinceLastSr'>, nowNtpMiddle32: number): number | null {
  if (block.lastSr === 0) return null;
  const rtt = (nowNtpMiddle32 - block.lastSr - block.delaySinceLastSr) >>> 0; // mod 2^32
  if (rtt >= 0x80000000) return null; // negative modulo 2^32
  return (rtt / 65536) * 1000;
}

function checkUint32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`RTCP ${name} must be a uint32; got ${String(v)}`);
}

function writeReportBlocks(out: Buffer, offset: number, reports: readonly ReportBlock[]): void {
  for (const r of reports) {
    checkUint32('report ssrc', r.ssrc);
    if (!Number.isInteger(r.fractionLost) || r.fractionLost < 0 || r.fractionLost > 255) {
      throw new RangeError(`fractionLost must be 0..255; got ${r.fractionLost}`);
    }
    // Clamp to the signed 24-bit range rather than wrap (RFC 3550 A.3).
    const lost = Math.max(-0x800000, Math.min(0x7fffff, Math.trunc(r.cumulativeLost)));
    out.writeUInt32BE(r.ssrc, offset);
    out.writeUInt32BE(((r.fractionLost << 24) | (lost & 0xffffff)) >>> 0, offset + 4);
    out.writeUInt32BE(r.extendedHighestSeq >>> 0, offset + 8);
    out.writeUInt32BE(r.jitter >>> 0, offset + 12);
    out.writeUInt32BE(r.lastSr >>> 0, offset + 16);
    out.writeUInt32BE(r.delaySinceLastSr >>> 0, offset + 20);
    offset += REPORT_BLOCK_BYTES;
  }
}

function checkReportCount(reports: readonly ReportBlock[]): void {
  if (reports.length > MAX_REPORT_BLOCKS) throw new RangeError(`at most 31 report blocks per RTCP packet; got ${reports.length}`);
}

export function buildSenderReport(sr: Omit<SenderReport, 'type' | 'reports'> & { reports?: readonly ReportBlock[] }): Buffer {
  const reports = sr.reports ?? [];
  checkReportCount(reports);
  for (const [k, v] of [
    ['ssrc', sr.ssrc],
    ['ntpSeconds', sr.ntpSeconds],
    ['ntpFraction', sr.ntpFraction],
    ['rtpTimestamp', sr.rtpTimestamp],
  ] as const) {
    checkUint32(k, v);
  }
  const bytes = 28 + reports.length * REPORT_BLOCK_BYTES;
  const out = Buffer.alloc(bytes);
  out[0] = 0x80 | reports.length;
  out[1] = RTCP_SR;
  out.writeUInt16BE(bytes / 4 - 1, 2);
  out.writeUInt32BE(sr.ssrc, 4);
  out.writeUInt32BE(sr.ntpSeconds, 8);
  out.writeUInt32BE(sr.ntpFraction, 12);
  out.writeUInt32BE(sr.rtpTimestamp, 16);
  // Counts wrap modulo 2^32 (§6.4.1).
  out.writeUInt32BE(sr.packetCount >>> 0, 20);
  out.writeUInt32BE(sr.octetCount >>> 0, 24);
  writeReportBlocks(out, 28, reports);
  return out;
}

/**
 * A receiver report with no report block (RC = 0, RFC 3550 §6.4.2): what a
 * link sends as a keepalive while the voice gate sends no RTP, so the remote
 * can tell we are alive (docs/architecture.md §3).
 */
export function buildEmptyReceiverReport(ssrc: number): Buffer {
  return buildReceiverReport({ ssrc, reports: [] });
}

export function buildReceiverReport(rr: { ssrc: number; reports: readonly ReportBlock[] }): Buffer {
  checkReportCount(rr.reports);
  checkUint32('ssrc', rr.ssrc);
  const bytes = 8 + rr.reports.length * REPORT_BLOCK_BYTES;
  const out = Buffer.alloc(bytes);
  out[0] = 0x80 | rr.reports.length;
  out[1] = RTCP_RR;
  out.writeUInt16BE(bytes / 4 - 1, 2);
  out.writeUInt32BE(rr.ssrc, 4);
  writeReportBlocks(out, 8, rr.reports);
  return out;
}

/** What a BYE packet (RFC 3550 §6.6) says: the sources leaving, and the reason if one is given. */
export interface Goodbye {
  readonly ssrcs: readonly number[];
  readonly reason: string | null;
}

/** True when one part of the compound packet `buf` is a BYE: a walk over the headers, nothing allocated, so the receive path parses (readGoodbye) only what carries one. */
export function hasGoodbye(buf: Uint8Array): boolean {
  let offset = 0;
  while (offset + 4 <= buf.length) {
    if (buf[offset + 1] === RTCP_BYE) return true;
    offset += (((buf[offset + 2]! << 8) | buf[offset + 3]!) + 1) * 4;
  }
  return false;
}

/**
 * The BYE in a compound RTCP packet, or null when it has none or does not
 * parse. The reason (§6.6: a length octet, then that many octets of UTF-8)
 * follows the SC source identifiers when the packet has room for it.
 */
export function readGoodbye(buf: Uint8Array): Goodbye | null {
  const parsed = parseRtcp(buf);
  if (!parsed.ok) return null;
  for (const p of parsed.packets) {
    if (p.type !== 'other' || p.packetType !== RTCP_BYE) continue;
    const body = p.body;
    if (body.length < p.count * 4) return null;
    const view = new DataView(body.buffer, body.byteOffset, body.length);
    const ssrcs: number[] = [];
    for (let i = 0; i < p.count; i++) ssrcs.push(view.getUint32(i * 4));
    const at = p.count * 4;
    if (at >= body.length || at + 1 + body[at]! > body.length) return { ssrcs, reason: null };
    return { ssrcs, reason: Buffer.from(body.subarray(at + 1, at + 1 + body[at]!)).toString('utf8') };
  }
  return null;
}

/**
 * A compound packet saying we leave (RFC 3550 §6.6): an empty receiver
 * report first (§6.1: a compound packet starts with SR or RR), then a BYE
 * for `ssrc` with `reason`, null-padded to a 32-bit boundary.
 */
export function buildGoodbye(ssrc: number, reason: string): Buffer {
  checkUint32('ssrc', ssrc);
  const text = Buffer.from(reason, 'utf8');
  if (text.length > 255) throw new RangeError(`a BYE reason is at most 255 bytes; got ${text.length}`);
  const rr = buildEmptyReceiverReport(ssrc);
  const byeBytes = 8 + Math.ceil((1 + text.length) / 4) * 4;
  const out = Buffer.alloc(rr.length + byeBytes);
  rr.copy(out, 0);
  const o = rr.length;
  out[o] = 0x80 | 1;
  out[o + 1] = RTCP_BYE;
  out.writeUInt16BE(byeBytes / 4 - 1, o + 2);
  out.writeUInt32BE(ssrc, o + 4);
  out[o + 8] = text.length;
  text.copy(out, o + 9);
  return out;
}
