/**
 * Opus encoder/decoder on libopus via @discordjs/opus. This is the ONLY module
 * that imports the native binding (docs/architecture.md §6): everything else codes against
 * FrameEncoder/FrameDecoder from ./types.ts and tests with fakes.
 *
 * Native pitfalls this module exists to contain (docs/architecture.md §6):
 * - An invalid frame size makes opus_encode fail and the binding then aborts
 *   the whole process (not catchable), so every PCM length is validated in JS
 *   before any native call.
 * - OPUS_SET_APPLICATION only works before the first encode, so all CTLs are
 *   applied in the factory.
 * - decode(empty) conceals but always yields 120 ms; we keep what was asked.
 * - A corrupt packet throws a catchable error: counted, returned as null.
 */
import { createRequire } from 'node:module';
import { assertFrameMs, samplesPerFrame, type FrameMs } from '../../core/media-format.js';
import type { FrameDecoder, FrameEncoder } from './types.js';

// @discordjs/opus is CommonJS; createRequire keeps the import explicit under NodeNext ESM.
const require = createRequire(import.meta.url);
const { OpusEncoder: NativeOpus } = require('@discordjs/opus') as typeof import('@discordjs/opus');
type NativeOpus = InstanceType<typeof NativeOpus>;

const SAMPLE_RATE_HZ = 48_000;
const MONO = 1;

// libopus CTL request numbers (opus_defines.h).
const OPUS_SET_APPLICATION = 4000;
const OPUS_APPLICATION_VOIP = 2048;
const OPUS_APPLICATION_RESTRICTED_LOWDELAY = 2051;
const OPUS_SET_VBR = 4006;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_INBAND_FEC = 4012;
const OPUS_SET_PACKET_LOSS_PERC = 4014;
const OPUS_SET_DTX = 4016;
const OPUS_SET_SIGNAL = 4024;
const OPUS_SIGNAL_VOICE = 3001;

/**
 * In the low-delay application libopus decides DTX from its signal analysis,
 * which runs only from complexity 7: below it silence after speech came out
 * as 3-byte frames, 50 a second, instead of 1-byte DTX frames (measured).
 * CELT alone at 7 still costs less than SILK and CELT at 5 (75 against
 * 128 µs per 20 ms frame of speech at 32 kb/s on the 2-core machine).
 */
const LOW_DELAY_MIN_COMPLEXITY = 7;

/** RFC 6716 §2: Opus supports 6 kb/s to 510 kb/s. */
export const MIN_BITRATE_BPS = 6_000;
export const MAX_BITRATE_BPS = 510_000;
/** Longest Opus packet duration (RFC 6716 §3.2.5): 120 ms at 48 kHz. */
export const MAX_OPUS_SAMPLES = 5_760;

export interface OpusEncoderOptions {
  frameMs: FrameMs;
  /** Target bitrate in bits/s (default 32000). */
  bitrate?: number;
  /** 0 (fastest) … 10 (best); default 5. */
  complexity?: number;
  /** Discontinuous transmission: silence becomes 1–3 byte packets (default false). */
  dtx?: boolean;
  /** In-band FEC (only effective with expectedLossPercent > 0; default false). */
  fec?: boolean;
  /** Expected packet loss 0–100 %, tunes FEC redundancy (default 0). */
  expectedLossPercent?: number;
  /**
   * Opus's restricted low-delay application: CELT only, 2.5 ms of lookahead
   * instead of 6.5 (OPUS_LOOKAHEAD_MS). Without SILK there is no in-band
   * FEC (`fec` has no effect); Opus's documentation recommends SILK for
   * speech at low bitrates. DTX still works (complexity is raised to 7 for
   * it). Default false.
   */
  lowDelay?: boolean;
}

function checkIntRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}; got ${String(value)}`);
  }
  return value;
}

/** A view of the same memory as a Buffer (no copy) so the binding can read it. */
function asBuffer(bytes: Uint8Array | Int16Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

class OpusFrameEncoder implements FrameEncoder {
  readonly frameMs: FrameMs;
  private readonly frameSamples: number;
  private readonly native: NativeOpus;

  constructor(opts: OpusEncoderOptions) {
    this.frameMs = assertFrameMs(opts.frameMs);
    this.frameSamples = samplesPerFrame(this.frameMs);
    const bitrate = checkIntRange('bitrate (bits/s)', opts.bitrate ?? 32_000, MIN_BITRATE_BPS, MAX_BITRATE_BPS);
    const complexity = checkIntRange('complexity', opts.complexity ?? 5, 0, 10);
    const lossPercent = checkIntRange('expectedLossPercent', opts.expectedLossPercent ?? 0, 0, 100);
    const dtx = opts.dtx ?? false;
    const fec = opts.fec ?? false;
    const lowDelay = opts.lowDelay ?? false;
    if (typeof lowDelay !== 'boolean') throw new TypeError(`lowDelay must be a boolean; got ${String(lowDelay)}`);
    if (typeof dtx !== 'boolean') throw new TypeError(`dtx must be a boolean; got ${String(dtx)}`);
    if (typeof fec !== 'boolean') throw new TypeError(`fec must be a boolean; got ${String(fec)}`);

    this.native = new NativeOpus(SAMPLE_RATE_HZ, MONO);
    // Must precede the first encode (docs/architecture.md §6), so all CTLs happen here.
    this.native.applyEncoderCTL(OPUS_SET_APPLICATION, lowDelay ? OPUS_APPLICATION_RESTRICTED_LOWDELAY : OPUS_APPLICATION_VOIP);
    this.native.applyEncoderCTL(OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE);
    this.native.applyEncoderCTL(OPUS_SET_VBR, 1);
    this.native.applyEncoderCTL(OPUS_SET_COMPLEXITY, lowDelay ? Math.max(complexity, LOW_DELAY_MIN_COMPLEXITY) : complexity);
    this.native.applyEncoderCTL(OPUS_SET_INBAND_FEC, fec ? 1 : 0);
    this.native.applyEncoderCTL(OPUS_SET_PACKET_LOSS_PERC, lossPercent);
    this.native.applyEncoderCTL(OPUS_SET_DTX, dtx ? 1 : 0);
    this.native.setBitrate(bitrate);
  }

  encode(pcm: Int16Array): Buffer {
    // The native side derives the frame size from the byte length; a wrong
    // size aborts the process, so this check is what keeps us alive.
    if (!(pcm instanceof Int16Array)) {
      throw new TypeError('encode expects an Int16Array of 48 kHz mono PCM');
    }
    if (pcm.length !== this.frameSamples) {
      throw new RangeError(
        `encode expects exactly ${this.frameSamples} samples (${this.frameMs} ms at 48 kHz); got ${pcm.length}`,
      );
    }
    return this.native.encode(asBuffer(pcm));
  }
}

class OpusFrameDecoder implements FrameDecoder {
  private readonly native = new NativeOpus(SAMPLE_RATE_HZ, MONO);
  /** Where unaligned output and concealment are copied; what decode/conceal return points into it or into the binding's own buffer. */
  private readonly scratch = new Int16Array(MAX_OPUS_SAMPLES);
  private corrupt = 0;

  get corruptPackets(): number {
    return this.corrupt;
  }

  decode(payload: Uint8Array): Int16Array | null {
    // An empty payload would be treated by libopus as "lost" (PLC): that is
    // conceal()'s job, and an empty RTP payload is a malformed Opus packet
    // (RFC 6716 §3.4 [R1]: at least one byte).
    if (!(payload instanceof Uint8Array) || payload.length === 0) {
      this.corrupt++;
      return null;
    }
    let out: Buffer;
    try {
      out = this.native.decode(asBuffer(payload));
    } catch {
      this.corrupt++;
      return null;
    }
    return this.samplesOf(out, out.length >> 1);
  }

  conceal(samples: number): Int16Array {
    if (!Number.isInteger(samples) || samples < 1 || samples > MAX_OPUS_SAMPLES) {
      throw new RangeError(`conceal samples must be an integer in 1..${MAX_OPUS_SAMPLES}; got ${String(samples)}`);
    }
    let out: Buffer;
    try {
      // The binding asks libopus for up to 120 ms of PLC; keep the first `samples`.
      out = this.native.decode(EMPTY_PACKET);
    } catch {
      // PLC before any packet was decoded still works in libopus; should it
      // ever fail, silence is the honest concealment.
      return this.scratch.fill(0, 0, samples).subarray(0, samples);
    }
    const got = Math.min(samples, out.length >> 1);
    if (got === samples) return this.samplesOf(out, samples);
    const result = this.scratch.subarray(0, samples);
    result.set(this.samplesOf(out, got));
    result.fill(0, got);
    return result;
  }

  /**
   * `samples` little-endian 16-bit samples of a buffer the binding made for
   * this call: a view when it is aligned (no copy), else a copy into scratch.
   */
  private samplesOf(buf: Buffer, samples: number): Int16Array {
    if ((buf.byteOffset & 1) === 0) return new Int16Array(buf.buffer, buf.byteOffset, samples);
    const result = this.scratch.subarray(0, samples);
    for (let i = 0; i < samples; i++) result[i] = buf.readInt16LE(i * 2);
    return result;
  }
}

/** libopus conceals a lost packet when handed an empty one. */
const EMPTY_PACKET = Buffer.alloc(0);

/** One encoder per local capture stream (encode once, send to all peers). */
export function createOpusEncoder(opts: OpusEncoderOptions): FrameEncoder {
  return new OpusFrameEncoder(opts);
}

/** One decoder per remote stream: Opus decoding is stateful. */
export function createOpusDecoder(): FrameDecoder {
  return new OpusFrameDecoder();
}
