/**
 * RTP packet parse and build (RFC 3550 §5.1), pure TypeScript.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  defined by profile (16)      |        length (16, words)     |  (X=1, §5.3.1)
 * |                        header extension                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 payload ...   | padding ... | pad count (8)   |  (P=1)
 *
 * parseRtp never throws: every input yields a packet or a typed error, and
 * payload/extension are subarray views into the input (no copies on the
 * receive hot path), always within the input's bounds.
 */
import type { MediaPacket } from '../codec/types.js';

export const RTP_VERSION = 2;
export const RTP_FIXED_HEADER_BYTES = 12;
export const RTP_MAX_CSRCS = 15;

/** RFC 3550 §5.3.1 header extension: a 16-bit profile value and data in 32-bit words. */
export interface RtpHeaderExtension {
  readonly profile: number;
  /** The extension data (length × 4 bytes), without the 4-byte profile/length word. */
  readonly data: Uint8Array;
}

export interface RtpPacket extends MediaPacket {
  readonly version: 2;
  readonly csrcs: readonly number[];
  readonly extension: RtpHeaderExtension | null;
  /** Padding octets at the end, including the count octet itself (0 when P=0). */
  readonly paddingBytes: number;
  /** Bytes before the payload: fixed header + CSRCs + extension. */
  readonly headerBytes: number;
}

export type RtpParseErrorCode =
  | 'not-bytes'
  | 'too-short'
  | 'bad-version'
  | 'truncated-csrcs'
  | 'truncated-extension'
  | 'bad-padding';

export interface RtpParseError {
  readonly code: RtpParseErrorCode;
  readonly message: string;
}

export type RtpParseResult = { readonly ok: true; readonly packet: RtpPacket } | { readonly ok: false; readonly error: RtpParseError };

function fail(code: RtpParseErrorCode, message: string): RtpParseResult {
  return { ok: false, error: { code, message } };
}

export function parseRtp(buf: Uint8Array): RtpParseResult {
  if (!(buf instanceof Uint8Array)) return fail('not-bytes', 'RTP input must be a Uint8Array/Buffer');
  const length = buf.length;
  if (length < RTP_FIXED_HEADER_BYTES) {
    return fail('too-short', `RTP packet of ${length} bytes is shorter than the 12-byte fixed header`);
  }
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  const version = b0 >> 6;
  if (version !== RTP_VERSION) return fail('bad-version', `RTP version ${version}, expected 2`);
  const hasPadding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  const view = new DataView(buf.buffer, buf.byteOffset, length);

  let offset = RTP_FIXED_HEADER_BYTES;
  if (offset + csrcCount * 4 > length) {
    return fail('truncated-csrcs', `CC=${csrcCount} needs ${csrcCount * 4} bytes of CSRCs; packet has ${length - offset}`);
  }
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++) {
    csrcs.push(view.getUint32(offset));
    offset += 4;
  }

  let extension: RtpHeaderExtension | null = null;
  if (hasExtension) {
    if (offset + 4 > length) return fail('truncated-extension', 'X=1 but no room for the extension header');
    const profile = view.getUint16(offset);
    const dataBytes = view.getUint16(offset + 2) * 4;
    offset += 4;
    if (offset + dataBytes > length) {
      return fail('truncated-extension', `extension claims ${dataBytes} bytes; packet has ${length - offset}`);
    }
    extension = { profile, data: buf.subarray(offset, offset + dataBytes) };
    offset += dataBytes;
  }

  let paddingBytes = 0;
  if (hasPadding) {
    // §5.1: the last octet counts the padding including itself, so 0 is
    // invalid, and padding may not eat into the header.
    paddingBytes = buf[length - 1]!;
    if (paddingBytes === 0) return fail('bad-padding', 'P=1 but the padding count octet is 0');
    if (offset + paddingBytes > length) {
      return fail('bad-padding', `padding of ${paddingBytes} bytes exceeds the ${length - offset} bytes after the header`);
    }
  }

  const packet: RtpPacket = {
    version: RTP_VERSION,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    csrcs,
    extension,
    paddingBytes,
    headerBytes: offset,
    payload: buf.subarray(offset, length - paddingBytes),
  };
  return { ok: true, packet };
}

export interface RtpBuildFields {
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  payloadType: number;
  marker?: boolean;
  payload: Uint8Array;
  csrcs?: readonly number[];
  /** Extension data must be a multiple of 4 bytes (§5.3.1 counts 32-bit words). */
  extension?: RtpHeaderExtension | null;
  /** Total padding octets including the count octet (0 = no padding, max 255). */
  paddingBytes?: number;
}

function checkUint(name: string, value: number, bits: number): void {
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`RTP ${name} must be an integer in 0..${max}; got ${String(value)}`);
  }
}

/**
 * Build an RTP packet. Invalid fields throw a RangeError (these are our own
 * values, so a bad one is a programming error). Padding octets are zero
 * except the last, which holds the count.
 */
export function buildRtp(fields: RtpBuildFields): Buffer {
  const csrcs = fields.csrcs ?? [];
  const extension = fields.extension ?? null;
  const paddingBytes = fields.paddingBytes ?? 0;
  checkUint('sequenceNumber', fields.sequenceNumber, 16);
  checkUint('timestamp', fields.timestamp, 32);
  checkUint('ssrc', fields.ssrc, 32);
  checkUint('payloadType', fields.payloadType, 7);
  checkUint('paddingBytes', paddingBytes, 8);
  if (csrcs.length > RTP_MAX_CSRCS) throw new RangeError(`RTP allows at most 15 CSRCs; got ${csrcs.length}`);
  csrcs.forEach((c) => checkUint('csrc', c, 32));
  if (!(fields.payload instanceof Uint8Array)) throw new TypeError('RTP payload must be a Uint8Array/Buffer');
  if (extension !== null) {
    checkUint('extension profile', extension.profile, 16);
    if (extension.data.length % 4 !== 0 || extension.data.length / 4 > 0xffff) {
      throw new RangeError(`RTP extension data must be a multiple of 4 bytes, at most 262140; got ${extension.data.length}`);
    }
  }

  const headerBytes = RTP_FIXED_HEADER_BYTES + csrcs.length * 4 + (extension ? 4 + extension.data.length : 0);
  const out = Buffer.alloc(headerBytes + fields.payload.length + paddingBytes);
  out[0] = (RTP_VERSION << 6) | (paddingBytes > 0 ? 0x20 : 0) | (extension ? 0x10 : 0) | csrcs.length;
  out[1] = (fields.marker ? 0x80 : 0) | fields.payloadType;
  out.writeUInt16BE(fields.sequenceNumber, 2);
  out.writeUInt32BE(fields.timestamp, 4);
  out.writeUInt32BE(fields.ssrc, 8);
  let offset = RTP_FIXED_HEADER_BYTES;
  for (const c of csrcs) {
    out.writeUInt32BE(c, offset);
    offset += 4;
  }
  if (extension) {
    out.writeUInt16BE(extension.profile, offset);
    out.writeUInt16BE(extension.data.length / 4, offset + 2);
    out.set(extension.data, offset + 4);
    offset += 4 + extension.data.length;
  }
  out.set(fields.payload, offset);
  if (paddingBytes > 0) out[out.length - 1] = paddingBytes;
  return out;
}
