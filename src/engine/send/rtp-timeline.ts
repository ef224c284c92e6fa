/**
 * The RTP numbering of our outgoing stream.
 *
 * - Sequence number, timestamp and SSRC start random (RFC 3550 §5.1: initial
 *   values SHOULD be random, to make known-plaintext attacks on encryption
 *   harder), unless given (tests, or to continue a stream).
 * - The timestamp advances by one frame's samples for EVERY captured frame,
 *   sent or not (muted, gated, DTX): it is the media clock (RFC 3550 §5.1,
 *   RFC 7587 §4.1 48 kHz), so the receiver can tell silence duration.
 * - The sequence number advances only for packets sent: it counts packets,
 *   and gaps in it mean loss.
 * - The marker bit is set on the first packet of a talkspurt, i.e. the first
 *   sent after one or more frames that were not sent (RFC 3551 §4.1,
 *   RFC 7587 §4.2), and on the very first packet. Receivers use it to
 *   re-sync their jitter buffer instead of counting a gap as loss.
 */
import { randomInt } from 'node:crypto';
import { assertFrameMs, samplesPerFrame, type FrameMs } from '../../core/media-format.js';

export interface RtpStamp {
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
}

export interface RtpTimelineOptions {
  frameMs: FrameMs;
  ssrc?: number;
  initialSequenceNumber?: number;
  initialTimestamp?: number;
  /** Source of randomness: returns an integer in [0, maxExclusive). Default node:crypto randomInt. */
  randomInt?: (maxExclusive: number) => number;
}

function cryptoRandomUint(maxExclusive: number): number {
  // crypto.randomInt's range is limited to < 2^48 and max − min ≤ 2^48; 2^32 is fine.
  return randomInt(0, maxExclusive);
}

function checkUint(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${name} must be an integer in 0..${max}; got ${String(v)}`);
  return v;
}

export class RtpTimeline {
  readonly frameMs: FrameMs;
  readonly ssrc: number;
  private readonly frameSamples: number;
  private seq: number;
  private ts: number;
  private lastFrameSent = false;
  private framesCaptured = 0;
  private packetsSent = 0;

  constructor(opts: RtpTimelineOptions) {
    this.frameMs = assertFrameMs(opts.frameMs);
    this.frameSamples = samplesPerFrame(this.frameMs);
    const rnd = opts.randomInt ?? cryptoRandomUint;
    this.ssrc = checkUint('ssrc', opts.ssrc ?? rnd(0x100000000), 0xffffffff);
    this.seq = checkUint('initialSequenceNumber', opts.initialSequenceNumber ?? rnd(0x10000), 0xffff);
    this.ts = checkUint('initialTimestamp', opts.initialTimestamp ?? rnd(0x100000000), 0xffffffff);
  }

  /**
   * Account for one captured frame. Returns the header values for its packet
   * when `send` is true, or null when the frame is not sent (its time still passes).
   */
  nextFrame(send: boolean): RtpStamp | null {
    const timestamp = this.ts;
    this.ts = (this.ts + this.frameSamples) >>> 0;
    this.framesCaptured++;
    if (!send) {
      this.lastFrameSent = false;
      return null;
    }
    const stamp: RtpStamp = { sequenceNumber: this.seq, timestamp, ssrc: this.ssrc, marker: !this.lastFrameSent };
    this.seq = (this.seq + 1) & 0xffff;
    this.lastFrameSent = true;
    this.packetsSent++;
    return stamp;
  }

  /** Timestamp the next captured frame will carry. */
  get nextTimestamp(): number {
    return this.ts;
  }

  /** Sequence number the next sent packet will carry. */
  get nextSequenceNumber(): number {
    return this.seq;
  }

  /** Frames accounted so far, and packets among them that were sent (for RTCP SR counts). */
  get counts(): { framesCaptured: number; packetsSent: number } {
    return { framesCaptured: this.framesCaptured, packetsSent: this.packetsSent };
  }
}
