/**
 * The RTP packets of one captured frame, in as many forms as the peers
 * need (docs/architecture.md §2): plain Opus (RFC 7587), or RED (RFC 2198)
 * carrying the 1 or 2 frames sent just before. The frame is encoded once;
 * each form is built at most once per frame, only when some peer asks for
 * it, into buffers allocated up front.
 *
 * Buffers: a ring of `slots` frames, each with one buffer per form. A
 * packet handed out stays intact until `slots − 1` more frames have been
 * built. A peer's send loop holds at most its queue plus the one being sent
 * (send/send-loop.ts), so the engine makes `slots` = queue + 2; every
 * transport copies the bytes before its send returns (node-datachannel
 * does; the simulated network copies too).
 *
 * Redundancy covers consecutive packets only: a frame that was not sent
 * (gate closed, muted, DTX) clears the history, so a RED block always
 * stands for the packet 1 or 2 sequence numbers before it, which is how the
 * receiver places it (rtp/red-payload.ts, redundantSequenceNumber). A frame
 * too large for RED's 10-bit block length is not kept for redundancy.
 */
import { RTP_FIXED_HEADER_BYTES } from '../rtp/packet.js';
import {
  MAX_RED_BLOCK_BYTES,
  MAX_RED_TIMESTAMP_OFFSET,
  RED_HEADER_BYTES,
  RED_PRIMARY_HEADER_BYTES,
  writeRedPayload,
  type RedundantFrame,
} from '../rtp/red-payload.js';
import { MAX_RED_DISTANCE, type RedDistance } from './redundancy-policy.js';
import type { RtpStamp } from './rtp-timeline.js';

/** Largest Opus packet kept in place: one frame is at most 1275 bytes plus its TOC (RFC 6716 §3.2.1). */
export const MAX_PRIMARY_BYTES = 1276;
const PACKET_CAPACITY = RTP_FIXED_HEADER_BYTES + MAX_RED_DISTANCE * (RED_HEADER_BYTES + MAX_RED_BLOCK_BYTES) + RED_PRIMARY_HEADER_BYTES + MAX_PRIMARY_BYTES;

interface HistoryFrame extends RedundantFrame {
  readonly bytes: Uint8Array;
  length: number;
  timestampOffset: number;
  timestamp: number;
}

interface Slot {
  /** Index = distance: 0 plain, 1 and 2 RED. */
  readonly buffers: Uint8Array[];
  /** The packet built in each buffer: every peer taking that form gets this same view. */
  readonly views: Uint8Array[];
  /** The frame number each form was last built for. */
  readonly builtFor: number[];
}

export interface OutgoingPacketsOptions {
  /** Frames whose packets must stay intact (see the header). */
  slots: number;
  opusPayloadType: number;
  redPayloadType: number;
}

export class OutgoingPackets {
  private readonly slots: Slot[] = [];
  private readonly opusPt: number;
  private readonly redPt: number;
  /** The last MAX_RED_DISTANCE frames sent, a ring (see remember()). */
  private readonly history: HistoryFrame[] = [];
  private historyCount = 0;
  /** Ring index of the newest frame in `history`. */
  private newest = MAX_RED_DISTANCE - 1;
  /** Redundant frames for the current packet, oldest first (reused). */
  private readonly carried: HistoryFrame[] = [];
  private frameNo = -1;
  private slotIndex = 0;
  private stamp: RtpStamp = { sequenceNumber: 0, timestamp: 0, ssrc: 0, marker: false };
  private primary: Uint8Array = new Uint8Array(0);
  private hasFrame = false;
  /** Bytes of redundancy (block headers and data) in packets built, and the packets of each form built. */
  private readonly counts = { redundantBytes: 0, built: [0, 0, 0] };

  constructor(opts: OutgoingPacketsOptions) {
    if (!Number.isInteger(opts.slots) || opts.slots < 2) throw new RangeError(`slots must be an integer ≥ 2; got ${opts.slots}`);
    for (const [name, pt] of [['opusPayloadType', opts.opusPayloadType], ['redPayloadType', opts.redPayloadType]] as const) {
      if (!Number.isInteger(pt) || pt < 0 || pt > 127) throw new RangeError(`${name} must be 0..127; got ${pt}`);
    }
    this.opusPt = opts.opusPayloadType;
    this.redPt = opts.redPayloadType;
    for (let s = 0; s < opts.slots; s++) {
      const buffers: Uint8Array[] = [];
      for (let d = 0; d <= MAX_RED_DISTANCE; d++) buffers.push(Buffer.alloc(PACKET_CAPACITY));
      this.slots.push({ buffers, views: buffers.slice(), builtFor: [-1, -1, -1] });
    }
    for (let i = 0; i < MAX_RED_DISTANCE; i++) this.history.push({ bytes: new Uint8Array(MAX_RED_BLOCK_BYTES), length: 0, timestampOffset: 0, timestamp: 0 });
  }

  /**
   * The next frame is sent: `opus` is its packet, `stamp` its RTP header.
   * The previous frame (if sent) goes into the history first. Packets of
   * this frame are built on request by `packet`.
   */
  frame(stamp: RtpStamp, opus: Uint8Array): void {
    if (this.hasFrame) this.remember();
    this.frameNo++;
    this.slotIndex = this.frameNo % this.slots.length;
    this.stamp = stamp;
    this.primary = opus;
    this.hasFrame = true;
  }

  /** A frame that was not sent: redundancy must not reach across it. */
  gap(): void {
    this.hasFrame = false;
    this.historyCount = 0;
  }

  /**
   * This frame's packet with up to `distance` earlier frames (0 = plain
   * Opus). Fewer are carried when fewer consecutive frames were sent.
   * Throws if no frame was given since the last gap (a programming error).
   */
  packet(distance: RedDistance): Uint8Array {
    if (!this.hasFrame) throw new Error('OutgoingPackets.packet before frame()');
    // A primary too large for the preallocated buffer (not an Opus frame libopus makes) goes plain, in a buffer of its own.
    if (this.primary.length > MAX_PRIMARY_BYTES) return this.oversized();
    const d = distance > MAX_RED_DISTANCE ? MAX_RED_DISTANCE : distance < 0 ? 0 : distance;
    const slot = this.slots[this.slotIndex]!;
    const buf = slot.buffers[d]!;
    if (slot.builtFor[d] === this.frameNo) return slot.views[d]!;
    writeHeader(buf, this.stamp, d === 0 ? this.opusPt : this.redPt);
    let length: number;
    if (d === 0) {
      buf.set(this.primary, RTP_FIXED_HEADER_BYTES);
      length = RTP_FIXED_HEADER_BYTES + this.primary.length;
    } else {
      const n = this.redundant(d);
      length = RTP_FIXED_HEADER_BYTES + writeRedPayload(buf, RTP_FIXED_HEADER_BYTES, this.opusPt, this.carried, n, this.primary);
      this.counts.redundantBytes += length - RTP_FIXED_HEADER_BYTES - this.primary.length;
    }
    this.counts.built[d]!++;
    slot.builtFor[d] = this.frameNo;
    const view = buf.subarray(0, length);
    slot.views[d] = view;
    return view;
  }

  /** Bytes of RED headers and redundant data built so far, and packets built of each form (plain, RED-1, RED-2). */
  get stats(): { redundantBytes: number; builtPlain: number; builtRed1: number; builtRed2: number } {
    const b = this.counts.built;
    return { redundantBytes: this.counts.redundantBytes, builtPlain: b[0]!, builtRed1: b[1]!, builtRed2: b[2]! };
  }

  /** Put the current frame into the history ring, when RED can carry it. */
  private remember(): void {
    if (this.primary.length > MAX_RED_BLOCK_BYTES) {
      // It cannot be carried, and a later block may not reach across it.
      this.historyCount = 0;
      return;
    }
    this.newest = (this.newest + 1) % MAX_RED_DISTANCE;
    const h = this.history[this.newest]!;
    h.bytes.set(this.primary);
    h.length = this.primary.length;
    h.timestamp = this.stamp.timestamp;
    if (this.historyCount < MAX_RED_DISTANCE) this.historyCount++;
  }

  /** Fill `carried` with the last `d` frames (oldest first) and their offsets; returns how many. */
  private redundant(d: number): number {
    this.carried.length = 0;
    const n = Math.min(d, this.historyCount);
    for (let back = n - 1; back >= 0; back--) {
      const h = this.history[(this.newest - back + MAX_RED_DISTANCE) % MAX_RED_DISTANCE]!;
      h.timestampOffset = (this.stamp.timestamp - h.timestamp) >>> 0;
      // Frames further back than 14 bits of timestamp (341 ms) cannot be described (RFC 2198 §3).
      if (h.timestampOffset === 0 || h.timestampOffset > MAX_RED_TIMESTAMP_OFFSET) continue;
      this.carried.push(h);
    }
    return this.carried.length;
  }

  private oversized(): Uint8Array {
    const out = Buffer.alloc(RTP_FIXED_HEADER_BYTES + this.primary.length);
    writeHeader(out, this.stamp, this.opusPt);
    out.set(this.primary, RTP_FIXED_HEADER_BYTES);
    return out;
  }
}

/** RFC 3550 §5.1 fixed header: V=2, no padding, extension or CSRCs. */
function writeHeader(out: Uint8Array, stamp: RtpStamp, payloadType: number): void {
  out[0] = 0x80;
  out[1] = (stamp.marker ? 0x80 : 0) | payloadType;
  out[2] = (stamp.sequenceNumber >> 8) & 0xff;
  out[3] = stamp.sequenceNumber & 0xff;
  out[4] = (stamp.timestamp >>> 24) & 0xff;
  out[5] = (stamp.timestamp >>> 16) & 0xff;
  out[6] = (stamp.timestamp >>> 8) & 0xff;
  out[7] = stamp.timestamp & 0xff;
  out[8] = (stamp.ssrc >>> 24) & 0xff;
  out[9] = (stamp.ssrc >>> 16) & 0xff;
  out[10] = (stamp.ssrc >>> 8) & 0xff;
  out[11] = stamp.ssrc & 0xff;
}
