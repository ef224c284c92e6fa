/**
 * Soft limiter for the mix bus: samples are floats on a full-scale axis
 * (±1.0 = ±32768). Below `threshold` the signal passes untouched; above it a
 * tanh knee bends it so that the output approaches but never reaches full
 * scale. The knee has slope 1 where it starts, so there is no kink, and it
 * is stateless (no pumping, no lookahead, no added latency). Summing several
 * loud peers therefore saturates smoothly instead of wrapping around.
 */
export const DEFAULT_LIMITER_THRESHOLD = 0.8;

/** The limiter curve for one sample. */
export function softLimit(x: number, threshold = DEFAULT_LIMITER_THRESHOLD): number {
  if (x !== x) return 0; // NaN from a broken input must not reach the speaker
  const a = x < 0 ? -x : x;
  if (a <= threshold) return x;
  const headroom = 1 - threshold;
  const y = threshold + headroom * Math.tanh((a - threshold) / headroom);
  return x < 0 ? -y : y;
}

/** Limit `input` and convert to 16-bit PCM into `out` (same length or shorter). */
export function limitToInt16(input: Float32Array, out: Int16Array, threshold = DEFAULT_LIMITER_THRESHOLD): void {
  const n = Math.min(input.length, out.length);
  for (let i = 0; i < n; i++) {
    const v = Math.round(softLimit(input[i]!, threshold) * 32768);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
}
