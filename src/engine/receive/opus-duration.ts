/**
 * Duration of an Opus packet, read from its TOC byte without decoding
 * (RFC 6716 §3.1). The jitter buffer needs each packet's duration to advance
 * its playout position, and a peer may send 10, 20 or 40 ms packets
 * (RFC 7587 §4.2: one Opus packet per RTP payload, any valid duration).
 */

/** Samples at 48 kHz per frame for TOC configs 0..31 (RFC 6716 §3.1, Table 2). */
const FRAME_SAMPLES: readonly number[] = (() => {
  const out: number[] = [];
  for (let config = 0; config < 32; config++) {
    if (config < 12) out.push([480, 960, 1920, 2880][config % 4]!); // SILK-only: 10/20/40/60 ms
    else if (config < 16) out.push([480, 960][config % 2]!); // Hybrid: 10/20 ms
    else out.push([120, 240, 480, 960][config % 4]!); // CELT-only: 2.5/5/10/20 ms
  }
  return out;
})();

/** RFC 6716 §3.2.1: a packet holds at most 120 ms of audio. */
export const MAX_OPUS_PACKET_SAMPLES = 5760;

/**
 * Samples (48 kHz) carried by the Opus packet, or null if the bytes cannot be
 * a valid Opus packet (empty, code-3 without a frame count, > 120 ms).
 */
export function opusPacketSamples(payload: Uint8Array): number | null {
  if (payload.length < 1) return null;
  const toc = payload[0]!;
  const perFrame = FRAME_SAMPLES[toc >> 3]!;
  const code = toc & 0x03;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code === 1 || code === 2) frames = 2;
  else {
    // Code 3: the second byte's low 6 bits count the frames (RFC 6716 §3.2.5).
    if (payload.length < 2) return null;
    frames = payload[1]! & 0x3f;
    if (frames === 0) return null;
  }
  const samples = perFrame * frames;
  return samples > MAX_OPUS_PACKET_SAMPLES ? null : samples;
}

/**
 * A TOC byte for a single-frame CELT packet of the given duration, for tests
 * and tools that build synthetic packets (configs 28–31: fullband CELT).
 * Durations above 20 ms use SILK wideband configs 10/11 (40/60 ms).
 */
export function opusTocFor(samples: number): number {
  switch (samples) {
    case 120:
      return 28 << 3;
    case 240:
      return 29 << 3;
    case 480:
      return 30 << 3;
    case 960:
      return 31 << 3;
    case 1920:
      return 10 << 3;
    case 2880:
      return 11 << 3;
    default:
      throw new RangeError(`no single-frame Opus configuration lasts ${samples} samples`);
  }
}
