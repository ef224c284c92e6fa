/**
 * Reception statistics of one remote stream, the one place they are
 * counted (docs/architecture.md §3): the jitter buffer plays by this
 * tracker's classification and extended sequence numbers, the UI's loss
 * figure reads its counters, and our receiver report blocks are built from
 * it, so the three cannot disagree. Loss is counted here, from our own
 * tracking, because libdatachannel's receiver reports can be wrong
 * (docs/architecture.md §7).
 *
 * After RFC 3550 Appendix A:
 * - A.1 sequence validation: in order with a gap below MAX_DROPOUT is new,
 *   up to MAX_MISORDER behind the highest is reordered (or a duplicate),
 *   anything else is out of window, and two sequential out-of-window
 *   packets mean the sender restarted. Unlike A.1 the first packet is
 *   accepted without probation: a voice call wants it played.
 * - A.3 expected = extended highest − base + 1 and lost = expected −
 *   received, per source; fraction lost per report interval.
 * - A.8 interarrival jitter.
 *
 * Where counting starts: at the first packet that ARRIVES, never at any
 * sequence number the sender used before. The sender numbers each packet
 * once for all peers and skips a peer whose link is not open yet
 * (docs/architecture.md §2), so a new link's first packet is far from the
 * sender's first number; and the first packets of a link may arrive out of
 * order. The base therefore moves back for a packet reordered before the
 * first one (within MAX_MISORDER, so it stays within what this link
 * carried): such a packet is expected as well as received, and neither
 * shows as loss nor hides a later one.
 *
 * A stream may change source (a new SSRC, or a sequence restart): each
 * source is counted apart, as A.1 restarts its counts, and the report block
 * describes the current one; the stream's totals (what the UI shows) add
 * up every source.
 *
 * Hot path: `receive` allocates nothing; `stats` and `takeIntervalReport`
 * build objects and are for the UI's poll and the once-a-second report.
 */
import { SAMPLE_RATE } from '../../core/media-format.js';
import { Unwrapper } from './unwrap.js';

/** RFC 3550 A.1: a forward jump this large or more is not loss but out of window. */
export const MAX_DROPOUT = 3000;
/** RFC 3550 A.1: a packet this far or more behind the highest is out of window, not reordered. */
export const MAX_MISORDER = 100;
/** Recent extended sequence numbers remembered to recognise duplicates (well above MAX_MISORDER). */
const DUPLICATE_WINDOW = 1024;
const TIMESTAMP_RANGE = 0x100000000;

export type PacketClass = 'new' | 'reordered' | 'duplicate' | 'out-of-window' | 'restart';

/** What the tracker reads of an RTP packet (a MediaPacket or a parsed RtpPacket will do). */
export interface RtpIdentity {
  readonly ssrc: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
}

export interface ReceptionStats {
  /** Packets expected over every source of the stream (A.3 per source, summed). */
  readonly expected: number;
  /** Distinct packets received (duplicates and out-of-window packets excluded; late ones included). */
  readonly received: number;
  /** expected − received, never below 0. */
  readonly lost: number;
  /** Packets that arrived after a later one (A.1 misordered, in time or not). */
  readonly reordered: number;
  readonly duplicates: number;
  /** Packets ignored as far outside the window (before a restart was confirmed). */
  readonly outOfWindow: number;
  /** New sources after the first: SSRC changes and sequence restarts. */
  readonly restarts: number;
  /** SSRC of the current source, undefined before the first packet. */
  readonly ssrc: number | undefined;
  /** Expected packets of the current source only (what a report block counts). */
  readonly sourceExpected: number;
  readonly sourceReceived: number;
  /** Extended highest sequence number of the current source (cycles · 2^16 + max seq), as in a report block. */
  readonly extendedHighestSeq: number;
  /** Interarrival jitter of the current source, RTP timestamp units (A.8). */
  readonly jitter: number;
  /** The same in milliseconds. */
  readonly jitterMs: number;
}

/** The current source's values for one report block (RFC 3550 §6.4.1, A.3). */
export interface IntervalReport {
  /** 8-bit fixed point fraction lost since the previous report. */
  fractionLost: number;
  cumulativeLost: number;
  extendedHighestSeq: number;
  jitter: number;
}

export class ReceptionTracker {
  private readonly clockRateHz: number;
  private readonly seq = new Unwrapper(16);
  private readonly seenExt = new Float64Array(DUPLICATE_WINDOW).fill(Number.NaN);

  // The current source.
  private started = false;
  private source = 0;
  private baseExt = 0;
  private hasBadSeq = false;
  private badSeq = 0;
  private sourceReceived = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private jitterUnits = 0;
  private hasTransit = false;
  private lastTransit = 0;
  private lastExt = 0;

  // Sources before the current one, and whole-stream counts.
  private earlierExpected = 0;
  private earlierReceived = 0;
  private reorderedCount = 0;
  private duplicateCount = 0;
  private outOfWindowCount = 0;
  private restartCount = 0;
  /** The next packet starts a new source whatever its SSRC (newSource). */
  private sourceEnded = false;

  constructor(clockRateHz: number = SAMPLE_RATE) {
    if (!(clockRateHz > 0)) throw new RangeError(`clockRateHz must be > 0, got ${clockRateHz}`);
    this.clockRateHz = clockRateHz;
  }

  /**
   * Classify one arriving packet and count it. `arrivalMs` (any monotonic ms
   * clock) feeds the jitter estimate; without it only sequence is tracked.
   * After any class but 'out-of-window', `extendedSeq` is the packet's
   * extended sequence number.
   */
  receive(packet: RtpIdentity, arrivalMs?: number): PacketClass {
    const seq = packet.sequenceNumber & 0xffff;
    if (!this.started) {
      this.startSource(packet.ssrc, seq);
      this.accept(this.lastExt, packet.timestamp, arrivalMs);
      return 'new';
    }
    if (packet.ssrc !== this.source || this.sourceEnded) return this.restart(packet.ssrc, seq, packet.timestamp, arrivalMs);
    const ext = this.seq.peek(seq)!;
    const delta = ext - this.seq.highestExtended!;
    if (delta > 0 && delta < MAX_DROPOUT) {
      // In order, with a permissible gap.
      this.seq.unwrap(seq);
      this.hasBadSeq = false;
      this.accept(ext, packet.timestamp, arrivalMs);
      return 'new';
    }
    if (delta <= 0 && delta > -MAX_MISORDER) {
      this.hasBadSeq = false;
      this.lastExt = ext;
      if (this.seenExt[this.slot(ext)] === ext) {
        this.duplicateCount++;
        return 'duplicate';
      }
      // Reordered to before the first packet of this source: it belongs to the count (see the header).
      if (ext < this.baseExt) this.baseExt = ext;
      this.reorderedCount++;
      this.accept(ext, packet.timestamp, arrivalMs);
      return 'reordered';
    }
    // A very large jump: a restart if the next packet follows it (A.1).
    if (this.hasBadSeq && seq === this.badSeq) return this.restart(packet.ssrc, seq, packet.timestamp, arrivalMs);
    this.hasBadSeq = true;
    this.badSeq = (seq + 1) & 0xffff;
    this.outOfWindowCount++;
    return 'out-of-window';
  }

  /**
   * For a copy of a packet carried as redundancy (RFC 2198) in a later
   * packet: the extended sequence number of `seq` if it belongs to the
   * current source, is behind the highest received (within MAX_MISORDER)
   * and has not been received; else null. Counts nothing and changes
   * nothing: a frame recovered from redundancy is not a received packet, so
   * loss, the report blocks we send and the sender's redundancy policy
   * (send/redundancy-policy.ts) keep seeing the loss that happened.
   */
  missingExtended(ssrc: number, seq: number): number | null {
    if (!this.started || ssrc !== this.source) return null;
    const ext = this.seq.peek(seq & 0xffff)!;
    const delta = ext - this.seq.highestExtended!;
    if (delta >= 0 || delta <= -MAX_MISORDER || ext < this.baseExt) return null;
    return this.seenExt[this.slot(ext)] === ext ? null : ext;
  }

  /** Extended sequence number of the packet `receive` last classified (see there). */
  get extendedSeq(): number {
    return this.lastExt;
  }

  /** SSRC of the current source, undefined before the first packet. */
  get ssrc(): number | undefined {
    return this.started ? this.source : undefined;
  }

  get stats(): ReceptionStats {
    const sourceExpected = this.sourceExpected;
    const expected = this.earlierExpected + sourceExpected;
    const received = this.earlierReceived + this.sourceReceived;
    return {
      expected,
      received,
      lost: Math.max(0, expected - received),
      reordered: this.reorderedCount,
      duplicates: this.duplicateCount,
      outOfWindow: this.outOfWindowCount,
      restarts: this.restartCount,
      ssrc: this.ssrc,
      sourceExpected,
      sourceReceived: this.sourceReceived,
      extendedHighestSeq: this.started ? this.seq.highestExtended! : 0,
      jitter: this.jitterUnits,
      jitterMs: (this.jitterUnits * 1000) / this.clockRateHz,
    };
  }

  /** Values for the next report block about the current source; starts a new fraction-lost interval (A.3). */
  takeIntervalReport(): IntervalReport {
    const expected = this.sourceExpected;
    const received = this.sourceReceived;
    const expectedInterval = expected - this.expectedPrior;
    const lostInterval = expectedInterval - (received - this.receivedPrior);
    this.expectedPrior = expected;
    this.receivedPrior = received;
    return {
      fractionLost: expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval)),
      cumulativeLost: expected - received,
      extendedHighestSeq: (this.started ? this.seq.highestExtended! : 0) >>> 0,
      jitter: Math.floor(this.jitterUnits),
    };
  }

  private get sourceExpected(): number {
    return this.started ? this.seq.highestExtended! - this.baseExt + 1 : 0;
  }

  /**
   * The stream's packets come from another path from now on (mesh ↔ SFU,
   * docs/architecture.md §11): the next packet starts a new source even if
   * its SSRC happens to match, since its sequence and timestamp spaces are
   * another sender's (Janus rewrites them). The stream restarts there.
   */
  newSource(): void {
    if (this.started) this.sourceEnded = true;
  }

  private restart(ssrc: number, seq: number, timestamp: number, arrivalMs: number | undefined): PacketClass {
    this.sourceEnded = false;
    this.earlierExpected += this.sourceExpected;
    this.earlierReceived += this.sourceReceived;
    this.restartCount++;
    this.startSource(ssrc, seq);
    this.accept(this.lastExt, timestamp, arrivalMs);
    return 'restart';
  }

  /** A.1 init_seq: counts of the new source start over (the stream's totals keep the old ones). */
  private startSource(ssrc: number, seq: number): void {
    this.started = true;
    this.source = ssrc;
    this.seq.reset();
    this.lastExt = this.seq.unwrap(seq);
    this.baseExt = this.lastExt;
    this.hasBadSeq = false;
    this.sourceReceived = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    this.jitterUnits = 0;
    this.hasTransit = false;
    this.seenExt.fill(Number.NaN);
  }

  private accept(ext: number, timestamp: number, arrivalMs: number | undefined): void {
    this.seenExt[this.slot(ext)] = ext;
    this.sourceReceived++;
    this.lastExt = ext;
    if (arrivalMs !== undefined) this.updateJitter(timestamp, arrivalMs);
  }

  private slot(ext: number): number {
    // ext may be negative (reordered before a first packet of sequence number 0).
    return ((ext % DUPLICATE_WINDOW) + DUPLICATE_WINDOW) % DUPLICATE_WINDOW;
  }

  /** A.8: transit = arrival (in RTP units) − timestamp; J += (|D| − J) / 16. */
  private updateJitter(timestamp: number, arrivalMs: number): void {
    const transit = (arrivalMs * this.clockRateHz) / 1000 - timestamp;
    if (this.hasTransit) {
      let d = transit - this.lastTransit;
      // Timestamps wrap at 2^32: bring the difference into the nearest range.
      if (d > TIMESTAMP_RANGE / 2) d -= TIMESTAMP_RANGE;
      else if (d < -TIMESTAMP_RANGE / 2) d += TIMESTAMP_RANGE;
      this.jitterUnits += (Math.abs(d) - this.jitterUnits) / 16;
    }
    this.hasTransit = true;
    this.lastTransit = transit;
  }
}
