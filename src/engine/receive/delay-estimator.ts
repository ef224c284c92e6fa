/**
 * Estimates how much playout delay the jitter buffer needs.
 *
 * Every packet gives a transit offset: arrival time minus its media time
 * (RTP timestamp in ms). Offsets include an unknown constant (clock origins,
 * path latency) that cancels out: what matters is each packet's *relative*
 * delay, its offset minus the smallest offset in a sliding window (the
 * fastest packet, i.e. the one that would need no buffering). Like the
 * delay manager in libwebrtc NetEQ, the target is a high percentile of those
 * relative delays (97th by default) plus a small margin: a packet later than
 * that is rather concealed than making everyone wait for it.
 *
 * The target grows at once when the percentile rises (a jitter spike must
 * not cause a burst of late packets) and shrinks slowly (at most
 * `shrinkMsPerSecond`), so that one quiet second does not undo it.
 *
 * The window is kept as a ring (arrival order, for expiry) plus a sorted
 * array of the same offsets (for min and percentile): O(window) per packet,
 * no allocation after construction.
 *
 * The RFC 3550 A.8 interarrival jitter shown to the user is not this
 * estimator's business: the stream's ReceptionTracker computes it
 * (rtp/reception.ts, docs/architecture.md §3).
 */

export interface DelayEstimatorOptions {
  /** Sliding window over which delays are considered. Default 2000 ms. */
  windowMs?: number;
  /** Percentile of relative delay used as target, 0..1. Default 0.97 (NetEQ). */
  percentile?: number;
  /** Added to the percentile: covers scheduling noise of the pulls. Default 5 ms. */
  marginMs?: number;
  /** Lower clamp of the target. Default 0. */
  minDelayMs?: number;
  /** Upper clamp of the target. Default 500. */
  maxDelayMs?: number;
  /** How fast the target may come down. Default 15 ms per second. */
  shrinkMsPerSecond?: number;
  /** Most packets kept in the window (older ones are evicted early). Default 1024. */
  capacity?: number;
}

export class DelayEstimator {
  readonly windowMs: number;
  readonly percentile: number;
  readonly marginMs: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly shrinkMsPerSecond: number;
  private readonly capacity: number;

  // Ring of (arrivalMs, offsetMs) in arrival order.
  private readonly ringArrival: Float64Array;
  private readonly ringOffset: Float64Array;
  private ringStart = 0;
  private count = 0;
  // The same offsets, sorted ascending.
  private readonly sorted: Float64Array;

  private target: number;
  private lastUpdateMs: number | undefined;

  constructor(options: DelayEstimatorOptions = {}) {
    this.windowMs = positive(options.windowMs ?? 2000, 'windowMs');
    this.percentile = options.percentile ?? 0.97;
    if (!(this.percentile > 0 && this.percentile <= 1)) throw new RangeError(`percentile must be in (0, 1], got ${this.percentile}`);
    this.marginMs = nonNegative(options.marginMs ?? 5, 'marginMs');
    this.minDelayMs = nonNegative(options.minDelayMs ?? 0, 'minDelayMs');
    this.maxDelayMs = nonNegative(options.maxDelayMs ?? 500, 'maxDelayMs');
    if (this.maxDelayMs < this.minDelayMs) throw new RangeError(`maxDelayMs (${this.maxDelayMs}) < minDelayMs (${this.minDelayMs})`);
    this.shrinkMsPerSecond = nonNegative(options.shrinkMsPerSecond ?? 15, 'shrinkMsPerSecond');
    this.capacity = Math.max(2, Math.trunc(options.capacity ?? 1024));
    this.ringArrival = new Float64Array(this.capacity);
    this.ringOffset = new Float64Array(this.capacity);
    this.sorted = new Float64Array(this.capacity);
    this.target = this.clamp(this.marginMs);
  }

  /**
   * Record one packet: `arrivalMs` on the local monotonic clock, `mediaMs`
   * its RTP timestamp converted to ms (any fixed origin).
   */
  update(arrivalMs: number, mediaMs: number): void {
    if (!Number.isFinite(arrivalMs) || !Number.isFinite(mediaMs)) return;
    const offset = arrivalMs - mediaMs;
    while (this.count > 0 && this.ringArrival[this.ringStart]! < arrivalMs - this.windowMs) this.evictOldest();
    if (this.count === this.capacity) this.evictOldest();
    const slot = (this.ringStart + this.count) % this.capacity;
    this.ringArrival[slot] = arrivalMs;
    this.ringOffset[slot] = offset;
    this.insertSorted(offset);
    this.count++;

    const raw = this.rawTargetMs;
    if (raw >= this.target || this.lastUpdateMs === undefined) {
      this.target = raw;
    } else {
      const elapsedMs = Math.max(0, arrivalMs - this.lastUpdateMs);
      this.target = Math.max(raw, this.target - (this.shrinkMsPerSecond * elapsedMs) / 1000);
    }
    this.lastUpdateMs = arrivalMs;
  }

  /** Smallest transit offset in the window (the fastest path), or undefined before any packet. */
  get minOffsetMs(): number | undefined {
    return this.count > 0 ? this.sorted[0] : undefined;
  }

  /** The chosen percentile of relative delay in the window (0 before any packet). */
  get percentileDelayMs(): number {
    if (this.count === 0) return 0;
    const k = Math.min(this.count - 1, Math.max(0, Math.ceil(this.percentile * this.count) - 1));
    return this.sorted[k]! - this.sorted[0]!;
  }

  /** Percentile + margin, clamped, without smoothing. */
  get rawTargetMs(): number {
    return this.clamp(this.percentileDelayMs + this.marginMs);
  }

  /** The smoothed target delay: fast up, slow down. */
  get targetDelayMs(): number {
    return this.target;
  }

  /** Packets currently in the window. */
  get size(): number {
    return this.count;
  }

  reset(): void {
    this.ringStart = 0;
    this.count = 0;
    this.target = this.clamp(this.marginMs);
    this.lastUpdateMs = undefined;
  }

  private clamp(ms: number): number {
    return Math.min(this.maxDelayMs, Math.max(this.minDelayMs, ms));
  }

  private evictOldest(): void {
    const offset = this.ringOffset[this.ringStart]!;
    this.ringStart = (this.ringStart + 1) % this.capacity;
    this.count--;
    this.removeSorted(offset);
  }

  private insertSorted(value: number): void {
    // Binary search for the first element > value, then shift the tail up.
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]! <= value) lo = mid + 1;
      else hi = mid;
    }
    this.sorted.copyWithin(lo + 1, lo, this.count);
    this.sorted[lo] = value;
  }

  private removeSorted(value: number): void {
    // `count` has already been decremented: the sorted array still holds count + 1 values.
    const n = this.count + 1;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    if (lo < n && this.sorted[lo] === value) this.sorted.copyWithin(lo, lo + 1, n);
  }
}

function positive(v: number, name: string): number {
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${name} must be > 0, got ${v}`);
  return v;
}

function nonNegative(v: number, name: string): number {
  if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`${name} must be >= 0, got ${v}`);
  return v;
}
