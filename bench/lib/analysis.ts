/**
 * Audio analysis for tests and benchmarks: does an output contain an input
 * (normalized cross-correlation), and where are the clicks (latency).
 * Not used on the media path.
 */
import FFT from 'fft.js';

export function toFloat(x: Int16Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! / 32768;
  return out;
}

/**
 * Box-filter then keep every `factor`-th sample. Crude, but enough to bring
 * speech to 8 kHz for correlation (Opus keeps the speech band well).
 */
export function decimate(x: Float32Array, factor: number): Float32Array {
  const n = Math.floor(x.length / factor);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < factor; k++) s += x[i * factor + k]!;
    out[i] = s / factor;
  }
  return out;
}

function nextPow2(n: number): number {
  let p = 4;
  while (p < n) p *= 2;
  return p;
}

export interface CorrelationPeak {
  /** Offset of `ref` inside `sig`, in samples of the arrays given. */
  lag: number;
  /** Normalized cross-correlation at that lag, -1..1. */
  value: number;
}

/**
 * Slide `ref` over `sig` (ref fully inside sig) and return the lag with the
 * highest normalized cross-correlation
 *   ncc(l) = Σ ref[n]·sig[n+l] / sqrt(Σ ref² · Σ sig[n+l]²)
 * computed with one FFT-based cross-correlation and prefix sums of energy.
 */
export function findInSignal(ref: Float32Array, sig: Float32Array): CorrelationPeak {
  if (ref.length === 0 || sig.length < ref.length) return { lag: 0, value: 0 };
  const size = nextPow2(sig.length + ref.length);
  const fft = new FFT(size);
  const a = new Float64Array(size);
  const b = new Float64Array(size);
  a.set(sig);
  // Time-reverse ref so that convolution becomes correlation.
  for (let i = 0; i < ref.length; i++) b[i] = ref[ref.length - 1 - i]!;
  const A = fft.createComplexArray() as number[];
  const B = fft.createComplexArray() as number[];
  fft.realTransform(A, a);
  fft.completeSpectrum(A);
  fft.realTransform(B, b);
  fft.completeSpectrum(B);
  const P = fft.createComplexArray() as number[];
  for (let i = 0; i < size; i++) {
    const ar = A[2 * i]!, ai = A[2 * i + 1]!, br = B[2 * i]!, bi = B[2 * i + 1]!;
    P[2 * i] = ar * br - ai * bi;
    P[2 * i + 1] = ar * bi + ai * br;
  }
  const conv = fft.createComplexArray() as number[];
  fft.inverseTransform(conv, P);

  let refEnergy = 0;
  for (let i = 0; i < ref.length; i++) refEnergy += ref[i]! * ref[i]!;
  const prefix = new Float64Array(sig.length + 1);
  for (let i = 0; i < sig.length; i++) prefix[i + 1] = prefix[i]! + sig[i]! * sig[i]!;

  let best: CorrelationPeak = { lag: 0, value: 0 };
  for (let lag = 0; lag + ref.length <= sig.length; lag++) {
    const cross = conv[2 * (lag + ref.length - 1)]!;
    const sigEnergy = prefix[lag + ref.length]! - prefix[lag]!;
    const denom = Math.sqrt(refEnergy * sigEnergy);
    const value = denom > 1e-9 ? cross / denom : 0;
    if (value > best.value) best = { lag, value };
  }
  return best;
}

/**
 * How strongly a segment of `input` (48 kHz) appears in `output` (48 kHz):
 * takes `segmentMs` from the input starting at `fromMs`, analyses at 8 kHz.
 * Returns the peak and the lag in milliseconds.
 */
export function presenceOf(
  input: Int16Array,
  output: Int16Array,
  opts: { fromMs?: number; segmentMs?: number } = {},
): { value: number; lagMs: number } {
  const factor = 6; // 48 kHz → 8 kHz
  const from = Math.floor(((opts.fromMs ?? 500) * 48) / factor);
  const len = Math.floor(((opts.segmentMs ?? 2000) * 48) / factor);
  const ref = decimate(toFloat(input), factor).subarray(from, from + len);
  const sig = decimate(toFloat(output), factor);
  const peak = findInSignal(ref, sig);
  return { value: peak.value, lagMs: (peak.lag * factor) / 48 - (opts.fromMs ?? 500) };
}

/**
 * bestPresence probes for what must be heard: 1 s segments, which survive a
 * receiver whose jitter buffer stretches or shortens playout a pitch period
 * at a time under load (a 2 s probe then stops lining up). What must NOT be
 * heard keeps the default 2 s probes: unrelated speech correlates higher
 * over shorter stretches.
 */
export const HEARD = { segmentMs: 1000 } as const;

/**
 * Best presence of `input` in `output` over a few segments of the input
 * (inputs loop, and a speaker's pauses make any single segment a weak probe):
 * 2 s segments at 0.3, 1.5 and 2.7 s by default. Shorter segments
 * (`segmentMs`, spread over the input) tolerate a receiver that stretches
 * or shortens its playout (the jitter buffer's time-scale modification, a
 * pitch period at a time): a long segment then no longer lines up with the
 * output sample for sample, and its correlation falls though every word
 * was heard.
 */
export function bestPresence(input: Int16Array, output: Int16Array, opts: { segmentMs?: number } = {}): number {
  const segmentMs = opts.segmentMs ?? 2000;
  const inputMs = (input.length * 1000) / 48_000;
  const starts = segmentMs === 2000 ? [300, 1500, 2700] : [] as number[];
  if (starts.length === 0) for (let fromMs = 300; fromMs + segmentMs <= inputMs; fromMs += segmentMs * 0.6) starts.push(fromMs);
  let best = 0;
  for (const fromMs of starts) best = Math.max(best, presenceOf(input, output, { fromMs, segmentMs }).value);
  return best;
}

export interface ClickTrain {
  samples: Int16Array;
  /** Sample index where each click starts. */
  onsets: number[];
}

/**
 * Short 1 kHz tone bursts starting at their peak (a sharp onset) (`burstMs`) at `intervalMs` spacing, starting after
 * `leadMs` of silence. Bursts rather than single impulses: Opus at speech
 * bitrates smears an impulse, but keeps a burst's onset sharp to ~1 ms.
 */
export function makeClickTrain(opts: { durationMs: number; intervalMs?: number; leadMs?: number; burstMs?: number; sampleRate?: number }): ClickTrain {
  const rate = opts.sampleRate ?? 48_000;
  const interval = opts.intervalMs ?? 250;
  const lead = opts.leadMs ?? 200;
  const burst = Math.round(((opts.burstMs ?? 8) * rate) / 1000);
  const samples = new Int16Array(Math.round((opts.durationMs * rate) / 1000));
  const onsets: number[] = [];
  for (let t = lead; t + interval <= opts.durationMs; t += interval) {
    const start = Math.round((t * rate) / 1000);
    onsets.push(start);
    for (let i = 0; i < burst && start + i < samples.length; i++) {
      samples[start + i] = Math.round(0.7 * 32767 * Math.cos((2 * Math.PI * 1000 * i) / rate));
    }
  }
  return { samples, onsets };
}

/**
 * Onsets in `x`: the first sample whose magnitude exceeds `threshold` (of full
 * scale) after at least `quietMs` below it.
 */
export function detectOnsets(x: Int16Array, opts: { threshold?: number; quietMs?: number; sampleRate?: number } = {}): number[] {
  const rate = opts.sampleRate ?? 48_000;
  const thr = (opts.threshold ?? 0.2) * 32768;
  const quiet = Math.round(((opts.quietMs ?? 60) * rate) / 1000);
  const onsets: number[] = [];
  let lastLoud = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (Math.abs(x[i]!) >= thr) {
      if (i - lastLoud > quiet) onsets.push(i);
      lastLoud = i;
    }
  }
  return onsets;
}

/**
 * Pair each input onset with the first output onset within `windowMs` after
 * it (after shifting output by `offsetSamples`, the difference between the
 * two files' start times) and return the delays in ms.
 */
export function matchOnsets(inputOnsets: number[], outputOnsets: number[], opts: { offsetSamples?: number; windowMs?: number; sampleRate?: number } = {}): number[] {
  const rate = opts.sampleRate ?? 48_000;
  const window = ((opts.windowMs ?? 200) * rate) / 1000;
  const offset = opts.offsetSamples ?? 0;
  const delays: number[] = [];
  let j = 0;
  for (const onset of inputOnsets) {
    while (j < outputOnsets.length && outputOnsets[j]! + offset < onset) j++;
    const candidate = outputOnsets[j];
    if (candidate !== undefined && candidate + offset - onset <= window) {
      delays.push(((candidate + offset - onset) * 1000) / rate);
      j++;
    }
  }
  return delays;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx]!;
}

/** RMS of `x[from, to)` as a share of full scale (0 for an empty range). */
export function rmsOf(x: Int16Array, from: number, to: number): number {
  const a = Math.max(0, Math.floor(from)), b = Math.min(x.length, Math.floor(to));
  if (b <= a) return 0;
  let s = 0;
  for (let i = a; i < b; i++) s += (x[i]! / 32768) ** 2;
  return Math.sqrt(s / (b - a));
}

/**
 * The share (0..1) of the power of `x[from, to)` that lies at `hz`: about 1
 * for a pure tone at that pitch, about 0 for speech or silence. Goertzel
 * over 100 ms blocks (10 Hz resolution, so a sender's clock a little off
 * still lands in the bin), summed over the range; the Hann window keeps
 * other pitches' energy out of the bin.
 */
export function toneShare(x: Int16Array, hz: number, from = 0, to = x.length, sampleRate = 48_000): number {
  const block = Math.round(sampleRate / 10);
  const w = (2 * Math.PI * hz) / sampleRate;
  const coeff = 2 * Math.cos(w);
  let tone = 0;
  let total = 0;
  for (let start = Math.max(0, from); start + block <= Math.min(x.length, to); start += block) {
    let s1 = 0, s2 = 0, energy = 0;
    for (let i = 0; i < block; i++) {
      const v = (x[start + i]! / 32768) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (block - 1)));
      energy += v * v;
      const s0 = v + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    // |X(hz)|² of the windowed block; a sine of amplitude A gives (A·N/4)², its windowed energy 3A²N/16.
    const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    tone += (power * 3) / block;
    total += energy;
  }
  return total === 0 ? 0 : Math.min(1, tone / total);
}

/**
 * The first sample index at or after `from` that starts a frame (`frameMs`)
 * with an RMS of at least `threshold` (share of full scale), or null: where
 * sound comes back after a silent stretch (an outage: concealment fades out
 * to digital silence, docs/architecture.md §2).
 */
export function firstAudible(x: Int16Array, from: number, opts: { threshold?: number; frameMs?: number; sampleRate?: number } = {}): number | null {
  const frame = Math.round(((opts.frameMs ?? 10) * (opts.sampleRate ?? 48_000)) / 1000);
  const threshold = opts.threshold ?? 0.01;
  for (let i = Math.max(0, Math.floor(from)); i + frame <= x.length; i += frame) if (rmsOf(x, i, i + frame) >= threshold) return i;
  return null;
}

/**
 * The sample index just past the last frame in `x[from, to)` whose RMS
 * reaches `threshold`, or null when every frame there is quieter: where
 * sound stops for good (after a mute, concealment fades out to silence).
 */
export function lastAudibleEnd(x: Int16Array, from: number, to: number, opts: { threshold?: number; frameMs?: number; sampleRate?: number } = {}): number | null {
  const frame = Math.round(((opts.frameMs ?? 10) * (opts.sampleRate ?? 48_000)) / 1000);
  const threshold = opts.threshold ?? 0.01;
  const start = Math.max(0, Math.floor(from));
  let last: number | null = null;
  for (let i = start; i + frame <= Math.min(x.length, Math.floor(to)); i += frame) if (rmsOf(x, i, i + frame) >= threshold) last = i + frame;
  return last;
}

/** Several clips one after the other (e.g. frames into a signal, clips into a longer one). */
export function concat(clips: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(clips.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of clips) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A figure for a report: `digits` decimals, or 'n/a' for a figure that was not measured (NaN, null). */
export function fmt(x: number | null | undefined, digits = 1): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}
