/**
 * One remote peer's audio, from RTP packets to playback frames:
 * jitter buffer → decode / conceal → fade after sustained loss → gain.
 *
 * Pull model: the mixer asks for exactly one playback frame per period. The
 * stream keeps a small sample FIFO because a peer's packets may last 10, 20
 * or 40 ms while our frames have their own size; it pulls from the jitter
 * buffer until the FIFO holds a frame.
 *
 * Loss handling (after Mumble's AudioOutputSpeech): a missing packet is
 * concealed by the decoder (Opus PLC). After `fadeAfterFrames` frames of
 * uninterrupted concealment the output fades to silence over `fadeOutMs`
 * and the decoder is no longer asked to conceal (PLC of PLC only buzzes).
 * When packets return after a fade, they fade in over `fadeInMs` so the
 * restart does not click. All of this is one gain envelope that slews
 * towards 1 (real audio) or 0 (long concealment) at a fixed rate per sample.
 *
 * Delay adaptation (docs/architecture.md §2): each decoded packet is played
 * as it is, shortened or lengthened by one pitch period (accelerate /
 * expand, receive/time-stretch.ts), or dropped whole when it is quiet (peak
 * below `quietLevel`) and the jitter buffer says it is over target; which of
 * these is receive/playout-policy.ts's decision, from how far the buffer's
 * delay is from its target. The stretch works on the FIFO's samples not yet
 * played (the new packet and what was left before it), so the delay the
 * buffer measures moves by exactly what was removed or inserted.
 *
 * Gain (0–200 %) and "muted for me" apply on output only: levels and the
 * speaking indicator reflect what the peer sends, so the UI still shows
 * that a peer muted-for-me is talking.
 *
 * Redundancy (RFC 2198 RED, `insertRed`): the primary block goes into the
 * jitter buffer as the packet; each redundant block that stands for a
 * packet still missing goes in at that packet's sequence number and
 * timestamp (receive/jitter-buffer.ts, insertRecovered), before the buffer
 * gives up on it and conceals. A payload that does not parse is counted
 * (`redMalformed`) and dropped, never thrown.
 *
 * Noise suppression of our own for this peer (for a peer who sends noise:
 * a browser with its suppression off, an older client) runs on each frame
 * after decoding and before the meters, gain and the mixer, so the
 * speaking indicator no longer follows their fan. It is attached on first
 * use; while switched off it costs one boolean test per frame.
 */
import type { FrameDecoder, MediaPacket } from '../codec/types.js';
import { monotonicClock, type Clock } from '../../core/clock.js';
import { assertFrameMs, SAMPLE_RATE, samplesPerFrame, type FrameMs } from '../../core/media-format.js';
import { JitterBuffer, MAX_OPUS_PACKET_SAMPLES, type JitterBufferOptions, type JitterBufferStats, type InsertOutcome } from './jitter-buffer.js';
import { FULL_SCALE, PeakMeter, peakLevel, rmsLevel } from '../audio/level.js';
import { SpeakingDetector, type SpeakingOptions } from './speaking.js';
import type { ReceptionTracker } from '../rtp/reception.js';
import { FilterSlot, type FilterCost, type FrameFilter } from '../dsp/frame-filter.js';
import { makeRedBlocks, parseRedPayload, redundantSequenceNumber, type RedBlock } from '../rtp/red-payload.js';
import { opusPacketSamples } from '../rtp/opus-payload.js';
import { PlayoutPolicy, type PlayoutPolicyOptions } from './playout-policy.js';
import { MAX_PERIOD_SAMPLES, TimeStretcher, type TimeStretchOptions } from './time-stretch.js';

const SAMPLES_PER_MS = SAMPLE_RATE / 1000;
export const MAX_GAIN_PERCENT = 200;
/** How long the sender's redundancy must reach less far before the buffer holds less for it (insertPacket). */
const REDUNDANCY_HOLD_MS = 2000;
/**
 * The buffer makes room for redundant copies (one packet duration per
 * level: a copy comes with a later packet) only while packets have been
 * missing within this long. A sender sends RED from its first frame
 * (send/redundancy-policy.ts) and on a clean link for its first seconds:
 * room then would add a frame of latency for nothing. The first loss is
 * recovered only if its copy arrives in time anyway; from it on the buffer
 * grows (by stretching) and holds the room for as long as the sender's
 * policy holds RED after loss ends (10 s).
 */
const LOSS_ROOM_HOLD_MS = 10_000;

export interface RemoteStreamOptions {
  frameMs: FrameMs;
  /** Makes a fresh decoder: at start and whenever the sender restarts (new SSRC). */
  decoderFactory: () => FrameDecoder;
  clock?: Clock;
  jitter?: Omit<JitterBufferOptions, 'clock'>;
  /** Playback frames of concealment at full level before fading. Default 5. */
  fadeAfterFrames?: number;
  /** Fade-out length after sustained loss. Default 20 ms. */
  fadeOutMs?: number;
  /** Fade-in length when audio returns after a fade. Default 5 ms. */
  fadeInMs?: number;
  /** Peak level (0..1) below which an over-target packet may be dropped. Default 0.01. */
  quietLevel?: number;
  speaking?: Omit<SpeakingOptions, 'frameMs'>;
  /** Meter release factor per frame. Default 0.8. */
  meterRelease?: number;
  /** Initial gain, percent. Default 100. */
  gainPercent?: number;
  /** When to accelerate / expand (receive/playout-policy.ts). */
  playout?: PlayoutPolicyOptions;
  /** How (receive/time-stretch.ts). */
  stretch?: TimeStretchOptions;
}

export interface RemoteStreamStats extends JitterBufferStats {
  /** Playback frames that contained decoder concealment. */
  readonly concealedFrames: number;
  /** Packets the decoder rejected (corrupt), over all decoders of this stream. */
  readonly corruptPackets: number;
  /** Quiet packets dropped to bring the delay back to target. */
  readonly catchUpDrops: number;
  /** Samples removed by accelerate (one pitch period at a time) to bring the delay down to target. */
  readonly accelerateSamples: number;
  /** Samples inserted by expand (one pitch period at a time) to bring the delay up to target. */
  readonly expandSamples: number;
  /** RED packets received (RFC 2198), whose primary is counted among `received` like any packet. */
  readonly redPackets: number;
  /** RED payloads that did not parse (dropped). */
  readonly redMalformed: number;
}

export class RemoteStream {
  readonly frameMs: FrameMs;
  readonly frameSamples: number;
  private readonly clock: Clock;
  private readonly jitter: JitterBuffer;
  private readonly decoderFactory: () => FrameDecoder;
  private decoder: FrameDecoder;
  private decoderResets: number;
  private retiredCorrupt = 0;
  private decodeErrors = 0;

  private readonly fadeAfterSamples: number;
  private readonly fadeOutStep: number;
  private readonly fadeInStep: number;
  private readonly quietLevel: number;

  private readonly fifo: Int16Array;
  private fifoLen = 0;
  private readonly frame: Int16Array; // pre-gain frame
  private readonly out: Int16Array; // post-gain frame for pullFrame()
  private readonly silence: Int16Array = new Int16Array(MAX_OPUS_PACKET_SAMPLES);

  private envelope = 1;
  private concealRunSamples = 0;
  private concealedThisFrame = false;

  private gain = 1;
  private muted = false;
  private readonly meter: PeakMeter;
  private readonly speakingDetector: SpeakingDetector;

  private concealedFrames = 0;
  private catchUpDrops = 0;
  private accelerateSamples = 0;
  private expandSamples = 0;
  private readonly policy: PlayoutPolicy;
  private readonly stretcher: TimeStretcher;
  private redPackets = 0;
  private redMalformed = 0;
  /** Farthest reach of the sender's redundant copies, samples, and when it was last seen (insertPacket). */
  private redundancyReach = 0;
  private redundancyReachMs = 0;
  /** The jitter buffer's lossEvents when last read, and when it last moved (null: never). */
  private lossEventsSeen = 0;
  private lossSeenMs: number | null = null;
  private readonly redBlocks: RedBlock[] = makeRedBlocks();
  private suppressor: FilterSlot | undefined;

  constructor(options: RemoteStreamOptions) {
    this.frameMs = assertFrameMs(options.frameMs);
    this.frameSamples = samplesPerFrame(this.frameMs);
    this.clock = options.clock ?? monotonicClock;
    this.jitter = new JitterBuffer({ ...options.jitter, clock: this.clock });
    this.decoderFactory = options.decoderFactory;
    this.decoder = this.decoderFactory();
    this.decoderResets = this.jitter.resetCount;
    this.fadeAfterSamples = Math.max(0, Math.round(options.fadeAfterFrames ?? 5)) * this.frameSamples;
    this.fadeOutStep = 1 / Math.max(1, (options.fadeOutMs ?? 20) * SAMPLES_PER_MS);
    this.fadeInStep = 1 / Math.max(1, (options.fadeInMs ?? 5) * SAMPLES_PER_MS);
    this.quietLevel = options.quietLevel ?? 0.01;
    this.policy = new PlayoutPolicy({ pullMs: this.frameMs, ...options.playout });
    this.stretcher = new TimeStretcher(options.stretch);
    this.fifo = new Int16Array(this.frameSamples + MAX_OPUS_PACKET_SAMPLES + MAX_PERIOD_SAMPLES);
    this.frame = new Int16Array(this.frameSamples);
    this.out = new Int16Array(this.frameSamples);
    this.meter = new PeakMeter(options.meterRelease ?? 0.8);
    this.speakingDetector = new SpeakingDetector({ ...options.speaking, frameMs: this.frameMs });
    if (options.gainPercent !== undefined) this.setGain(options.gainPercent);
  }

  /** Hand over a received RTP packet. Never throws on bad input. */
  insert(packet: MediaPacket, arrivalMs: number = this.clock.now()): InsertOutcome {
    return this.insertPacket(packet, arrivalMs, 0);
  }

  /**
   * `redundancySamples`: how far back the packet's redundant copies reach
   * (0 for plain Opus), or −1 to say nothing (a RED packet without copies:
   * the first of a talkspurt). The buffer keeps the farthest reach seen, and
   * lowers it only after REDUNDANCY_HOLD_MS of shorter reaches: the copies
   * grow back to full reach over the first packets of every talkspurt, and
   * that is where the buffer anchors.
   */
  private insertPacket(packet: MediaPacket, arrivalMs: number, redundancySamples: number): InsertOutcome {
    // Room for the copies only on a link that lost something lately (see LOSS_ROOM_HOLD_MS).
    const lossEvents = this.jitter.lossEvents;
    if (lossEvents !== this.lossEventsSeen) {
      this.lossEventsSeen = lossEvents;
      this.lossSeenMs = arrivalMs;
    }
    if (redundancySamples > 0 && (this.lossSeenMs === null || arrivalMs - this.lossSeenMs > LOSS_ROOM_HOLD_MS)) redundancySamples = 0;
    if (redundancySamples >= this.redundancyReach) {
      this.redundancyReach = redundancySamples;
      this.redundancyReachMs = arrivalMs;
      this.jitter.setRedundancyDelay(redundancySamples);
    } else if (redundancySamples >= 0 && arrivalMs - this.redundancyReachMs > REDUNDANCY_HOLD_MS) {
      this.redundancyReach = redundancySamples;
      this.redundancyReachMs = arrivalMs;
      this.jitter.setRedundancyDelay(redundancySamples);
    }
    const outcome = this.jitter.insert(packet, arrivalMs);
    if (this.jitter.resetCount !== this.decoderResets) {
      // The sender restarted: Opus state from the old stream would only garble the new one.
      this.decoderResets = this.jitter.resetCount;
      this.retiredCorrupt += this.decoder.corruptPackets;
      this.decoder = this.decoderFactory();
    }
    return outcome;
  }

  /**
   * Hand over a received RED packet (RFC 2198) whose blocks carry Opus as
   * `opusPayloadType`; blocks of any other type are left alone. Never
   * throws on bad input. The outcome is the primary's ('invalid' for a
   * payload that does not parse).
   */
  insertRed(packet: MediaPacket, opusPayloadType: number, arrivalMs: number = this.clock.now()): InsertOutcome {
    const payload = packet.payload;
    const count = parseRedPayload(payload, this.redBlocks);
    if (typeof count === 'string') {
      this.redMalformed++;
      return 'invalid';
    }
    this.redPackets++;
    const primary = this.redBlocks[count - 1]!;
    if (primary.payloadType !== opusPayloadType || primary.length === 0) return 'invalid';
    const primaryPayload = payload.subarray(primary.start, primary.start + primary.length);
    const primarySamples = opusPacketSamples(primaryPayload);
    // The buffer holds as much more as the copies reach back, so that a copy comes before its frame is due.
    // A RED packet without redundancy (the first of a talkspurt) leaves that as it was.
    const reach = primarySamples === null ? 0 : count === 1 ? -1 : Math.min(this.redBlocks[0]!.timestampOffset, 2 * primarySamples);
    const outcome = this.insertPacket(
      {
        sequenceNumber: packet.sequenceNumber,
        timestamp: packet.timestamp,
        ssrc: packet.ssrc,
        payloadType: opusPayloadType,
        marker: packet.marker,
        payload: primaryPayload,
      },
      arrivalMs,
      reach,
    );
    // Redundancy only where the primary was taken as part of the stream (not a duplicate, not another source's stray).
    if (count === 1 || primarySamples === null || (outcome !== 'inserted' && outcome !== 'late')) return outcome;
    for (let i = 0; i < count - 1; i++) {
      const block = this.redBlocks[i]!;
      if (block.payloadType !== opusPayloadType || block.length === 0) continue;
      const seq = redundantSequenceNumber(packet.sequenceNumber, block.timestampOffset, primarySamples, count - 1 - i);
      if (seq === null) continue;
      const ssrc = packet.ssrc;
      if (this.jitter.reception.missingExtended(ssrc, seq) === null) continue;
      this.jitter.insertRecovered({
        sequenceNumber: seq,
        timestamp: (packet.timestamp - block.timestampOffset) >>> 0,
        ssrc,
        payloadType: opusPayloadType,
        marker: false,
        payload: payload.subarray(block.start, block.start + block.length),
      });
    }
    return outcome;
  }

  /**
   * One playback frame after gain and mute, saturated to 16 bits. The array
   * is reused: it is valid until the next pull.
   */
  pullFrame(): Int16Array {
    const frame = this.render();
    const g = this.muted ? 0 : this.gain;
    for (let i = 0; i < frame.length; i++) {
      const v = Math.round(frame[i]! * g);
      this.out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    return this.out;
  }

  /**
   * Pull one frame and add it, times gain × `scale`, to `acc` (full scale =
   * 1.0). The mixer uses this so gains above 100 % do not clip before its
   * limiter. A scale of 0 (deafened) still pulls, keeping the buffer in step.
   */
  mixInto(acc: Float32Array, scale = 1): void {
    const frame = this.render();
    const g = this.muted ? 0 : (this.gain * scale) / FULL_SCALE;
    if (g === 0) return;
    const n = Math.min(acc.length, frame.length);
    for (let i = 0; i < n; i++) acc[i]! += frame[i]! * g;
  }

  /** Per-peer volume, 0–200 %. Out-of-range values are clamped; NaN is ignored. */
  setGain(percent: number): void {
    if (!Number.isFinite(percent)) return;
    this.gain = Math.min(MAX_GAIN_PERCENT, Math.max(0, percent)) / 100;
  }

  get gainPercent(): number {
    return Math.round(this.gain * 100);
  }

  /** Muted for me only: the stream keeps decoding, nothing is output. */
  setMuted(muted: boolean): void {
    this.muted = muted;
  }

  get mutedForMe(): boolean {
    return this.muted;
  }

  /** Give this stream its noise suppressor (closing any previous one); it runs while enabled. `timed`: see FilterSlot. */
  attachSuppressor(filter: FrameFilter, enabled: boolean, timed = false): void {
    if (this.frameSamples % filter.blockSamples !== 0) {
      filter.close();
      throw new RangeError(`a ${filter.name} stage works in blocks of ${filter.blockSamples} samples; playback frames have ${this.frameSamples}`);
    }
    this.suppressor?.filter.close();
    this.suppressor = new FilterSlot(filter, enabled, timed);
  }

  get hasSuppressor(): boolean {
    return this.suppressor !== undefined;
  }

  /** Switch the attached suppressor; false if none is attached. */
  setSuppression(enabled: boolean): boolean {
    if (this.suppressor === undefined) return false;
    this.suppressor.setEnabled(enabled);
    return true;
  }

  get suppressing(): boolean {
    return this.suppressor?.enabled ?? false;
  }

  /** Time spent suppressing this stream's noise, or undefined without a suppressor. */
  get suppressionCost(): FilterCost | undefined {
    return this.suppressor?.figures();
  }

  /** Release the suppressor (the peer left). */
  closeSuppressor(): void {
    this.suppressor?.filter.close();
    this.suppressor = undefined;
  }

  /** Peak meter of the peer's audio (before gain; after our noise suppression when on), 0..1. */
  get level(): number {
    return this.meter.level;
  }

  get speaking(): boolean {
    return this.speakingDetector.speaking;
  }

  /** The sender's packets come from another path from now on: the stream restarts at the next one (JitterBuffer.newSource). */
  newSource(): void {
    this.jitter.newSource();
  }

  /** This stream's reception statistics, for our RTCP report blocks (rtcp/rtcp-session.ts). */
  get reception(): ReceptionTracker {
    return this.jitter.reception;
  }

  stats(): RemoteStreamStats {
    return {
      ...this.jitter.stats(),
      concealedFrames: this.concealedFrames,
      corruptPackets: this.retiredCorrupt + this.decoder.corruptPackets + this.decodeErrors,
      catchUpDrops: this.catchUpDrops,
      accelerateSamples: this.accelerateSamples,
      expandSamples: this.expandSamples,
      redPackets: this.redPackets,
      redMalformed: this.redMalformed,
    };
  }

  /** Fill `this.frame` with the next frame before gain; update meters. */
  private render(): Int16Array {
    this.concealedThisFrame = false;
    const n = this.frameSamples;
    // Each iteration pushes ≥ 1 sample or ends the frame; the bound is a safety net.
    for (let guard = 0; this.fifoLen < n && guard < 4 * n; guard++) {
      const r = this.jitter.pull(this.fifoLen);
      if (r.kind === 'empty') {
        this.fillEmpty(n - this.fifoLen);
        break;
      }
      if (r.kind === 'missing') {
        this.pushConcealment(r.samples);
        continue;
      }
      const pcm = this.decode(r.packet.payload);
      if (pcm === null) {
        this.pushConcealment(r.samples);
        continue;
      }
      const d = this.policy.decide({
        aboveTargetMs: r.aboveTargetMs,
        aheadSamples: this.fifoLen,
        packetSamples: pcm.length,
        overTarget: r.overTarget,
        quiet: r.overTarget && peakLevel(pcm) < this.quietLevel,
        afterConcealment: this.concealRunSamples > 0,
      });
      if (d.action === 'drop') {
        this.catchUpDrops++;
        continue;
      }
      this.pushAudio(pcm);
      if (d.action === 'accelerate') {
        const len = this.stretcher.accelerate(this.fifo, this.fifoLen, d.maxSamples);
        this.accelerateSamples += this.fifoLen - len;
        this.fifoLen = len;
      } else if (d.action === 'expand') {
        const len = this.stretcher.expand(this.fifo, this.fifoLen, d.maxSamples);
        this.expandSamples += len - this.fifoLen;
        this.fifoLen = len;
      }
    }
    if (this.fifoLen < n) this.fillEmpty(n - this.fifoLen);

    this.frame.set(this.fifo.subarray(0, n));
    this.fifo.copyWithin(0, n, this.fifoLen);
    this.fifoLen -= n;

    if (this.concealedThisFrame) this.concealedFrames++;
    this.suppressor?.run(this.frame);
    this.meter.update(peakLevel(this.frame));
    this.speakingDetector.update(rmsLevel(this.frame));
    return this.frame;
  }

  private decode(payload: Uint8Array): Int16Array | null {
    try {
      const pcm = this.decoder.decode(payload);
      if (pcm === null || pcm.length === 0) return null;
      return pcm.length > MAX_OPUS_PACKET_SAMPLES ? pcm.subarray(0, MAX_OPUS_PACKET_SAMPLES) : pcm;
    } catch {
      // The interface promises no throw; a decoder that does anyway must not stop playback.
      this.decodeErrors++;
      return null;
    }
  }

  /** Real audio: envelope slews up to 1 (a fade-in only if we had faded). */
  private pushAudio(pcm: Int16Array): void {
    this.concealRunSamples = 0;
    const room = this.fifo.length - this.fifoLen;
    const len = Math.min(pcm.length, room);
    let g = this.envelope;
    if (g >= 1) {
      this.fifo.set(pcm.subarray(0, len), this.fifoLen);
    } else {
      for (let i = 0; i < len; i++) {
        g = Math.min(1, g + this.fadeInStep);
        this.fifo[this.fifoLen + i] = Math.round(pcm[i]! * g);
      }
      this.envelope = g;
    }
    this.fifoLen += len;
  }

  /** Concealment: full level for fadeAfter samples of the run, then fade to 0 and stop asking the decoder. */
  private pushConcealment(samples: number): void {
    const room = this.fifo.length - this.fifoLen;
    const len = Math.max(0, Math.min(samples, room));
    const runStart = this.concealRunSamples;
    this.concealRunSamples += len;
    if (this.envelope <= 0 && runStart >= this.fadeAfterSamples) {
      this.fifo.fill(0, this.fifoLen, this.fifoLen + len);
      this.fifoLen += len;
      return;
    }
    const pcm = this.concealFromDecoder(len);
    let g = this.envelope;
    for (let i = 0; i < len; i++) {
      if (runStart + i >= this.fadeAfterSamples) g = Math.max(0, g - this.fadeOutStep);
      else if (g < 1) g = Math.min(1, g + this.fadeInStep);
      this.fifo[this.fifoLen + i] = Math.round(pcm[i]! * g);
    }
    this.envelope = g;
    this.fifoLen += len;
    this.concealedThisFrame = true;
  }

  /**
   * The buffer has nothing to play (not started, or the sender paused). If
   * we were concealing at some level, fade the concealment out quickly
   * rather than cutting to zero.
   */
  private fillEmpty(samples: number): void {
    const len = Math.max(0, Math.min(samples, this.fifo.length - this.fifoLen));
    if (this.concealRunSamples > 0 && this.envelope > 0) {
      const pcm = this.concealFromDecoder(len);
      let g = this.envelope;
      for (let i = 0; i < len; i++) {
        g = Math.max(0, g - this.fadeOutStep);
        this.fifo[this.fifoLen + i] = Math.round(pcm[i]! * g);
      }
      this.envelope = g;
      this.concealedThisFrame = true;
    } else {
      this.fifo.fill(0, this.fifoLen, this.fifoLen + len);
    }
    this.fifoLen += len;
  }

  private concealFromDecoder(samples: number): Int16Array {
    if (samples <= 0) return this.silence;
    try {
      const pcm = this.decoder.conceal(Math.min(samples, MAX_OPUS_PACKET_SAMPLES));
      if (pcm.length >= samples) return pcm;
    } catch {
      // A failed concealment is played as silence; nothing else to recover.
    }
    return this.silence;
  }
}
