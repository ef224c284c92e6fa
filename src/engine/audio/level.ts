/**
 * Frame levels of 16-bit PCM on one 0..1 axis, full scale 32768, for every
 * meter and level decision: the microphone meter and speaking indicator,
 * each peer's meter and speaking indicator, the voice gate, and the jitter
 * buffer's "quiet packet" catch-up test (docs/architecture.md §2). One scale
 * means the mic meter and the peer meters agree for the same signal.
 *
 * Peak drives meters (what the UI shows); RMS drives speaking detection and
 * the voice gate (peaks of clicks and plosives say little about whether
 * someone is talking).
 */

/** The level 1.0: |−32768|, the largest int16 magnitude. */
export const FULL_SCALE = 32768;

/** Largest |sample| / 32768 in `pcm` (0 for an empty frame). */
export function peakLevel(pcm: Int16Array): number {
  let peak = 0;
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i]!;
    const a = v < 0 ? -v : v;
    if (a > peak) peak = a;
  }
  return Math.min(1, peak / FULL_SCALE);
}

/** Root-mean-square / 32768 of `pcm` (0 for an empty frame; a full-scale square wave is 1). */
export function rmsLevel(pcm: Int16Array): number {
  if (pcm.length === 0) return 0;
  let sumSquares = 0;
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i]! / FULL_SCALE;
    sumSquares += v * v;
  }
  return Math.min(1, Math.sqrt(sumSquares / pcm.length));
}

/**
 * The RMS of speech without its pauses: RMS over the 10 ms blocks (480
 * samples) of `pcm[from, to)` whose energy is within 30 dB of the loudest
 * block, on the same 0..1 axis as rmsLevel. A talker's level (the AGC tests,
 * the echo benchmark, `roundtable test-audio`'s "speech level"); 0 when
 * every block is silent.
 */
export function activeRmsLevel(pcm: Int16Array, from = 0, to = pcm.length): number {
  const block = 480;
  const energies: number[] = [];
  for (let i = Math.max(0, from); i + block <= Math.min(to, pcm.length); i += block) {
    let s = 0;
    for (let k = i; k < i + block; k++) s += pcm[k]! * pcm[k]!;
    energies.push(s / block);
  }
  const max = Math.max(0, ...energies);
  const active = energies.filter((e) => e > 0 && e >= max / 1000);
  if (active.length === 0) return 0;
  return Math.min(1, Math.sqrt(active.reduce((a, b) => a + b, 0) / active.length) / FULL_SCALE);
}

/**
 * A meter that jumps up to a new peak and falls back by `releasePerFrame`
 * (a factor) each frame, so short syllables stay visible in a UI that
 * redraws a few times a second.
 */
export class PeakMeter {
  private value = 0;

  constructor(private readonly releasePerFrame = 0.8) {
    if (!(releasePerFrame >= 0 && releasePerFrame < 1)) throw new RangeError(`releasePerFrame must be in [0, 1), got ${releasePerFrame}`);
  }

  update(framePeak: number): number {
    const decayed = this.value * this.releasePerFrame;
    this.value = framePeak > decayed ? framePeak : decayed < 1e-4 ? 0 : decayed;
    return this.value;
  }

  get level(): number {
    return this.value;
  }

  reset(): void {
    this.value = 0;
  }
}

/** Largest |sample| of float PCM (−1..1, as Web Audio gives it) on the same 0..1 axis. */
export function peakLevelOfFloats(pcm: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i]!;
    const a = v < 0 ? -v : v;
    if (a > peak) peak = a;
  }
  return Math.min(1, peak);
}

/** Root-mean-square of float PCM (−1..1) on the same 0..1 axis as rmsLevel. */
export function rmsLevelOfFloats(pcm: Float32Array): number {
  if (pcm.length === 0) return 0;
  let sumSquares = 0;
  for (let i = 0; i < pcm.length; i++) sumSquares += pcm[i]! * pcm[i]!;
  return Math.min(1, Math.sqrt(sumSquares / pcm.length));
}
