/**
 * Conversion of 16-bit PCM to and from float samples in [-1, 1] (levels for
 * meters and gating are in ./level.ts).
 *
 * Scaling is asymmetric (negative values over 32768, positive over 32767)
 * so that both int16 extremes map exactly onto -1 and +1 and the round trip
 * int16 → float → int16 is lossless.
 */

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
