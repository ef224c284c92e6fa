/**
 * Test doubles for the receive path: packets whose payload is a real Opus TOC
 * byte (so durations are read exactly as in production) followed by one
 * 16-bit sample value, and a decoder that "decodes" that value into a frame
 * of constant samples. Ordering, concealment and fades can then be checked
 * sample by sample.
 */
import type { FrameDecoder, MediaPacket } from '../../../src/engine/codec/types.js';
import { ManualClock } from '../../../src/core/clock.js';
import { RemoteStream, type RemoteStreamOptions } from '../../../src/engine/receive/remote-stream.js';
import { opusPacketSamples } from '../../../src/engine/rtp/opus-payload.js';
import { createRandom } from '../../../src/engine/sim/prng.js';

/** What the fake decoder's concealment produces (distinct from any test value). */
export const CONCEAL_VALUE = 777;

export interface PacketOptions {
  samples?: number;
  ssrc?: number;
  marker?: boolean;
}

export function fakePayload(value: number, samples = 960): Uint8Array {
  const v = value & 0xffff;
  return Uint8Array.of(opusTocFor(samples), v >> 8, v & 0xff);
}

/** A DTX-like packet: TOC only, decodes to silence. */
export function dtxPayload(samples = 960): Uint8Array {
  return Uint8Array.of(opusTocFor(samples));
}

export function packet(seq: number, ts: number, value: number, options: PacketOptions = {}): MediaPacket {
  return {
    sequenceNumber: seq & 0xffff,
    timestamp: ts >>> 0,
    ssrc: options.ssrc ?? 0x1234,
    payloadType: 111,
    marker: options.marker ?? false,
    payload: fakePayload(value, options.samples ?? 960),
  };
}

export function dtxPacket(seq: number, ts: number, options: PacketOptions = {}): MediaPacket {
  return { ...packet(seq, ts, 0, options), payload: dtxPayload(options.samples ?? 960) };
}

export class FakeDecoder implements FrameDecoder {
  corruptPackets = 0;
  decoded: number[] = [];
  concealCalls: number[] = [];

  decode(payload: Uint8Array): Int16Array | null {
    const samples = opusPacketSamples(payload);
    if (samples === null || payload.length === 2) {
      this.corruptPackets++;
      return null;
    }
    const value = payload.length >= 3 ? (((payload[1]! << 8) | payload[2]!) << 16) >> 16 : 0;
    this.decoded.push(value);
    return new Int16Array(samples).fill(value);
  }

  conceal(samples: number): Int16Array {
    this.concealCalls.push(samples);
    return new Int16Array(samples).fill(CONCEAL_VALUE);
  }
}

/** Deterministic PRNG (mulberry32) for simulations. */
export function seededRandom(seed: number): () => number {
  const random = createRandom(seed);
  return () => random.next();
}

/**
 * A TOC byte for a single-frame (code 0) Opus packet of the given duration
 * (RFC 6716 §3.1): CELT fullband configs 28–31 up to 20 ms, SILK wideband
 * configs 10/11 for 40/60 ms.
 */
export function opusTocFor(samples: number): number {
  const config = { 120: 28, 240: 29, 480: 30, 960: 31, 1920: 10, 2880: 11 }[samples];
  if (config === undefined) throw new RangeError(`no single-frame Opus configuration lasts ${samples} samples`);
  return config << 3;
}

/** A 20 ms RemoteStream on a ManualClock at 0, each of its decoders a FakeDecoder (listed in order of creation). */
export function fakeStream(options: Partial<RemoteStreamOptions> = {}): { clock: ManualClock; stream: RemoteStream; decoders: FakeDecoder[] } {
  const clock = new ManualClock(0);
  const decoders: FakeDecoder[] = [];
  const stream = new RemoteStream({
    frameMs: 20,
    clock,
    decoderFactory: () => {
      const d = new FakeDecoder();
      decoders.push(d);
      return d;
    },
    ...options,
  });
  return { clock, stream, decoders };
}

/**
 * A decoder whose every packet and concealment continue one sine: the output
 * is a clean sine unless the stream itself cuts, repeats or stretches it, so
 * clicks and pitch can be checked on the stream's output.
 */
export class SineDecoder implements FrameDecoder {
  corruptPackets = 0;
  decodedPackets = 0;
  concealedSamples = 0;
  private n = 0;

  constructor(
    readonly hz = 200,
    readonly amplitude = 8000,
  ) {}

  /** The largest step between two samples of this sine. */
  get maxStep(): number {
    return Math.ceil(this.amplitude * 2 * Math.sin((Math.PI * this.hz) / 48_000)) + 1;
  }

  decode(payload: Uint8Array): Int16Array | null {
    const samples = opusPacketSamples(payload);
    if (samples === null) {
      this.corruptPackets++;
      return null;
    }
    this.decodedPackets++;
    return this.next(samples);
  }

  conceal(samples: number): Int16Array {
    this.concealedSamples += samples;
    return this.next(samples);
  }

  private next(samples: number): Int16Array {
    const out = new Int16Array(samples);
    for (let i = 0; i < samples; i++, this.n++) out[i] = Math.round(this.amplitude * Math.sin((2 * Math.PI * this.hz * this.n) / 48_000));
    return out;
  }
}
