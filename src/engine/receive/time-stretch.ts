/**
 * Time-scale modification of decoded speech by whole pitch periods, the DSP
 * half of the jitter buffer's accelerate and expand (docs/architecture.md §2;
 * the decisions are receive/playout-policy.ts). After libwebrtc NetEQ's
 * accelerate and preemptive expand, a one-step WSOLA:
 *
 * - Find the lag P (2.5–15 ms, at most half the chunk) where the chunk is
 *   most like itself one lag later: the largest normalized correlation
 *   between x[0, P) and x[P, 2P). In voiced speech that is a pitch period
 *   (or a multiple of it); in a sine, its period.
 * - Accelerate removes P samples: y = crossfade(x[0, P) fading out,
 *   x[P, 2P) fading in) followed by x[2P, N). Expand inserts P:
 *   y = x[0, P), crossfade(x[P, 2P) fading out, x[0, P) fading in), then
 *   x[P, N). Each fade starts on the sample that was there and ends on the
 *   sample that follows, so the output joins both neighbours without a
 *   step, and a periodic signal keeps its period: the pitch is unchanged.
 * - Only when the correlation is at least `correlationThreshold` (0.9, as
 *   NetEQ), or the chunk is quiet (RMS below `quietRms`: nothing to hear,
 *   any lag will do and the longest is taken). Otherwise the chunk is left as
 *   it is and the caller tries again on a later one.
 *
 * Why not a library: @echogarden/sonic-wasm (0.04–0.1 ms per 20 ms frame)
 * gives its first output only after ~40 ms of input, which would be added to
 * every sample's mouth-to-ear time, doubling the clean-link figure (~40 ms);
 * removing or inserting one period in a chunk that is already decoded costs
 * no latency at all.
 *
 * The search runs on every 4th sample at even lags, then refines ±2 lags
 * at full rate; a few thousand multiply-adds per chunk. No allocation: the
 * chunk is changed in place, in the caller's buffer.
 */
import { SAMPLE_RATE } from '../../core/media-format.js';

const SAMPLES_PER_MS = SAMPLE_RATE / 1000;
/** 2.5 ms: a 400 Hz pitch period. */
export const MIN_PERIOD_SAMPLES = 2.5 * SAMPLES_PER_MS;
/** 15 ms: below the lowest speaking voices' pitch (~70 Hz). */
export const MAX_PERIOD_SAMPLES = 15 * SAMPLES_PER_MS;

export interface TimeStretchOptions {
  /** Lowest normalized correlation at which a period is cut or repeated. Default 0.9. */
  correlationThreshold?: number;
  /** RMS in sample units below which a chunk counts as quiet. Default 100 (−50 dBFS). */
  quietRms?: number;
}

export class TimeStretcher {
  readonly correlationThreshold: number;
  readonly quietRms: number;
  /** The lag chosen by the last call that changed its chunk, samples (0 before any). */
  lastPeriod = 0;
  /** The normalized correlation at that lag (1 for a quiet chunk). */
  lastCorrelation = 0;

  constructor(options: TimeStretchOptions = {}) {
    this.correlationThreshold = options.correlationThreshold ?? 0.9;
    if (!(this.correlationThreshold > 0 && this.correlationThreshold <= 1)) throw new RangeError(`correlationThreshold must be in (0, 1], got ${this.correlationThreshold}`);
    this.quietRms = options.quietRms ?? 100;
  }

  /**
   * Remove one period from `buf[0, len)`, in place. `maxRemove` caps the
   * period (samples). Returns the new length: `len − P`, or `len` when no
   * period was found.
   */
  accelerate(buf: Int16Array, len: number, maxRemove: number = MAX_PERIOD_SAMPLES): number {
    const p = this.findPeriod(buf, len, maxRemove);
    if (p === 0) return len;
    // y[i] = x[i]·(1 − w) + x[P + i]·w over [0, P); then x[2P, len) moves down to P.
    for (let i = 0; i < p; i++) {
      const w = i / p;
      buf[i] = Math.round(buf[i]! * (1 - w) + buf[p + i]! * w);
    }
    buf.copyWithin(p, 2 * p, len);
    return len - p;
  }

  /**
   * Insert one period into `buf[0, len)`, in place; `buf` must have room for
   * `len + maxInsert`. Returns the new length: `len + P`, or `len`.
   */
  expand(buf: Int16Array, len: number, maxInsert: number = MAX_PERIOD_SAMPLES): number {
    const p = this.findPeriod(buf, len, Math.min(maxInsert, buf.length - len));
    if (p === 0) return len;
    // x[P, len) moves up to 2P; then y[P + i] = x[P + i]·(1 − w) + x[i]·w over [0, P).
    buf.copyWithin(2 * p, p, len);
    for (let i = 0; i < p; i++) {
      const w = (i + 1) / p;
      buf[p + i] = Math.round(buf[2 * p + i]! * (1 - w) + buf[i]! * w);
    }
    return len + p;
  }

  /** The lag to cut or repeat, or 0 when the chunk has none that is safe to. */
  private findPeriod(x: Int16Array, len: number, maxLag: number): number {
    const hi = Math.min(MAX_PERIOD_SAMPLES, Math.floor(len / 2), Math.floor(maxLag));
    if (hi < MIN_PERIOD_SAMPLES) return 0;
    let energy = 0;
    for (let i = 0; i < 2 * hi; i++) energy += x[i]! * x[i]!;
    if (Math.sqrt(energy / (2 * hi)) < this.quietRms) {
      this.lastPeriod = hi;
      this.lastCorrelation = 1;
      return hi;
    }
    // Coarse: even lags, every 4th sample.
    let best = 0;
    let bestC = -Infinity;
    for (let lag = MIN_PERIOD_SAMPLES; lag <= hi; lag += 2) {
      const c = correlation(x, lag, 4);
      if (c > bestC) {
        bestC = c;
        best = lag;
      }
    }
    // Fine: ±2 around it, every sample.
    const from = Math.max(MIN_PERIOD_SAMPLES, best - 2);
    const to = Math.min(hi, best + 2);
    bestC = -Infinity;
    for (let lag = from; lag <= to; lag++) {
      const c = correlation(x, lag, 1);
      if (c > bestC) {
        bestC = c;
        best = lag;
      }
    }
    if (bestC < this.correlationThreshold) return 0;
    this.lastPeriod = best;
    this.lastCorrelation = bestC;
    return best;
  }
}

/** Normalized correlation of x[0, lag) with x[lag, 2·lag), every `step`th sample. */
function correlation(x: Int16Array, lag: number, step: number): number {
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < lag; i += step) {
    const a = x[i]!;
    const b = x[lag + i]!;
    xy += a * b;
    xx += a * a;
    yy += b * b;
  }
  const d = Math.sqrt(xx * yy);
  return d > 0 ? xy / d : 0;
}
