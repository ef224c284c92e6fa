/**
 * Codec interfaces the rest of the engine codes against. The only module that
 * implements them with native libopus is ./opus.ts; tests use fakes.
 */

/**
 * How far the Opus encoder looks ahead, which every sample carries as
 * delay on top of its frame (docs/architecture.md §8). Measured with an
 * impulse through libopus 1.x (test/engine/codec/opus.test.ts): the VOIP
 * and audio applications add 4 ms of delay compensation to CELT's 2.5 ms
 * so that SILK and CELT line up across mode switches; the restricted
 * low-delay application is CELT only and adds none.
 */
export const OPUS_LOOKAHEAD_MS = { voice: 6.5, lowDelay: 2.5 } as const;

/** The encoder's lookahead in ms for the chosen mode. */
export function opusLookaheadMs(lowDelay: boolean): number {
  return lowDelay ? OPUS_LOOKAHEAD_MS.lowDelay : OPUS_LOOKAHEAD_MS.voice;
}

/** Encodes one frame of 48 kHz mono PCM into one Opus packet (RFC 7587 §4.2: one packet per RTP payload). */
export interface FrameEncoder {
  readonly frameMs: number;
  encode(pcm: Int16Array): Buffer;
}

/**
 * One decoder per remote stream: Opus keeps state between packets. The PCM
 * that decode() and conceal() return may be reused by the decoder: it is
 * valid until the next call on the same decoder (no copy per frame).
 */
export interface FrameDecoder {
  /**
   * Decode one Opus packet into 48 kHz mono PCM of the packet's own duration
   * (a peer may use another frame size than ours). A corrupt packet returns
   * null and is counted in `corruptPackets`; it never throws.
   */
  decode(payload: Uint8Array): Int16Array | null;
  /** Opus packet loss concealment for `samples` samples (at most 5760 = 120 ms). */
  conceal(samples: number): Int16Array;
  readonly corruptPackets: number;
}

/**
 * The fields of an RTP packet (RFC 3550 §5.1) that the receive path uses.
 * The RTP parser's packet type has at least these fields with these names.
 */
export interface MediaPacket {
  readonly sequenceNumber: number; // 16-bit
  readonly timestamp: number; // 32-bit, 48 kHz clock for Opus (RFC 7587 §4.1)
  readonly ssrc: number;
  readonly payloadType: number;
  readonly marker: boolean;
  readonly payload: Uint8Array;
}
