/**
 * The send path from captured PCM to every peer's queue (docs/architecture.md §2):
 *
 *   frames ─► FilterChain (AEC → NS → AGC) ─► VoiceGate ─► encode ─► RtpTimeline ─► OutgoingPackets ─┬─► SendLoop (peer A)
 *                                                                                 └─► SendLoop (peer B) …
 *
 * Encode once, number the packet once (one SSRC for our one source,
 * RFC 3550 §3), and hand each peer's own bounded loop the form of the packet
 * that peer takes: plain Opus, or RED (RFC 2198) with the 1 or 2 earlier
 * frames its redundancy distance asks for (send/redundancy-policy.ts). Each
 * form is built at most once per frame, into preallocated buffers
 * (send/outgoing-packets.ts), whatever the number of peers. The mesh sends
 * full RTP packets (it uses no packetizer), so the header values here are
 * what goes on the wire, but for the payload types a link renumbers.
 *
 * Frames the gate holds back are not encoded (saves CPU on a 2-core box);
 * with DTX, packets of ≤ 2 bytes are not sent (libopus: need not be
 * transmitted). Either way the RTP timestamp still advances, and the next
 * sent packet carries the marker bit (RFC 7587 §4.2).
 *
 * The filter chain works on a copy in a buffer of our own (sources may hand
 * out frames they still use, audio/types.ts), so the gate, the encoder and
 * the engine's meters all see the processed audio; with every stage off the
 * frame is not copied at all.
 */
import { emptyCaptureStats, type CapturePipelineStats } from './capture-stats.js';
import type { FrameEncoder } from '../codec/types.js';
import { DEFAULT_OPUS_PAYLOAD_TYPE, isOpusDtxPacket } from '../rtp/opus-payload.js';
import { DEFAULT_RED_PAYLOAD_TYPE } from '../rtp/red-payload.js';
import { OutgoingPackets } from './outgoing-packets.js';
import type { RedDistance } from './redundancy-policy.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { samplesPerFrame } from '../../core/media-format.js';
import type { FilterChain } from '../dsp/filter-chain.js';
import type { RtpTimeline } from './rtp-timeline.js';
import type { SendLoop } from './send-loop.js';
import type { VoiceGate } from './voice-gate.js';

export interface CapturePipelineOptions {
  encoder: FrameEncoder;
  gate: VoiceGate;
  timeline: RtpTimeline;
  /** Opus payload type the packets are built with (default 111; a link renumbers to what it negotiated). */
  payloadType?: number;
  /** RED payload type the packets are built with (default 63; likewise). */
  redPayloadType?: number;
  /**
   * Frames a built packet must stay intact for: the longest a send loop
   * holds one (its queue + the one in flight) + 1. Default 6 (queues of 4).
   */
  packetSlots?: number;
  /** Do not send DTX packets of ≤ 2 bytes (default true). */
  skipDtxPackets?: boolean;
  /** Processing before the gate (echo cancellation, noise suppression, gain control); none by default. */
  filters?: FilterChain;
  /** Called once per captured frame (UI level meter, speaking indicator). */
  onFrame?: (info: FrameInfo) => void;
  logger?: Logger;
}

export interface FrameInfo {
  levelDbfs: number;
  transmitted: boolean;
  captureTimeNs: bigint | undefined;
}

export { emptyCaptureStats, type CapturePipelineStats } from './capture-stats.js';

export class CapturePipeline {
  private readonly encoder: FrameEncoder;
  private readonly gate: VoiceGate;
  private readonly timeline: RtpTimeline;
  private readonly packets: OutgoingPackets;
  private readonly skipDtx: boolean;
  private readonly onFrameInfo: ((info: FrameInfo) => void) | undefined;
  private readonly log: Logger;
  private readonly filters: FilterChain | undefined;
  /** The processed frame (filters work in place here, never in the source's buffer). */
  private readonly work: Int16Array;
  private readonly loops = new Map<string, PeerSend>();
  private readonly counters = {
    framesCaptured: 0,
    packetsSent: 0,
    framesGated: 0,
    framesMuted: 0,
    framesDtx: 0,
    encodeErrors: 0,
    payloadOctets: 0,
    lastLevelDbfs: -Infinity,
  };

  constructor(opts: CapturePipelineOptions) {
    const pt = opts.payloadType ?? DEFAULT_OPUS_PAYLOAD_TYPE;
    if (!Number.isInteger(pt) || pt < 0 || pt > 127) throw new RangeError(`payloadType must be 0..127; got ${pt}`);
    if (opts.encoder.frameMs !== opts.timeline.frameMs || opts.gate.frameMs !== opts.timeline.frameMs) {
      throw new RangeError(
        `encoder (${opts.encoder.frameMs} ms), gate (${opts.gate.frameMs} ms) and timeline (${opts.timeline.frameMs} ms) must use one frame size`,
      );
    }
    this.encoder = opts.encoder;
    this.gate = opts.gate;
    this.timeline = opts.timeline;
    this.packets = new OutgoingPackets({
      slots: opts.packetSlots ?? 6,
      opusPayloadType: pt,
      redPayloadType: opts.redPayloadType ?? DEFAULT_RED_PAYLOAD_TYPE,
    });
    this.skipDtx = opts.skipDtxPackets ?? true;
    this.onFrameInfo = opts.onFrame;
    this.log = opts.logger ?? silentLogger;
    this.filters = opts.filters;
    this.work = new Int16Array(opts.filters !== undefined ? samplesPerFrame(opts.timeline.frameMs) : 0);
  }

  /** Our SSRC: give it to every peer link so the SDP announces it. */
  get ssrc(): number {
    return this.timeline.ssrc;
  }

  /**
   * Send to a peer through `loop`. `redDistance` is asked once per sent
   * frame: 0 for plain Opus (a peer that did not negotiate RED), 1–2 for
   * RED with that many earlier frames. Default: always plain.
   */
  addPeer(peerId: string, loop: SendLoop<Uint8Array>, redDistance: () => RedDistance = plainOpus): void {
    this.loops.get(peerId)?.loop.close();
    this.loops.set(peerId, { loop, redDistance });
  }

  hasPeer(peerId: string): boolean {
    return this.loops.has(peerId);
  }

  /** Remove a peer and close its loop (drops what it still had queued). */
  removePeer(peerId: string): void {
    this.loops.get(peerId)?.loop.close();
    this.loops.delete(peerId);
  }

  /**
   * Exactly one frame (from an AudioSource that already frames). Returns the
   * frame as the gate saw it (after the filters): valid until the next call.
   */
  pushFrame(input: Int16Array, captureTimeNs?: bigint): Int16Array {
    this.counters.framesCaptured++;
    let frame = input;
    if (this.filters !== undefined && this.filters.active && input.length === this.work.length) {
      this.work.set(input);
      this.filters.process(this.work);
      frame = this.work;
    }
    const decision = this.gate.process(frame);
    this.counters.lastLevelDbfs = decision.levelDbfs;
    let packet: Buffer | null = null;
    if (!decision.transmit) {
      if (this.gate.muted) this.counters.framesMuted++;
      else this.counters.framesGated++;
    } else {
      try {
        packet = this.encoder.encode(frame);
      } catch (err) {
        this.counters.encodeErrors++;
        this.log.warn('encode-failed', { err });
      }
      if (packet !== null && this.skipDtx && isOpusDtxPacket(packet)) {
        this.counters.framesDtx++;
        packet = null;
      }
    }
    const stamp = this.timeline.nextFrame(packet !== null);
    if (packet !== null && stamp !== null) {
      this.packets.frame(stamp, packet);
      this.counters.packetsSent++;
      this.counters.payloadOctets += packet.length;
      for (const peer of this.loops.values()) peer.loop.enqueue(this.packets.packet(peer.redDistance()));
    } else {
      this.packets.gap();
    }
    if (this.onFrameInfo !== undefined) {
      // A UI callback must never break the capture path.
      try {
        this.onFrameInfo({ levelDbfs: decision.levelDbfs, transmitted: packet !== null, captureTimeNs });
      } catch (err) {
        this.log.warn('frame-callback-failed', { err });
      }
    }
    return frame;
  }

  get stats(): CapturePipelineStats {
    return { ...this.counters, redundantOctets: this.packets.stats.redundantBytes, peers: this.loops.size };
  }
}

interface PeerSend {
  readonly loop: SendLoop<Uint8Array>;
  readonly redDistance: () => RedDistance;
}

const plainOpus = (): RedDistance => 0;
