/**
 * Small helpers over 16-bit PCM: levels for meters and voice gating,
 * conversion to and from float samples in [-1, 1].
 *
 * Scaling is asymmetric (negative values over 32768, positive over 32767)
 * so that both int16 extremes map exactly onto -1 and +1 and the round trip
 * int16 → float → int16 is lossless.
 */

/** Peak absolute level, 0..1 (0 for an empty buffer). */
export function peakLevel(pcm: Int16Array): number {
  let peak = 0;
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i]!;
    const a = v < 0 ? -v / 32768 : v / 32767;
    if (a > peak) peak = a;
  }
  return peak;
}

/** Root-mean-square level, 0..1 (0 for an empty buffer; a full-scale square wave is ~1). */
export function rmsLevel(pcm: Int16Array): number {
  if (pcm.length === 0) return 0;
  let sumSquares = 0;
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i]! / 32768;
    sumSquares += v * v;
  }
  return Math.min(1, Math.sqrt(sumSquares / pcm.length));
}

/** One float sample in [-1, 1] (clamped; NaN becomes 0) to int16. */
export function floatSampleToInt16(x: number): number {
  if (!(x === x)) return 0; // NaN
  const c = x < -1 ? -1 : x > 1 ? 1 : x;
  return c < 0 ? Math.round(c * 32768) : Math.round(c * 32767);
}

export function int16ToFloat32(pcm: Int16Array): Float32Array {
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i]!;
    out[i] = v < 0 ? v / 32768 : v / 32767;
  }
  return out;
}

export function floatToInt16(samples: ArrayLike<number>): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = floatSampleToInt16(samples[i]!);
  return out;
}
