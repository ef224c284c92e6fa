/**
 * Noisy speech for the noise-suppression test and benchmark, and the two
 * figures they judge it by (not used on the media path):
 *
 * - noise reduction in speech pauses: the output's energy where the clean
 *   speech is silent, against the noisy input's energy there, in dB;
 * - speech windows found: the clean speech cut into 500 ms windows; a window
 *   is found when it correlates with the output (normalized, at 8 kHz) at
 *   ≥ FOUND_CORRELATION, within ± 50 ms of the lag most windows have (a
 *   jitter buffer may move the delay by a frame or two during a call).
 *
 * The fixture noises (fixtures/noise-fan.wav and noise-keys.wav, made by
 * fixtures/make-noise-fixture.sh) are added and mixed with a clean speech fixture at an exact SNR: speech power over
 * its active 10 ms frames against the noise's mean power.
 */
import { decimate, findInSignal, median, toFloat } from './analysis.js';

const FRAME = 480; // 10 ms at 48 kHz
/** A 10 ms frame of clean speech quieter than this (dBFS) is a pause. */
const PAUSE_DBFS = -55;
/** A frame louder than this (dBFS) counts as active speech for the SNR. */
const ACTIVE_DBFS = -40;
/** Pauses count only this far (frames) from any speech, so a delayed or smeared word cannot leak in. */
const PAUSE_MARGIN_FRAMES = 5;
export const WINDOW_MS = 500;
export const FOUND_CORRELATION = 0.6;

function frameDbfs(x: Int16Array, frame: number): number {
  let e = 0;
  const from = frame * FRAME;
  for (let i = from; i < from + FRAME && i < x.length; i++) e += x[i]! * x[i]!;
  const rms = Math.sqrt(e / FRAME) / 32768;
  return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
}

function power(x: Int16Array, frames: readonly number[]): number {
  let e = 0;
  for (const f of frames) for (let i = f * FRAME; i < (f + 1) * FRAME && i < x.length; i++) e += x[i]! * x[i]!;
  return frames.length > 0 ? e / (frames.length * FRAME) : 0;
}

/** Frames (10 ms) of clean speech that are active speech, and those that are pauses well away from it. */
export function speechFrames(clean: Int16Array): { active: number[]; pauses: number[] } {
  const n = Math.floor(clean.length / FRAME);
  const level = Array.from({ length: n }, (_, f) => frameDbfs(clean, f));
  const active: number[] = [];
  const pauses: number[] = [];
  for (let f = 0; f < n; f++) {
    if (level[f]! > ACTIVE_DBFS) active.push(f);
    let quiet = true;
    for (let k = Math.max(0, f - PAUSE_MARGIN_FRAMES); k <= Math.min(n - 1, f + PAUSE_MARGIN_FRAMES); k++) if (level[k]! > PAUSE_DBFS) quiet = false;
    if (quiet) pauses.push(f);
  }
  return { active, pauses };
}

/** `clean` + `noise` (looped or cut to length) scaled so that speech is `snrDb` above the noise. */
export function mixAtSnr(clean: Int16Array, noise: Int16Array, snrDb: number): Int16Array {
  const { active } = speechFrames(clean);
  const speechPower = power(clean, active);
  let noisePower = 0;
  for (let i = 0; i < noise.length; i++) noisePower += noise[i]! * noise[i]!;
  noisePower /= noise.length;
  const gain = Math.sqrt(speechPower / (noisePower * 10 ** (snrDb / 10)));
  const out = new Int16Array(clean.length);
  for (let i = 0; i < clean.length; i++) {
    const v = Math.round(clean[i]! + gain * noise[i % noise.length]!);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** Shift `x` earlier by `samples` (drop its head, pad its tail with zeros): undoes a known delay. */
export function advance(x: Int16Array, samples: number): Int16Array {
  const out = new Int16Array(x.length);
  out.set(x.subarray(Math.max(0, samples)));
  return out;
}

/**
 * How much quieter `output` is than `noisyInput` in the clean speech's pauses, dB (positive = quieter).
 * `output` must already be aligned with the input (see `advance`).
 */
export function pauseReductionDb(clean: Int16Array, noisyInput: Int16Array, output: Int16Array): number {
  const { pauses } = speechFrames(clean);
  const before = power(noisyInput, pauses);
  const after = power(output, pauses);
  return 10 * Math.log10(before / Math.max(after, 1e-9));
}

export interface WindowsFound {
  readonly windows: number;
  readonly found: number;
  readonly fraction: number;
  /** Lag of the output behind the clean speech, ms (median over the windows). */
  readonly lagMs: number;
  /** Median of the windows' peak correlations. */
  readonly medianCorrelation: number;
}

/** Which 500 ms windows of the clean speech (mostly active) appear in `output` (see the header). */
export function speechWindowsFound(clean: Int16Array, output: Int16Array): WindowsFound {
  const factor = 6; // 48 kHz → 8 kHz
  const cleanLow = decimate(toFloat(clean), factor);
  const outLow = decimate(toFloat(output), factor);
  const { active } = speechFrames(clean);
  const activeSet = new Set(active);
  const framesPerWindow = WINDOW_MS / 10;
  const windowLen = (WINDOW_MS * 48) / factor;
  const peaks: Array<{ lag: number; value: number }> = [];
  for (let w = 0; (w + 1) * framesPerWindow * FRAME <= clean.length; w++) {
    let activeFrames = 0;
    for (let f = w * framesPerWindow; f < (w + 1) * framesPerWindow; f++) if (activeSet.has(f)) activeFrames++;
    if (activeFrames < framesPerWindow / 2) continue;
    const from = w * windowLen;
    const peak = findInSignal(cleanLow.subarray(from, from + windowLen), outLow);
    peaks.push({ lag: peak.lag - from, value: peak.value });
  }
  const lag = median(peaks.map((p) => p.lag));
  const toleranceLow = (50 * 48) / factor;
  const found = peaks.filter((p) => p.value >= FOUND_CORRELATION && Math.abs(p.lag - lag) <= toleranceLow).length;
  return {
    windows: peaks.length,
    found,
    fraction: peaks.length > 0 ? found / peaks.length : 0,
    lagMs: (lag * factor) / 48,
    medianCorrelation: median(peaks.map((p) => p.value)),
  };
}

/** Two noises added sample by sample; the shorter one is padded with silence. */
export function addNoises(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(Math.max(a.length, b.length));
  for (let i = 0; i < out.length; i++) {
    const v = (a[i] ?? 0) + (b[i] ?? 0);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

