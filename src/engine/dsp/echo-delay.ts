/**
 * Finds how much later than its far-end reference the echo reaches the
 * microphone (docs/architecture.md §2), so the echo canceller's tail is
 * spent on the room and not on device buffering nobody reported.
 *
 * Why it is needed: the canceller models echo(t) = Σ h(k)·reference(t − k)
 * for 0 ≤ k < tail. FarEndReference pairs each captured block with what was
 * played by the device times it knows; a sound server's own buffering
 * (PulseAudio's, measured at well over 100 ms through the ALSA plugin in the
 * echo-feedback test) is invisible to it, and an echo that arrives later
 * than the tail cannot be cancelled at all.
 *
 * How: per 10 ms block, the log energy of the paired reference block and of
 * the microphone block (before cancellation) go into two rings. Every
 * `everyBlocks` (0.5 s) the normalized cross-correlation of the two envelopes is
 * taken at each lag from `minLagBlocks` to `maxLagBlocks` over the last
 * `windowBlocks`; speech's syllable rhythm gives a sharp peak at the echo's
 * delay. An estimate counts only when the far end was active (its envelope
 * varies), the peak is strong (≥ `minCorrelation`) and the same lag
 * (± 1 block) wins twice in a row, so double talk or a burst of noise
 * cannot move the pairing. The caller then moves the reference so the
 * echo arrives `leadMs` after it, and calls `restart()`: the envelopes
 * before the move no longer pair the same way.
 *
 * Pure and allocation-free per block: rings are preallocated; the
 * correlation runs once per `everyBlocks` on those rings.
 */

export interface EchoDelayOptions {
  /** Blocks of history correlated (default 250: 2.5 s; several words of speech). */
  windowBlocks?: number;
  /** Estimate every this many blocks (default 50: 0.5 s). */
  everyBlocks?: number;
  /** Earliest echo considered, blocks relative to the current pairing (default −10: the reference may lag by up to 100 ms). */
  minLagBlocks?: number;
  /** Latest echo considered, blocks (default 60: 600 ms). */
  maxLagBlocks?: number;
  /** Weakest correlation peak that counts (default 0.5). */
  minCorrelation?: number;
}

/** Log-energy floor: silence is this, not −∞ (about −90 dBFS over a block). */
const FLOOR = 1e-9;
/** A far end whose envelope varies less than this (log-energy variance) is not talking. */
const MIN_FAR_VARIANCE = 0.5;

export class EchoDelayEstimator {
  readonly windowBlocks: number;
  readonly everyBlocks: number;
  readonly minLagBlocks: number;
  readonly maxLagBlocks: number;
  private readonly minCorrelation: number;
  private readonly far: Float64Array;
  private readonly mic: Float64Array;
  /** Blocks pushed since the last restart. */
  private count = 0;
  private sinceEstimate = 0;
  private candidate: number | null = null;
  private lastCorrelation = 0;

  constructor(opts: EchoDelayOptions = {}) {
    this.windowBlocks = opts.windowBlocks ?? 250;
    this.everyBlocks = opts.everyBlocks ?? 50;
    this.minLagBlocks = opts.minLagBlocks ?? -10;
    this.maxLagBlocks = opts.maxLagBlocks ?? 60;
    this.minCorrelation = opts.minCorrelation ?? 0.5;
    if (!(this.minLagBlocks <= 0 && this.maxLagBlocks > 0 && this.windowBlocks > this.maxLagBlocks - this.minLagBlocks)) {
      throw new RangeError('need minLagBlocks ≤ 0 < maxLagBlocks and a window longer than the lag range');
    }
    // The ring holds the window plus the lag range on either side of it.
    const size = this.windowBlocks + this.maxLagBlocks - this.minLagBlocks;
    this.far = new Float64Array(size);
    this.mic = new Float64Array(size);
  }

  /** The strongest correlation found by the last estimate (for statistics). */
  get correlation(): number {
    return this.lastCorrelation;
  }

  /**
   * One block's mean square (sample units²) of the paired reference and of
   * the microphone. Returns the echo's delay behind the current pairing in
   * blocks when a confident new estimate is ready, else null.
   */
  push(farMeanSquare: number, micMeanSquare: number): number | null {
    const size = this.far.length;
    const at = this.count % size;
    this.far[at] = Math.log(farMeanSquare / 1073741824 + FLOOR);
    this.mic[at] = Math.log(micMeanSquare / 1073741824 + FLOOR);
    this.count++;
    if (this.count < size || ++this.sinceEstimate < this.everyBlocks) return null;
    this.sinceEstimate = 0;
    const lag = this.estimate();
    if (lag === null) {
      this.candidate = null;
      return null;
    }
    const confirmed = this.candidate !== null && Math.abs(lag - this.candidate) <= 1;
    this.candidate = lag;
    return confirmed ? lag : null;
  }

  /** The pairing moved: forget envelopes paired the old way. */
  restart(): void {
    this.count = 0;
    this.sinceEstimate = 0;
    this.candidate = null;
  }

  /** Best lag over the last window, or null when the far end was silent or no lag stands out. */
  private estimate(): number | null {
    const size = this.far.length;
    const newest = this.count - 1;
    // Mic blocks i in the window; far block i − lag must be in the ring for every lag.
    const lastMic = newest + Math.min(0, this.minLagBlocks);
    const firstMic = lastMic - this.windowBlocks + 1;
    // The far end must be talking in the window: its envelope varies.
    let farMean = 0;
    for (let i = firstMic; i <= lastMic; i++) farMean += this.far[i % size]!;
    farMean /= this.windowBlocks;
    let farVar = 0;
    for (let i = firstMic; i <= lastMic; i++) farVar += (this.far[i % size]! - farMean) ** 2;
    if (farVar / this.windowBlocks < MIN_FAR_VARIANCE) return null;

    let micMean = 0;
    for (let i = firstMic; i <= lastMic; i++) micMean += this.mic[i % size]!;
    micMean /= this.windowBlocks;
    let micVar = 0;
    for (let i = firstMic; i <= lastMic; i++) micVar += (this.mic[i % size]! - micMean) ** 2;
    if (micVar <= 0) return null;

    let best = -1;
    let bestLag = 0;
    for (let lag = this.minLagBlocks; lag <= this.maxLagBlocks; lag++) {
      let sumF = 0;
      let sumFF = 0;
      let sumFM = 0;
      for (let i = firstMic; i <= lastMic; i++) {
        const f = this.far[(i - lag) % size]!;
        const m = this.mic[i % size]! - micMean;
        sumF += f;
        sumFF += f * f;
        sumFM += f * m;
      }
      const fVar = sumFF - (sumF * sumF) / this.windowBlocks;
      if (fVar <= 0) continue;
      const r = sumFM / Math.sqrt(fVar * micVar);
      if (r > best) {
        best = r;
        bestLag = lag;
      }
    }
    this.lastCorrelation = Math.max(0, best);
    return best >= this.minCorrelation ? bestLag : null;
  }
}
