/**
 * The RTP payload for redundant audio data (RFC 2198), with Opus blocks:
 * build, parse, and the in-place payload-type rewrite a link needs. The one
 * home of the format (docs/architecture.md §2, §7).
 *
 * RFC 2198 §3: the payload starts with one header per block, in the order
 * the blocks follow. Every header but the last is 4 bytes:
 *
 *    0                   1                    2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |F|   block PT  |  timestamp offset         |   block length    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * F = 1: another header follows. The timestamp offset (14 bits, unsigned) is
 * subtracted from the RTP header's timestamp to give the block's timestamp;
 * the block length (10 bits) counts its bytes. The last header, the
 * primary's, is one byte with F = 0: its length is what remains of the
 * payload and its timestamp is the header's.
 *
 *    0 1 2 3 4 5 6 7
 *   +-+-+-+-+-+-+-+-+
 *   |0|   Block PT  |
 *   +-+-+-+-+-+-+-+-+
 *
 * The RTP header's payload type is RED's own dynamic type (`red/48000/2`,
 * fmtp listing the block types, e.g. Chromium's `63` with `111/111`); each
 * block names the Opus payload type. The RTP header (sequence number,
 * marker) is the primary's: the redundant blocks are earlier packets of the
 * same stream, which is how the receiver tells which sequence number a block
 * stood for (see `redundantSequenceNumber`).
 *
 * Real-time path: building writes into the caller's buffer, parsing fills
 * the caller's block descriptors; neither allocates nor throws on input from
 * the network (a malformed payload is a returned error code).
 */

/**
 * The RED payload type we offer, and the one the engine builds RED packets
 * with (a link rewrites it to the negotiated one). 63 is what Chromium
 * offers: libwebrtc allocates newer audio payload types downward from 63 in
 * the lower dynamic range (35–63, RFC 3550 §5.1; 64–95 would clash with
 * RTCP under RFC 5761 §4).
 */
export const DEFAULT_RED_PAYLOAD_TYPE = 63;
/** 14-bit timestamp offset (RFC 2198 §3). */
export const MAX_RED_TIMESTAMP_OFFSET = 0x3fff;
/** 10-bit block length (RFC 2198 §3): a redundant block holds at most this many bytes. */
export const MAX_RED_BLOCK_BYTES = 0x3ff;
/** Header bytes of a redundant block / of the primary. */
export const RED_HEADER_BYTES = 4;
export const RED_PRIMARY_HEADER_BYTES = 1;
/**
 * Most blocks a payload we accept may hold (redundant + primary). RFC 2198
 * sets no limit; senders use 1–2 redundant blocks (Chromium 1 or 2, ours at
 * most 2), so more than 15 is treated as malformed rather than walked.
 */
export const MAX_RED_BLOCKS = 16;

/** Why a RED payload was refused. */
export type RedParseError = 'empty' | 'truncated-header' | 'length-overrun' | 'too-many-blocks';

/** One block of a parsed payload: where its bytes are in the payload, not a copy. */
export interface RedBlock {
  payloadType: number;
  /** Subtract from the RTP timestamp (mod 2^32); 0 for the primary. */
  timestampOffset: number;
  /** Byte offset of the block's data in the payload. */
  start: number;
  length: number;
}

/** Descriptors for `parseRedPayload` to fill: make once, reuse for every packet. */
export function makeRedBlocks(capacity: number = MAX_RED_BLOCKS): RedBlock[] {
  const blocks: RedBlock[] = [];
  for (let i = 0; i < capacity; i++) blocks.push({ payloadType: 0, timestampOffset: 0, start: 0, length: 0 });
  return blocks;
}

/**
 * Parse a RED payload into `blocks` (oldest first as sent; the primary is
 * always the last). Returns how many blocks were filled, or why the payload
 * is malformed: headers running past the end, block lengths adding up to
 * more than the payload, more blocks than `blocks` can hold. A primary of
 * zero bytes is legal (it is then only a carrier of redundancy).
 */
export function parseRedPayload(payload: Uint8Array, blocks: RedBlock[]): number | RedParseError {
  const n = payload.length;
  if (n === 0) return 'empty';
  const capacity = Math.min(blocks.length, MAX_RED_BLOCKS);
  // First pass: the headers, to find where the data starts.
  let at = 0;
  let count = 0;
  let dataBytes = 0;
  for (;;) {
    if (at >= n) return 'truncated-header';
    if (count >= capacity) return 'too-many-blocks';
    const b0 = payload[at]!;
    const block = blocks[count]!;
    block.payloadType = b0 & 0x7f;
    count++;
    if ((b0 & 0x80) === 0) {
      block.timestampOffset = 0;
      at += RED_PRIMARY_HEADER_BYTES;
      break;
    }
    if (at + RED_HEADER_BYTES > n) return 'truncated-header';
    const b1 = payload[at + 1]!;
    const b2 = payload[at + 2]!;
    const b3 = payload[at + 3]!;
    block.timestampOffset = (b1 << 6) | (b2 >> 2);
    block.length = ((b2 & 0x03) << 8) | b3;
    dataBytes += block.length;
    at += RED_HEADER_BYTES;
  }
  if (at + dataBytes > n) return 'length-overrun';
  // Second pass: where each block's data is; the primary takes the rest.
  let data = at;
  for (let i = 0; i < count - 1; i++) {
    const block = blocks[i]!;
    block.start = data;
    data += block.length;
  }
  const primary = blocks[count - 1]!;
  primary.start = data;
  primary.length = n - data;
  return count;
}

/** An earlier frame to carry as a redundant block: `length` bytes of `bytes`, `timestampOffset` before the primary. */
export interface RedundantFrame {
  readonly bytes: Uint8Array;
  readonly length: number;
  readonly timestampOffset: number;
}

/** Bytes a RED payload takes for `primaryBytes` plus the given redundant blocks. */
export function redPayloadBytes(primaryBytes: number, redundant: readonly RedundantFrame[], count: number): number {
  let total = RED_PRIMARY_HEADER_BYTES + primaryBytes;
  for (let i = 0; i < count; i++) total += RED_HEADER_BYTES + redundant[i]!.length;
  return total;
}

/**
 * Write a RED payload into `out` from `at`: the first `count` frames of
 * `redundant` (in that order, oldest first), then the primary, all with
 * block payload type `blockPayloadType`. Returns the bytes written. Our own
 * values, so a bad one is a programming error and throws: an offset or
 * length beyond the 14/10-bit fields (the caller leaves such a frame out),
 * or a buffer too small.
 */
export function writeRedPayload(
  out: Uint8Array,
  at: number,
  blockPayloadType: number,
  redundant: readonly RedundantFrame[],
  count: number,
  primary: Uint8Array,
  primaryLength: number = primary.length,
): number {
  if (!Number.isInteger(blockPayloadType) || blockPayloadType < 0 || blockPayloadType > 127) {
    throw new RangeError(`RED block payload type must be 0..127; got ${blockPayloadType}`);
  }
  const total = redPayloadBytes(primaryLength, redundant, count);
  if (at + total > out.length) throw new RangeError(`RED payload of ${total} bytes does not fit at ${at} in ${out.length}`);
  let h = at;
  for (let i = 0; i < count; i++) {
    const r = redundant[i]!;
    if (r.timestampOffset < 0 || r.timestampOffset > MAX_RED_TIMESTAMP_OFFSET || r.length > MAX_RED_BLOCK_BYTES) {
      throw new RangeError(`RED block with offset ${r.timestampOffset} and ${r.length} bytes exceeds RFC 2198's 14/10-bit fields`);
    }
    out[h] = 0x80 | blockPayloadType;
    out[h + 1] = (r.timestampOffset >> 6) & 0xff;
    out[h + 2] = ((r.timestampOffset & 0x3f) << 2) | (r.length >> 8);
    out[h + 3] = r.length & 0xff;
    h += RED_HEADER_BYTES;
  }
  out[h++] = blockPayloadType;
  for (let i = 0; i < count; i++) {
    const r = redundant[i]!;
    out.set(r.bytes.subarray(0, r.length), h);
    h += r.length;
  }
  out.set(primary.subarray(0, primaryLength), h);
  return total;
}

/**
 * Set every block header's payload type to `payloadType`, in place, in the
 * RED payload that starts at `from` in `packet` (a link whose peer numbered
 * Opus differently, docs/architecture.md §7). False, and nothing changed,
 * if the headers are malformed.
 */
export function setRedBlockPayloadTypes(packet: Uint8Array, payloadType: number, from = 0): boolean {
  const n = packet.length;
  let at = from;
  let count = 0;
  // Check first, then write: a malformed payload is left as it was.
  for (;;) {
    if (at >= n || count >= MAX_RED_BLOCKS) return false;
    count++;
    if ((packet[at]! & 0x80) === 0) break;
    if (at + RED_HEADER_BYTES > n) return false;
    at += RED_HEADER_BYTES;
  }
  at = from;
  for (let i = 0; i < count; i++) {
    packet[at] = (packet[at]! & 0x80) | (payloadType & 0x7f);
    at += RED_HEADER_BYTES;
  }
  return true;
}

/**
 * The sequence number a redundant block stood for. RFC 2198 gives a block
 * only its timestamp; a sender that carries the packets just before the
 * primary, in order (ours; Chromium's copy-RED encoder), makes the block
 * `position` places before the primary (1 = the last redundant block) the
 * packet `position` sequence numbers earlier, whose timestamp is `position`
 * packet durations earlier. Returns null when the offset says otherwise (a
 * gap in what the sender carried, or packets of another duration): such a
 * block cannot be placed by sequence number and is not used.
 */
export function redundantSequenceNumber(primarySeq: number, timestampOffset: number, primarySamples: number, position: number): number | null {
  if (!(primarySamples > 0) || !(position >= 1) || timestampOffset !== position * primarySamples) return null;
  return (primarySeq - position) & 0xffff;
}
