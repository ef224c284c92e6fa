/**
 * The Opus RTP payload (RFC 7587: one Opus packet per RTP packet): the
 * payload type we offer, and what a payload holds, read from its TOC byte
 * without decoding (RFC 6716 §3.1–3.2):
 *
 *   TOC:  | config (5) | s (1) | c (2) |
 *
 * config selects mode and frame duration; c is the frame count code:
 * 0 = one frame, 1 = two equal frames, 2 = two frames of different size,
 * 3 = an arbitrary number of frames given in the next byte.
 */

/**
 * The Opus payload type we offer, and send with unless a link negotiated
 * another. Opus has no static payload type: it is a dynamic one (96–127,
 * RFC 3551 §6) bound to `opus/48000/2` in the SDP (RFC 7587 §7); 111 is what
 * browsers offer (docs/architecture.md §7).
 */
export const DEFAULT_OPUS_PAYLOAD_TYPE = 111;

/** Samples at 48 kHz per frame for each of the 32 configs (RFC 6716 Table 2). */
const FRAME_SAMPLES_BY_CONFIG: readonly number[] = (() => {
  const silk = [480, 960, 1920, 2880]; // 10, 20, 40, 60 ms (configs 0–11)
  const hybrid = [480, 960]; // 10, 20 ms (configs 12–15)
  const celt = [120, 240, 480, 960]; // 2.5, 5, 10, 20 ms (configs 16–31)
  const table: number[] = [];
  for (let c = 0; c < 32; c++) {
    if (c < 12) table.push(silk[c % 4]!);
    else if (c < 16) table.push(hybrid[c % 2]!);
    else table.push(celt[c % 4]!);
  }
  return table;
})();

/** RFC 6716 §3.2.1: a frame is at most 1275 bytes. */
const MAX_FRAME_BYTES = 1275;
/** RFC 6716 §3.2.5 [R5]: a packet lasts at most 120 ms. */
const MAX_PACKET_SAMPLES = 5760;

/** Samples per frame at 48 kHz for a TOC byte. */
export function opusFrameSamples(toc: number): number {
  return FRAME_SAMPLES_BY_CONFIG[(toc >> 3) & 0x1f]!;
}

/** Reads a frame length coded in 1 or 2 bytes (§3.2.1); returns [length, bytesUsed] or null. */
function readFrameLength(p: Uint8Array, at: number, end: number): [number, number] | null {
  if (at >= end) return null;
  const b0 = p[at]!;
  if (b0 < 252) return [b0, 1];
  if (at + 1 >= end) return null;
  return [p[at + 1]! * 4 + b0, 2];
}

/**
 * Total samples (48 kHz) in an Opus packet, or null if the packet violates
 * the framing rules of RFC 6716 §3.4 (empty, impossible frame lengths,
 * zero frames, longer than 120 ms).
 */
export function opusPacketSamples(payload: Uint8Array): number | null {
  const n = payload.length;
  if (n < 1) return null; // [R1]
  const toc = payload[0]!;
  const frameSamples = opusFrameSamples(toc);
  const code = toc & 0x03;
  if (code === 0) {
    return n - 1 <= MAX_FRAME_BYTES ? frameSamples : null; // [R2]
  }
  if (code === 1) {
    // [R3]: two frames of equal size.
    if ((n - 1) % 2 !== 0 || (n - 1) / 2 > MAX_FRAME_BYTES) return null;
    return 2 * frameSamples;
  }
  if (code === 2) {
    // [R4]: first frame's length, then it must fit.
    const len = readFrameLength(payload, 1, n);
    if (len === null) return null;
    const rest = n - 1 - len[1];
    if (len[0] > rest || rest - len[0] > MAX_FRAME_BYTES) return null;
    return 2 * frameSamples;
  }
  // code 3: frame count byte |v|p|  M (6)  |
  if (n < 2) return null; // [R6]
  const countByte = payload[1]!;
  const vbr = (countByte & 0x80) !== 0;
  const hasPadding = (countByte & 0x40) !== 0;
  const frames = countByte & 0x3f;
  if (frames === 0 || frames * frameSamples > MAX_PACKET_SAMPLES) return null; // [R5]
  let at = 2;
  let padding = 0;
  if (hasPadding) {
    // Padding length: each 255 byte means 254 more and another length byte follows.
    for (;;) {
      if (at >= n) return null;
      const b = payload[at++]!;
      padding += b === 255 ? 254 : b;
      if (b !== 255) break;
    }
  }
  let remaining = n - at - padding;
  if (remaining < 0) return null;
  if (!vbr) {
    // [R6] CBR: equal frames.
    if (remaining % frames !== 0 || remaining / frames > MAX_FRAME_BYTES) return null;
    return frames * frameSamples;
  }
  // [R7] VBR: M−1 explicit lengths, the last frame takes the rest.
  for (let i = 0; i < frames - 1; i++) {
    const len = readFrameLength(payload, at, n - padding);
    if (len === null) return null;
    at += len[1];
    remaining -= len[1] + len[0];
    if (remaining < 0) return null;
  }
  return remaining <= MAX_FRAME_BYTES ? frames * frameSamples : null;
}

/**
 * libopus's opus_encode documentation: a returned packet of 2 bytes or less
 * need not be transmitted (DTX silence). The send path skips these, and the
 * next sent packet then starts a talkspurt (marker bit, RFC 7587 §4.2).
 */
export function isOpusDtxPacket(payload: Uint8Array): boolean {
  return payload.length <= 2;
}
