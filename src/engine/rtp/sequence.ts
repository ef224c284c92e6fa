/**
 * Extending RTP's wrapping counters (RFC 3550 Appendix A.1) and counting
 * reception statistics (Appendix A.3, A.8). Loss is computed here from our
 * own tracking because libdatachannel's receiver reports can be wrong
 * (DESIGN.md §7).
 */

const SEQ_MOD = 0x10000;
const TS_MOD = 0x100000000;

/**
 * Extends a wrapping counter: each new value is placed at the extended
 * position nearest to the highest one seen so far (within half the range),
 * so wraps forward and reordering across a wrap both come out right.
 */
class Unwrapper {
  private highest: number | undefined;

  constructor(
    private readonly modulus: number,
    /** Values this far apart or more are treated as a restart (re-anchored). */
    private readonly restartDistance: number,
  ) {}

  unwrap(value: number): number {
    const v = ((value % this.modulus) + this.modulus) % this.modulus;
    if (this.highest === undefined) {
      this.highest = v;
      return v;
    }
    const half = this.modulus / 2;
    const highMod = ((this.highest % this.modulus) + this.modulus) % this.modulus;
    let delta = v - highMod;
    if (delta >= half) delta -= this.modulus;
    else if (delta < -half) delta += this.modulus;
    if (Math.abs(delta) >= this.restartDistance) {
      // A jump this large is a sender restart or a new source: re-anchor so
      // later values continue from here, keeping the extension monotonic forward.
      const extended = this.highest + (delta > 0 ? delta : delta + this.modulus);
      this.highest = extended;
      return extended;
    }
    const extended = this.highest + delta;
    if (delta > 0) this.highest = extended;
    return extended;
  }

  /** Highest extended value seen, or undefined before the first value. */
  get highestExtended(): number | undefined {
    return this.highest;
  }

  reset(): void {
    this.highest = undefined;
  }
}

/**
 * 16-bit RTP sequence numbers → extended sequence numbers. The first value is
 * returned as is; a packet reordered to just before the first may come out
 * negative (still correctly ordered).
 */
export class SequenceUnwrapper {
  private readonly inner: Unwrapper;
  /** `restartDistance` defaults to half the range (no restart detection beyond ambiguity). */
  constructor(restartDistance = SEQ_MOD / 2) {
    this.inner = new Unwrapper(SEQ_MOD, restartDistance);
  }
  unwrap(sequenceNumber: number): number {
    return this.inner.unwrap(sequenceNumber);
  }
  get highest(): number | undefined {
    return this.inner.highestExtended;
  }
  reset(): void {
    this.inner.reset();
  }
}

/** 32-bit RTP timestamps → extended timestamps (same rule, half range = 2^31). */
export class TimestampUnwrapper {
  private readonly inner: Unwrapper;
  constructor(restartDistance = TS_MOD / 2) {
    this.inner = new Unwrapper(TS_MOD, restartDistance);
  }
  unwrap(timestamp: number): number {
    return this.inner.unwrap(timestamp);
  }
  get highest(): number | undefined {
    return this.inner.highestExtended;
  }
  reset(): void {
    this.inner.reset();
  }
}

/** RFC 3550 A.1 constants: beyond these a packet is out of the expected window. */
export const MAX_DROPOUT = 3000;
export const MAX_MISORDER = 100;
/** Remember this many recent sequence numbers to recognise duplicates. */
const DUPLICATE_WINDOW = 1024;

export type PacketClass = 'new' | 'reordered' | 'duplicate' | 'out-of-window' | 'restart';

export interface ReceptionStats {
  /** Packets expected: extended highest − base + 1 (A.3). */
  expected: number;
  /** Distinct packets received (duplicates excluded). */
  received: number;
  /** expected − received, never below 0. */
  lost: number;
  reordered: number;
  duplicates: number;
  /** Packets ignored as far outside the window (before a restart was confirmed). */
  outOfWindow: number;
  restarts: number;
  /** Extended highest sequence number (cycles · 2^16 + max seq), as in a report block. */
  extendedHighestSeq: number;
  /** Interarrival jitter estimate in RTP timestamp units (A.8). */
  jitter: number;
}

export interface IntervalReport {
  /** 8-bit fixed point fraction lost in this interval (A.3). */
  fractionLost: number;
  cumulativeLost: number;
  extendedHighestSeq: number;
  jitter: number;
}

/**
 * Per-source reception tracking after RFC 3550 A.1 (sequence validation with
 * MAX_DROPOUT / MAX_MISORDER and restart on two sequential packets after a
 * jump), A.3 (expected/lost/fraction per interval) and A.8 (jitter).
 * Unlike A.1 it accepts the very first packet without probation, since a
 * voice call wants the first packet played, not held back.
 */
export class SequenceTracker {
  private started = false;
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private badSeq = -1;
  private receivedCount = 0;
  private reorderedCount = 0;
  private duplicateCount = 0;
  private outOfWindowCount = 0;
  private restartCount = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private readonly seenExt = new Float64Array(DUPLICATE_WINDOW).fill(-1);
  private jitterUnits = 0;
  private lastTransit: number | undefined;

  constructor(private readonly clockRateHz = 48_000) {}

  /**
   * Record one arriving packet. `timestamp` and `arrivalMs` (any monotonic
   * ms clock) feed the jitter estimate; omit them to track sequence only.
   */
  receive(sequenceNumber: number, timestamp?: number, arrivalMs?: number): PacketClass {
    const seq = sequenceNumber & 0xffff;
    if (!this.started) {
      this.init(seq);
      this.started = true;
      this.markSeen(this.extended(seq));
      this.receivedCount++;
      this.updateJitter(timestamp, arrivalMs);
      return 'new';
    }
    const udelta = (seq - this.maxSeq + SEQ_MOD) % SEQ_MOD;
    if (udelta !== 0 && udelta < MAX_DROPOUT) {
      // In order, with a permissible gap.
      if (seq < this.maxSeq) this.cycles += SEQ_MOD;
      this.maxSeq = seq;
      this.badSeq = -1;
      return this.accept(this.cycles + seq, 'new', timestamp, arrivalMs);
    }
    if (udelta === 0 || udelta > SEQ_MOD - MAX_MISORDER) {
      // Duplicate or reordered: it belongs before maxSeq, possibly in the previous cycle.
      const ext = seq > this.maxSeq ? this.cycles - SEQ_MOD + seq : this.cycles + seq;
      this.badSeq = -1;
      if (this.wasSeen(ext)) {
        this.duplicateCount++;
        return 'duplicate';
      }
      return this.accept(ext, 'reordered', timestamp, arrivalMs);
    }
    // A very large jump: a restart if the next packet follows it (A.1).
    if (seq === this.badSeq) {
      this.init(seq);
      this.restartCount++;
      this.lastTransit = undefined;
      this.markSeen(this.extended(seq));
      this.receivedCount++;
      this.updateJitter(timestamp, arrivalMs);
      return 'restart';
    }
    this.badSeq = (seq + 1) & 0xffff;
    this.outOfWindowCount++;
    return 'out-of-window';
  }

  private init(seq: number): void {
    // After a restart, counts start over for the new sequence space, as in A.1 init_seq.
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.cycles = 0;
    this.badSeq = -1;
    this.receivedCount = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    this.seenExt.fill(-1);
  }

  private extended(seq: number): number {
    return this.cycles + seq;
  }

  private accept(ext: number, cls: PacketClass, timestamp?: number, arrivalMs?: number): PacketClass {
    if (ext < this.baseSeq) {
      // Reordered to before the first packet we saw: extend the base (A.1 counts from base).
      this.baseSeq = ext;
    }
    this.markSeen(ext);
    this.receivedCount++;
    if (cls === 'reordered') this.reorderedCount++;
    this.updateJitter(timestamp, arrivalMs);
    return cls;
  }

  private slot(ext: number): number {
    return ((ext % DUPLICATE_WINDOW) + DUPLICATE_WINDOW) % DUPLICATE_WINDOW;
  }

  private markSeen(ext: number): void {
    this.seenExt[this.slot(ext)] = ext;
  }

  private wasSeen(ext: number): boolean {
    return this.seenExt[this.slot(ext)] === ext;
  }

  private updateJitter(timestamp: number | undefined, arrivalMs: number | undefined): void {
    if (timestamp === undefined || arrivalMs === undefined) return;
    // A.8: transit = arrival (in RTP units) − timestamp; J += (|D| − J) / 16.
    const transit = (arrivalMs * this.clockRateHz) / 1000 - timestamp;
    if (this.lastTransit !== undefined) {
      let d = transit - this.lastTransit;
      // Timestamps wrap at 2^32: bring the difference into the nearest range.
      if (d > TS_MOD / 2) d -= TS_MOD;
      else if (d < -TS_MOD / 2) d += TS_MOD;
      this.jitterUnits += (Math.abs(d) - this.jitterUnits) / 16;
    }
    this.lastTransit = transit;
  }

  get stats(): ReceptionStats {
    const extendedHighestSeq = this.started ? this.cycles + this.maxSeq : 0;
    const expected = this.started ? extendedHighestSeq - this.baseSeq + 1 : 0;
    return {
      expected,
      received: this.receivedCount,
      lost: Math.max(0, expected - this.receivedCount),
      reordered: this.reorderedCount,
      duplicates: this.duplicateCount,
      outOfWindow: this.outOfWindowCount,
      restarts: this.restartCount,
      extendedHighestSeq,
      jitter: this.jitterUnits,
    };
  }

  /** Values for the next report block; starts a new interval for fractionLost (A.3). */
  takeIntervalReport(): IntervalReport {
    const s = this.stats;
    const expectedInterval = s.expected - this.expectedPrior;
    const receivedInterval = s.received - this.receivedPrior;
    this.expectedPrior = s.expected;
    this.receivedPrior = s.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval << 8) / expectedInterval));
    return {
      fractionLost,
      cumulativeLost: s.expected - s.received,
      extendedHighestSeq: s.extendedHighestSeq >>> 0,
      jitter: Math.floor(s.jitter),
    };
  }
}
