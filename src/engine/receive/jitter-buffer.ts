/**
 * Adaptive jitter buffer for one remote stream (NetEQ-like in spirit: packet
 * insertion and playout decisions are separate from decoding).
 *
 * Model
 * - Everything is in RTP timestamp units (48 kHz, RFC 7587 §4.1), unwrapped
 *   to 53-bit numbers; sequence numbers order packets, timestamps place them
 *   in time. Which packet is new, reordered, a duplicate, out of window or a
 *   sender restart, and its extended sequence number, come from the stream's
 *   ReceptionTracker (rtp/reception.ts, RFC 3550 A.1): the buffer keeps no
 *   sequence state or reception counters of its own (docs/architecture.md §3).
 * - A playout cursor (`cursorTs`) is the media time of the next sample to be
 *   played. The caller (RemoteStream) pulls whenever it needs more samples:
 *   one pull yields one packet (any duration: 10, 20, 40 ms ... read from the
 *   Opus TOC), or a concealment request of N samples, or "empty". The caller
 *   keeps a small sample FIFO to cut packets into playback frames, and passes
 *   its FIFO level as `aheadSamples` so the delay is measured exactly even
 *   when packet and playback frame sizes differ.
 * - The current delay D is how long a packet that came by the fastest path
 *   (smallest transit offset in the window) waits before it is played:
 *   D = playout time of the cursor − (media time of the cursor + min offset).
 *   The DelayEstimator gives the target (97th percentile of relative delay +
 *   margin). D only changes through the decisions below, never by itself.
 *
 * Decisions at each pull
 * - Not started (or drained): wait with "empty" until the first buffered
 *   packet has waited long enough that D reaches the target, then play it
 *   (anchoring). Every new talkspurt (marker bit, RFC 3551 §4.1, or a
 *   timestamp jump without a sequence gap) re-anchors: that is where the delay
 *   adapts up or down without touching speech.
 * - Packet at the cursor: play it.
 * - Nothing buffered (underrun): ask for concealment *without* moving the
 *   cursor: the late packet can still be played when it comes, and D grows
 *   by what was concealed (fast growth on a delay spike, like NetEQ's
 *   expand). After `drainAfterMs` of this the sender is taken to have paused:
 *   back to "not started", output "empty".
 * - A gap before the first buffered packet (something lost or reordered):
 *   while D is below target, wait (conceal without moving); else give up on
 *   the missing packets and conceal exactly the gap, counting what was already
 *   concealed while waiting so the delay returns to where it was.
 * - Within a talkspurt the caller follows the target by time stretching
 *   (receive/playout-policy.ts, receive/time-stretch.ts): each packet comes
 *   with `aboveTargetMs` = D − target, and what the caller removes or
 *   inserts moves D by as much, since D counts the caller's FIFO.
 * - Catch-up when D is above target: if dropping the head packet still leaves
 *   D ≥ target + `softCatchUpMs`, the packet is handed out with
 *   `overTarget: true` and the caller drops it if it decodes to a quiet frame
 *   (shortening silence, not speech). Only when D − packet ≥ target +
 *   `hardCatchUpMs` are packets dropped here regardless of content: a
 *   safety net for spikes larger than stretching catches up with.
 *
 * Redundancy (RFC 2198 RED): a frame carried again in a later packet
 * (`insertRecovered`) takes the place of a packet that has not arrived, at
 * the timestamp and sequence number it stood for, and is played like it.
 * It passes no reception counter (the tracker is only asked whether the
 * packet is still missing) and feeds no delay estimate (its arrival says
 * when the later packet came, not the lost one). If the packet itself
 * arrives while its copy is still buffered, the packet replaces the copy.
 * `recovered` counts the copies that were played. A copy comes with a later
 * packet, one packet duration or more after the packet it stands for: to
 * play it before concealing, the buffer must hold that much more. While the
 * sender repeats d frames, the caller says so (`setRedundancyDelay`) and the
 * target grows by d packet durations (within maxDelayMs); plain packets set
 * it back to 0. The caller asks for that room only after packets went
 * missing (`lossEvents`, receive/remote-stream.ts), so it costs latency only
 * on a link that loses packets.
 *
 * Counting: late = arrived after its playout time had passed (dropped);
 * duplicates and out-of-window packets dropped; received, expected, lost,
 * reordered, duplicates and jitter are the tracker's (RFC 3550 A.1/A.3/A.8),
 * so a packet concealed and then arriving late is late, not lost.
 *
 * Not thread-safe and not re-entrant; results are reused objects, valid until
 * the next pull (no allocation per pull on the hot path).
 */
import type { MediaPacket } from '../codec/types.js';
import { monotonicClock, type Clock } from '../../core/clock.js';
import { SAMPLE_RATE } from '../../core/media-format.js';
import { DelayEstimator, type DelayEstimatorOptions } from './delay-estimator.js';
import { opusPacketSamples } from '../rtp/opus-payload.js';
import { ReceptionTracker } from '../rtp/reception.js';
import { Unwrapper } from '../rtp/unwrap.js';

const SAMPLES_PER_MS = SAMPLE_RATE / 1000;
/** RFC 6716 §3.2.5: an Opus packet lasts at most 120 ms. */
export const MAX_OPUS_PACKET_SAMPLES = 5760;

export type PullResult =
  | {
      readonly kind: 'packet';
      readonly packet: MediaPacket;
      readonly samples: number;
      readonly overTarget: boolean;
      /** D − target at this pull, ms: what the caller's accelerate / expand aims at (receive/playout-policy.ts). */
      readonly aboveTargetMs: number;
    }
  | { readonly kind: 'missing'; readonly samples: number }
  | { readonly kind: 'empty' };

export type InsertOutcome = 'inserted' | 'duplicate' | 'late' | 'out-of-window' | 'invalid';
/** What became of a redundant copy: 'received' = the packet (or another copy of it) is already here. */
export type RecoveredOutcome = 'inserted' | 'received' | 'late' | 'invalid';

export interface JitterBufferOptions extends DelayEstimatorOptions {
  /** Clock for "now" at pull time; must be the clock `arrivalMs` comes from. */
  clock?: Clock;
  /** Duration assumed for a packet before any duration is known. Default 960 (20 ms). */
  defaultPacketSamples?: number;
  /** Duration of a packet in samples, or null if unknown. Default: the Opus TOC (RFC 6716 §3.1) via rtp/opus-payload. */
  packetSamples?: (packet: MediaPacket) => number | null;
  /** Soft catch-up threshold above target (quiet packets only). Default 10 ms. */
  softCatchUpMs?: number;
  /** Hard catch-up threshold above target (any packet). Default 80 ms. */
  hardCatchUpMs?: number;
  /** Continuous underrun after which the stream counts as paused. Default 200 ms. */
  drainAfterMs?: number;
  /** A timestamp jump (without sequence gap) larger than this starts a new talkspurt. Default 100 ms. */
  talkspurtGapMs?: number;
  /** Most packets held; beyond it the oldest is discarded. Default 512. */
  maxPackets?: number;
}

export interface JitterBufferStats {
  /** D: how long a fastest-path packet waits before playout, at the last pull. */
  readonly currentDelayMs: number;
  readonly targetDelayMs: number;
  /** Mean time played packets spent in the buffer (arrival → pull). */
  readonly meanDelayMs: number;
  /** RFC 3550 A.8 interarrival jitter (the tracker's). */
  readonly jitterMs: number;
  readonly bufferedPackets: number;
  /** Unique packets received (duplicates excluded, late included); the tracker's. */
  readonly received: number;
  /** Packets expected from the sequence numbers (RFC 3550 A.3), over every source; the tracker's. */
  readonly expected: number;
  readonly lost: number;
  readonly late: number;
  /** Pulls answered with "missing" (the caller concealed). */
  readonly concealed: number;
  /** Packets that arrived after a later one (RFC 3550 A.1); the tracker's. */
  readonly reordered: number;
  readonly duplicates: number;
  /** Packets ignored as far outside the sequence window (RFC 3550 A.1). */
  readonly outOfWindow: number;
  /** Packets dropped here by hard catch-up or overflow. */
  readonly discarded: number;
  /** Invalid packets ignored. */
  readonly invalid: number;
  /** Packets played from a redundant copy (RFC 2198) because the packet itself had not arrived. */
  readonly recovered: number;
  /** Stream restarts (SSRC change or sequence restart). */
  readonly resets: number;
  /** Times the buffer ran dry long enough to count as a pause. */
  readonly drains: number;
}

interface Entry {
  extSeq: number;
  extTs: number;
  arrivalMs: number;
  /** From the TOC, or 0 if unknown. */
  samples: number;
  packet: MediaPacket;
  /** A redundant copy standing in for the packet. */
  recovered: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class JitterBuffer {
  private readonly clock: Clock;
  private readonly estimator: DelayEstimator;
  private readonly packetSamplesOf: (packet: MediaPacket) => number | null;
  private readonly softCatchUpMs: number;
  private readonly hardCatchUpMs: number;
  private readonly drainAfterSamples: number;
  private readonly talkspurtGapSamples: number;
  private readonly maxPackets: number;
  private readonly defaultPacketSamples: number;

  private readonly tracker = new ReceptionTracker(SAMPLE_RATE);
  private readonly tsUnwrap = new Unwrapper(32);
  private baseTs = 0;
  private hasBase = false;

  /** Sorted by extSeq. */
  private readonly buffer: Entry[] = [];
  private readonly pool: Entry[] = [];

  private playing = false;
  private hasCursor = false;
  private cursorTs = 0;
  /** Extended sequence numbers may be negative (rtp/unwrap.ts): "nothing played yet" is a flag. */
  private hasPlayedSeq = false;
  private lastPlayedSeq = 0;
  private waitedSamples = 0;
  private lastSamples: number;

  // Playout counters (reception counters are the tracker's).
  private late = 0;
  private concealed = 0;
  private discarded = 0;
  private invalid = 0;
  private resets = 0;
  private drains = 0;
  private recovered = 0;
  /** Packets known to have been missing when due: played from a copy, or skipped (lossEvents). */
  private lossEventCount = 0;
  /** Added to the estimator's target while the sender repeats earlier frames (RED). */
  private redundancyDelayMs = 0;
  private playedCount = 0;
  private playedDelaySumMs = 0;
  private lastDelayMs = 0;

  private readonly packetResult: Mutable<{ kind: 'packet'; packet: MediaPacket; samples: number; overTarget: boolean; aboveTargetMs: number }>;
  private readonly missingResult: Mutable<{ kind: 'missing'; samples: number }> = { kind: 'missing', samples: 0 };
  private readonly emptyResult: { readonly kind: 'empty' } = { kind: 'empty' };

  constructor(options: JitterBufferOptions = {}) {
    this.clock = options.clock ?? monotonicClock;
    this.estimator = new DelayEstimator(options);
    this.packetSamplesOf = options.packetSamples ?? ((p) => opusPacketSamples(p.payload));
    this.softCatchUpMs = options.softCatchUpMs ?? 10;
    this.hardCatchUpMs = options.hardCatchUpMs ?? 80;
    if (!(this.hardCatchUpMs >= this.softCatchUpMs)) throw new RangeError('hardCatchUpMs must be >= softCatchUpMs');
    this.drainAfterSamples = (options.drainAfterMs ?? 200) * SAMPLES_PER_MS;
    this.talkspurtGapSamples = (options.talkspurtGapMs ?? 100) * SAMPLES_PER_MS;
    this.maxPackets = Math.max(2, options.maxPackets ?? 512);
    this.defaultPacketSamples = validSamples(options.defaultPacketSamples ?? 960) ?? 960;
    this.lastSamples = this.defaultPacketSamples;
    this.packetResult = { kind: 'packet', packet: undefined as unknown as MediaPacket, samples: 0, overTarget: false, aboveTargetMs: 0 };
  }

  /** Add a received packet. `arrivalMs` must come from the same clock as the buffer's. */
  insert(packet: MediaPacket, arrivalMs: number = this.clock.now()): InsertOutcome {
    if (!isMediaPacket(packet) || !Number.isFinite(arrivalMs)) {
      this.invalid++;
      return 'invalid';
    }
    const cls = this.tracker.receive(packet, arrivalMs);
    if (cls === 'duplicate' || cls === 'out-of-window') return cls;
    // A new SSRC or a confirmed sequence restart: the old stream's packets and timing mean nothing now.
    if (cls === 'restart') this.reset();
    const extSeq = this.tracker.extendedSeq;
    const extTs = this.tsUnwrap.unwrap(packet.timestamp);
    if (!this.hasBase) {
      this.baseTs = extTs;
      this.hasBase = true;
    }
    // Late packets feed the estimator too: they are exactly the evidence that more delay is needed.
    this.estimator.update(arrivalMs, this.mediaMs(extTs));

    if ((this.hasPlayedSeq && extSeq <= this.lastPlayedSeq) || (this.hasCursor && extTs < this.cursorTs)) {
      this.late++;
      return 'late';
    }

    this.place(packet, extSeq, extTs, arrivalMs, false);
    return 'inserted';
  }

  /**
   * A frame recovered from redundancy (RFC 2198): `packet` carries the
   * sequence number and timestamp of the packet it stands for. Used only if
   * that packet has not been received and can still be played; see the
   * header for how it is (not) counted.
   */
  insertRecovered(packet: MediaPacket): RecoveredOutcome {
    if (!isMediaPacket(packet)) return 'invalid';
    const extSeq = this.tracker.missingExtended(packet.ssrc, packet.sequenceNumber);
    if (extSeq === null || !this.hasBase) return 'received';
    const extTs = this.tsUnwrap.peek(packet.timestamp)!;
    if ((this.hasPlayedSeq && extSeq <= this.lastPlayedSeq) || (this.hasCursor && extTs < this.cursorTs)) return 'late';
    // Its arrival time is the carrier's; it plays by its timestamp like any other packet.
    return this.place(packet, extSeq, extTs, this.clock.now(), true) ? 'inserted' : 'received';
  }

  /**
   * What to play next. `aheadSamples`: samples the caller has already queued
   * in front of whatever this pull yields (its FIFO level), so the delay is
   * measured at the true playout time.
   */
  pull(aheadSamples = 0): PullResult {
    const nowMs = this.clock.now() + aheadSamples / SAMPLES_PER_MS;
    const minOffset = this.estimator.minOffsetMs;
    const target = this.targetDelayMs;

    if (!this.playing && !this.tryAnchor(nowMs, minOffset, target)) return this.emptyResult;

    for (;;) {
      const delayMs = nowMs - this.mediaMs(this.cursorTs) - (minOffset ?? 0);
      this.lastDelayMs = delayMs;
      const head = this.buffer[0];

      if (head === undefined) {
        // Underrun: conceal in place; the late packet may still come.
        if (this.waitedSamples >= this.drainAfterSamples || delayMs > this.estimator.maxDelayMs + this.lastSamples / SAMPLES_PER_MS) {
          this.playing = false;
          this.waitedSamples = 0;
          this.drains++;
          return this.emptyResult;
        }
        return this.conceal(this.lastSamples, false);
      }

      const gap = head.extTs - this.cursorTs;
      if (gap <= 0) {
        const samples = this.durationOf(head);
        const next = this.buffer[1];
        const contiguousNext = next !== undefined && next.extSeq === head.extSeq + 1;
        const excessMs = delayMs - samples / SAMPLES_PER_MS - target;
        if (contiguousNext && excessMs >= this.hardCatchUpMs) {
          this.buffer.shift();
          this.advanceTo(head.extTs + samples, head.extSeq, samples);
          this.release(head);
          this.discarded++;
          continue;
        }
        this.buffer.shift();
        this.advanceTo(head.extTs + samples, head.extSeq, samples);
        this.playedCount++;
        if (head.recovered) {
          this.recovered++;
          this.lossEventCount++;
        }
        this.playedDelaySumMs += this.clock.now() - head.arrivalMs;
        const r = this.packetResult;
        r.packet = head.packet;
        r.samples = samples;
        r.overTarget = contiguousNext && excessMs >= this.softCatchUpMs;
        r.aboveTargetMs = delayMs - target;
        this.release(head);
        return r;
      }

      const contiguous = head.extSeq === this.lastPlayedSeq + 1;
      if (contiguous && (head.packet.marker || gap > this.talkspurtGapSamples)) {
        // A new talkspurt: re-anchor so the delay matches the current target.
        this.playing = false;
        this.waitedSamples = 0;
        if (!this.tryAnchor(nowMs, minOffset, target)) return this.emptyResult;
        continue;
      }
      if (!contiguous && delayMs < target) {
        // Something is missing but we are below target: wait for it (the delay grows).
        return this.conceal(Math.min(this.lastSamples, gap), false);
      }
      // Give up on the gap (or fill a short pause). What was concealed while
      // waiting already covers part of it: credit it, except the part that
      // was deliberate growth towards the target.
      // A sequence gap given up on: a packet that was lost (or later than its playout).
      if (!contiguous) this.lossEventCount++;
      if (this.waitedSamples > 0) {
        const allowed = contiguous ? gap : Math.max(0, Math.floor((delayMs - target) * SAMPLES_PER_MS));
        this.cursorTs += Math.min(this.waitedSamples, gap, allowed);
        this.waitedSamples = 0;
        continue;
      }
      return this.conceal(Math.min(this.lastSamples, gap), true);
    }
  }

  /** The stream's reception statistics (the RTCP report blocks read them too). */
  get reception(): ReceptionTracker {
    return this.tracker;
  }

  get targetDelayMs(): number {
    const base = this.estimator.targetDelayMs;
    return this.redundancyDelayMs === 0 ? base : Math.min(this.estimator.maxDelayMs, base + this.redundancyDelayMs);
  }

  /**
   * Packets that were missing when their turn came: played from a redundant
   * copy, or given up on (a sequence gap skipped). A pause of the sender's
   * voice gate is not one: its sequence numbers run on. Read without
   * allocating, per packet (RemoteStream: room for RED only after loss).
   */
  get lossEvents(): number {
    return this.lossEventCount;
  }

  /** How far back the sender's redundant copies reach, in samples (0: none); see the header. */
  setRedundancyDelay(samples: number): void {
    this.redundancyDelayMs = samples > 0 ? samples / SAMPLES_PER_MS : 0;
  }

  get currentDelayMs(): number {
    return this.playing ? this.lastDelayMs : 0;
  }

  /** Times the buffer was reset (SSRC change / sender restart): a new decoder is due. */
  get resetCount(): number {
    return this.resets;
  }

  get bufferedPackets(): number {
    return this.buffer.length;
  }

  /** True between anchoring and the next drain/talkspurt end. */
  get isPlaying(): boolean {
    return this.playing;
  }

  stats(): JitterBufferStats {
    const r = this.tracker.stats;
    return {
      currentDelayMs: this.currentDelayMs,
      targetDelayMs: this.targetDelayMs,
      meanDelayMs: this.playedCount > 0 ? this.playedDelaySumMs / this.playedCount : 0,
      jitterMs: r.jitterMs,
      bufferedPackets: this.buffer.length,
      received: r.received,
      expected: r.expected,
      lost: r.lost,
      late: this.late,
      concealed: this.concealed,
      reordered: r.reordered,
      duplicates: r.duplicates,
      outOfWindow: r.outOfWindow,
      discarded: this.discarded,
      invalid: this.invalid,
      recovered: this.recovered,
      resets: this.resets,
      drains: this.drains,
    };
  }

  /** Into the buffer in sequence order; a packet replaces a redundant copy of itself. False if one was there already. */
  private place(packet: MediaPacket, extSeq: number, extTs: number, arrivalMs: number, recovered: boolean): boolean {
    let i = this.buffer.length;
    while (i > 0 && this.buffer[i - 1]!.extSeq > extSeq) i--;
    const same = this.buffer[i - 1];
    if (same !== undefined && same.extSeq === extSeq) {
      if (!recovered && same.recovered) {
        same.packet = packet;
        same.arrivalMs = arrivalMs;
        same.samples = validSamples(this.packetSamplesOf(packet)) ?? 0;
        same.recovered = false;
        return true;
      }
      return false;
    }
    if (this.buffer.length >= this.maxPackets) {
      this.release(this.buffer.shift()!);
      this.discarded++;
      if (i > 0) i--;
    }
    const entry = this.pool.pop() ?? { extSeq: 0, extTs: 0, arrivalMs: 0, samples: 0, packet, recovered };
    entry.extSeq = extSeq;
    entry.extTs = extTs;
    entry.arrivalMs = arrivalMs;
    entry.samples = validSamples(this.packetSamplesOf(packet)) ?? 0;
    entry.packet = packet;
    entry.recovered = recovered;
    this.buffer.splice(i, 0, entry);
    return true;
  }

  private tryAnchor(nowMs: number, minOffset: number | undefined, target: number): boolean {
    // Late leftovers of a previous talkspurt cannot start a new one.
    while (this.buffer.length > 0 && this.hasCursor && this.buffer[0]!.extTs < this.cursorTs) {
      this.release(this.buffer.shift()!);
      this.late++;
    }
    const head = this.buffer[0];
    if (head === undefined || minOffset === undefined) return false;
    const delayMs = nowMs - this.mediaMs(head.extTs) - minOffset;
    if (delayMs < target) return false;
    this.playing = true;
    this.hasCursor = true;
    this.cursorTs = head.extTs;
    this.hasPlayedSeq = true;
    this.lastPlayedSeq = head.extSeq - 1;
    this.waitedSamples = 0;
    return true;
  }

  /**
   * The sender's packets come from another path from now on (mesh ↔ SFU,
   * docs/architecture.md §11): the next packet restarts the buffer whatever
   * its SSRC. The delay target starts over too: kept, the first packet of
   * the new path would wait for the old target before playing, a silence
   * at every switch (measured at a mesh → SFU switch: 30–190 ms over 5
   * runs, against a median of 10 ms starting over); it grows at once if the
   * new path needs more.
   */
  newSource(): void {
    this.tracker.newSource();
  }

  /** Drop everything and start over (new SSRC / sender restart); counters are kept. */
  private reset(): void {
    for (const e of this.buffer) this.release(e);
    this.buffer.length = 0;
    this.tsUnwrap.reset();
    this.estimator.reset();
    this.hasBase = false;
    this.playing = false;
    this.hasCursor = false;
    this.hasPlayedSeq = false;
    this.waitedSamples = 0;
    this.resets++;
  }

  private conceal(samples: number, advance: boolean): PullResult {
    const n = Math.max(1, Math.min(MAX_OPUS_PACKET_SAMPLES, Math.round(samples)));
    if (advance) this.cursorTs += n;
    else this.waitedSamples += n;
    this.concealed++;
    this.missingResult.samples = n;
    return this.missingResult;
  }

  private advanceTo(cursorTs: number, seq: number, samples: number): void {
    this.cursorTs = cursorTs;
    this.hasPlayedSeq = true;
    this.lastPlayedSeq = seq;
    this.waitedSamples = 0;
    this.lastSamples = samples;
  }

  private durationOf(entry: Entry): number {
    if (entry.samples > 0) return entry.samples;
    const next = this.buffer[1];
    if (next !== undefined && next.extSeq === entry.extSeq + 1) {
      const inferred = validSamples(next.extTs - entry.extTs);
      if (inferred !== null) return inferred;
    }
    return this.lastSamples;
  }

  private mediaMs(extTs: number): number {
    return (extTs - this.baseTs) / SAMPLES_PER_MS;
  }

  private release(entry: Entry): void {
    entry.packet = undefined as unknown as MediaPacket;
    if (this.pool.length < 64) this.pool.push(entry);
  }
}

function validSamples(samples: number | null | undefined): number | null {
  if (samples === null || samples === undefined || !Number.isInteger(samples)) return null;
  return samples > 0 && samples <= MAX_OPUS_PACKET_SAMPLES ? samples : null;
}

function isMediaPacket(p: unknown): p is MediaPacket {
  if (p === null || typeof p !== 'object') return false;
  const m = p as Record<string, unknown>;
  return (
    Number.isInteger(m['sequenceNumber']) &&
    Number.isInteger(m['timestamp']) &&
    Number.isInteger(m['ssrc']) &&
    m['payload'] instanceof Uint8Array
  );
}
