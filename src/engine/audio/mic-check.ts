/**
 * What `roundtable test-audio` reports about a microphone: measures of the
 * raw recording (as the microphone gave it, before any processing) and of
 * the processed one (after noise suppression, gain control and Opus), and
 * plain advice. Pure: PCM in, figures out.
 *
 * - peak: the largest |sample|, dBFS;
 * - speech level: the active RMS (level.ts activeRmsLevel: the 10 ms blocks
 *   within 30 dB of the loudest), dBFS;
 * - noise floor: the 10th percentile of the RMS of 50 ms windows, dBFS: the
 *   quietest stretches, which in a recording with speech are its pauses;
 * - clipping: samples at full scale (32767 or −32768);
 * - what suppression removed: how much further below the voice the noise
 *   floor is after processing than before (the signal-to-noise ratio gained,
 *   dB). Against the voice, not in absolute terms, because gain control
 *   raises or lowers voice and noise alike.
 *
 * Every level is on the one 0..1 axis of level.ts, in dBFS, and never below
 * MIN_DBFS (digital silence reads as MIN_DBFS, so the figures stay numbers).
 */
import { SAMPLE_RATE } from '../../core/media-format.js';
import type { FilterState } from '../dsp/filter-chain.js';
import { activeRmsLevel, FULL_SCALE, peakLevel } from './level.js';

/** The floor of every dBFS figure here: a 16-bit signal's quantization noise is ~ −101 dBFS. */
export const MIN_DBFS = -100;
/** Window of the noise-floor measure. */
export const NOISE_WINDOW_MS = 50;
/** Percentile of the window RMS values taken as the noise floor. */
export const NOISE_PERCENTILE = 10;

/** Advice thresholds (dBFS, dB, percent). */
export const NO_SIGNAL_PEAK_DBFS = -60;
/** Gain control aims at −24 dBFS of speech; this far below it, it lifts the noise as much as the voice. */
export const TOO_QUIET_SPEECH_DBFS = -40;
/** Clipped samples from this share (percent of all samples) on are audible distortion. */
export const CLIPPING_PROBLEM_PERCENT = 0.01;
/** Voice less than this far above the noise floor, in the raw recording, is noisy. */
export const NOISY_SNR_DB = 15;

export function toDbfs(level: number): number {
  return level > 0 ? Math.max(MIN_DBFS, 20 * Math.log10(level)) : MIN_DBFS;
}

/** Samples at full scale (either sign): where the microphone's converter ran out of range. */
export function clippedSampleCount(pcm: Int16Array): number {
  let n = 0;
  for (let i = 0; i < pcm.length; i++) if (pcm[i]! >= 32767 || pcm[i]! <= -32768) n++;
  return n;
}

/** The noise floor (0..1): the NOISE_PERCENTILE-th percentile of the RMS of NOISE_WINDOW_MS windows; 0 for less than one window. */
export function noiseFloorLevel(pcm: Int16Array, opts: { windowMs?: number; percentile?: number } = {}): number {
  const window = Math.round(((opts.windowMs ?? NOISE_WINDOW_MS) * SAMPLE_RATE) / 1000);
  const levels: number[] = [];
  for (let i = 0; i + window <= pcm.length; i += window) {
    let s = 0;
    for (let k = i; k < i + window; k++) s += pcm[k]! * pcm[k]!;
    levels.push(Math.sqrt(s / window) / FULL_SCALE);
  }
  if (levels.length === 0) return 0;
  levels.sort((a, b) => a - b);
  const rank = Math.ceil(((opts.percentile ?? NOISE_PERCENTILE) / 100) * levels.length) - 1;
  return levels[Math.min(levels.length - 1, Math.max(0, rank))]!;
}

/** `pcm` without the digital silence (exact zeros) at its start and end: a playback path's lead-in and fade-out. */
export function trimDigitalSilence(pcm: Int16Array): Int16Array {
  let from = 0;
  let to = pcm.length;
  while (from < to && pcm[from] === 0) from++;
  while (to > from && pcm[to - 1] === 0) to--;
  return pcm.subarray(from, to);
}

/** Figures are reported to 0.1 dB. */
const round1 = (x: number): number => Math.round(x * 10) / 10;

/** Levels in dBFS to 0.1 dB, the clipped share in percent to 4 decimals. */
export interface SignalMeasures {
  readonly durationMs: number;
  readonly peakDbfs: number;
  readonly speechDbfs: number;
  readonly noiseFloorDbfs: number;
  readonly clippedSamples: number;
  /** Clipped samples, percent of all samples. */
  readonly clippedPercent: number;
}

export function measureSignal(pcm: Int16Array): SignalMeasures {
  const clipped = clippedSampleCount(pcm);
  return {
    durationMs: Math.round((pcm.length * 1000) / SAMPLE_RATE),
    peakDbfs: round1(toDbfs(peakLevel(pcm))),
    speechDbfs: round1(toDbfs(activeRmsLevel(pcm))),
    noiseFloorDbfs: round1(toDbfs(noiseFloorLevel(pcm))),
    clippedSamples: clipped,
    clippedPercent: pcm.length > 0 ? Math.round((1e6 * clipped) / pcm.length) / 1e4 : 0,
  };
}

export type AdviceKind = 'no-signal' | 'too-quiet' | 'clipping' | 'noisy' | 'good';

export interface Advice {
  readonly kind: AdviceKind;
  readonly message: string;
}

export interface MicCheckInput {
  /** The microphone's recording as it came, before processing. */
  readonly raw: Int16Array;
  /** The same recording after the send chain and Opus (lead-in and fade-out trimmed). */
  readonly processed: Int16Array;
  readonly noiseSuppression: FilterState;
  readonly autoGain: FilterState;
}

export interface MicCheckReport {
  readonly input: SignalMeasures;
  readonly output: SignalMeasures;
  /** Clipping in the raw recording, and whether it is audible. */
  readonly clipping: { readonly samples: number; readonly percent: number; readonly problem: boolean };
  /** The voice's distance above the noise floor, before and after processing, dB. */
  readonly snrBeforeDb: number;
  readonly snrAfterDb: number;
  /** What suppression (the whole chain) removed of the background noise, relative to the voice, dB. */
  readonly noiseReductionDb: number;
  /** Speech level after minus before: what gain control (and the chain) did to the voice, dB. */
  readonly gainDb: number;
  readonly noiseSuppression: FilterState;
  readonly autoGain: FilterState;
  readonly advice: readonly Advice[];
  /** No advice but "good". */
  readonly ok: boolean;
}

export function micCheck(input: MicCheckInput): MicCheckReport {
  const before = measureSignal(input.raw);
  const after = measureSignal(input.processed);
  const snrBeforeDb = before.speechDbfs - before.noiseFloorDbfs;
  const snrAfterDb = after.speechDbfs - after.noiseFloorDbfs;
  const clippingProblem = before.clippedPercent >= CLIPPING_PROBLEM_PERCENT;
  const advice: Advice[] = [];
  if (before.peakDbfs < NO_SIGNAL_PEAK_DBFS) {
    advice.push({
      kind: 'no-signal',
      message: `No signal: nothing louder than ${Math.round(before.peakDbfs)} dBFS came in. Is the right microphone selected (see \`roundtable devices\`, --input-device), and is it unmuted?`,
    });
  } else {
    if (before.speechDbfs < TOO_QUIET_SPEECH_DBFS) {
      advice.push({
        kind: 'too-quiet',
        message: `Too quiet: your voice came in at ${Math.round(before.speechDbfs)} dBFS. Raise your microphone's input volume (or move closer to it).`,
      });
    }
    if (clippingProblem) {
      advice.push({
        kind: 'clipping',
        message: `Clipping: ${before.clippedSamples} samples (${before.clippedPercent.toFixed(2)} %) hit full scale, which distorts your voice. Lower your microphone's input volume.`,
      });
    }
    if (snrBeforeDb < NOISY_SNR_DB) {
      const fix =
        input.noiseSuppression === 'on'
          ? `Noise suppression removed ${Math.round(snrAfterDb - snrBeforeDb)} dB of it; moving away from the noise or closer to the microphone helps more.`
          : input.noiseSuppression === 'off'
            ? 'Turn noise suppression on (audio.noiseSuppression in the configuration, n in a call).'
            : 'Noise suppression is unavailable here; move away from the noise or closer to the microphone.';
      advice.push({
        kind: 'noisy',
        message: `Noisy: the background is only ${Math.round(snrBeforeDb)} dB below your voice (or you did not speak). ${fix}`,
      });
    }
  }
  const ok = advice.length === 0;
  if (ok) advice.push({ kind: 'good', message: 'Your microphone sounds good: clear of the noise, no clipping, a good level.' });
  return {
    input: before,
    output: after,
    clipping: { samples: before.clippedSamples, percent: before.clippedPercent, problem: clippingProblem },
    snrBeforeDb: round1(snrBeforeDb),
    snrAfterDb: round1(snrAfterDb),
    noiseReductionDb: round1(snrAfterDb - snrBeforeDb),
    gainDb: round1(after.speechDbfs - before.speechDbfs),
    noiseSuppression: input.noiseSuppression,
    autoGain: input.autoGain,
    advice,
    ok,
  };
}
