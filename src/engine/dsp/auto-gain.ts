/**
 * Automatic gain control: speexdsp's preprocessor with AGC on and its
 * denoiser off (RNNoise suppresses noise earlier in the send chain), so that
 * a quiet and a loud talker arrive at about the same level
 * (docs/architecture.md §2, §6).
 *
 * Why it does not pump: speexdsp raises the gain only on frames its own
 * speech-probability estimate calls speech (> 0.5), at most
 * `incrementDbPerS`, and lowers it at most `decrementDbPerS`; in pauses and
 * in steady noise the gain holds, so the noise floor does not swell between
 * words. Its level measure is a loudness-weighted spectrum smoothed over
 * seconds of speech, not a sample peak, so single syllables do not move it.
 *
 * Level scale: speexdsp's target is a loudness figure, not an RMS. Measured
 * on the speech fixtures, its output's active-speech RMS (10 ms blocks within
 * 30 dB of the loudest) sits 18 dB below the target taken as a sample
 * amplitude (target 8000 → −30 dBFS). `targetDbfs` is in active-speech RMS
 * dBFS and converted with that offset; speexdsp caps its target at 32768,
 * hence at most −18 dBFS.
 *
 * Side chain, no delay: the preprocessor works by windowed overlap-add and
 * hands out each block 10 ms (one block) late. Only its gain is used: each
 * block is analysed on a copy, and the gain speexdsp reports for it (whole
 * dB) is applied to the block itself, ramped linearly from the previous
 * block's gain across the 480 samples so that a 1 dB step is no audible
 * zipper. With its denoiser off the preprocessor's output is exactly the
 * input times that gain (preprocess.c), so this is the same level control
 * without the 10 ms, which would otherwise add to every mouth-to-ear
 * figure. Cost: ~0.03 ms per 10 ms block.
 *
 * Held while others are heard: with `holdWhen` true (the engine: something
 * was played in the last 300 ms) the gain stays where it is and speexdsp
 * is not fed. Otherwise the echo left after cancellation, which looks like
 * speech to speexdsp, would be raised towards the target: measured between
 * two processes through a leaking speaker, A's voice came back 6 dB down
 * before B had spoken, and 99 dB down once B's own voice had set the gain.
 */
import { SAMPLE_RATE } from '../../core/media-format.js';
import type { FrameFilter } from './frame-filter.js';
import { SpeexPreprocessor, type PreprocessorSettings } from './speexdsp.js';
import { DSP_BLOCK_SAMPLES, StageCost } from './stage.js';

/** speexdsp's AGC target (as a sample amplitude) is this many dB above the active-speech RMS it produces. */
export const SPEEX_AGC_TARGET_OVER_RMS_DB = 18;
export const MAX_AGC_TARGET_DBFS = -SPEEX_AGC_TARGET_OVER_RMS_DB;

export interface AutoGainOptions {
  /** Active-speech RMS to bring talkers to, dBFS (default −24, at most −18). */
  targetDbfs?: number;
  /** Most gain, dB (default 30: a −54 dBFS talker still reaches −24). */
  maxGainDb?: number;
  /** Fastest gain rise, dB per second (default 12, speexdsp's). */
  incrementDbPerS?: number;
  /** Fastest gain fall, dB per second (default 40, speexdsp's). */
  decrementDbPerS?: number;
  /** Time every block into `cost` (performance.now() allocates a little: benchmarks and tests only). Default false. */
  timed?: boolean;
}

export class AutoGain implements FrameFilter {
  readonly name = 'auto-gain' as const;
  readonly blockSamples = DSP_BLOCK_SAMPLES;
  /** Side chain: the gain is applied to the block it was measured on (see the header). */
  readonly delayMs = 0;
  readonly targetDbfs: number;
  /** Time spent per block (when timed). */
  readonly cost = new StageCost();
  private readonly settings: PreprocessorSettings;
  private pre: SpeexPreprocessor;
  /** The block speexdsp analyses (its own output is not used). */
  private readonly analysis = new Int16Array(DSP_BLOCK_SAMPLES);
  private readonly timed: boolean;
  /** Linear gain at the end of the last block. */
  private gain = 1;
  private closed = false;
  /** While this says true the gain holds (see the header); set by whoever knows what is played. */
  holdWhen: (() => boolean) | undefined;

  constructor(opts: AutoGainOptions = {}) {
    this.targetDbfs = opts.targetDbfs ?? -24;
    if (!(this.targetDbfs >= -60 && this.targetDbfs <= MAX_AGC_TARGET_DBFS)) {
      throw new RangeError(`targetDbfs must be in -60..${MAX_AGC_TARGET_DBFS}; got ${this.targetDbfs}`);
    }
    const maxGainDb = opts.maxGainDb ?? 30;
    if (!(maxGainDb >= 0 && maxGainDb <= 60)) throw new RangeError(`maxGainDb must be in 0..60; got ${maxGainDb}`);
    this.settings = {
      denoise: false,
      agc: true,
      agcTarget: Math.min(32768, Math.round(32768 * 10 ** ((this.targetDbfs + SPEEX_AGC_TARGET_OVER_RMS_DB) / 20))),
      agcMaxGainDb: maxGainDb,
      agcIncrementDbPerS: opts.incrementDbPerS ?? 12,
      agcDecrementDbPerS: opts.decrementDbPerS ?? 40,
    };
    this.pre = this.create();
    this.timed = opts.timed ?? false;
  }

  /** out = mic at the controlled level (480 samples each; out may be mic). */
  processBlock(mic: Int16Array, out: Int16Array): void {
    if (mic.length !== DSP_BLOCK_SAMPLES || out.length !== DSP_BLOCK_SAMPLES) {
      throw new RangeError(`blocks must hold ${DSP_BLOCK_SAMPLES} samples; got ${mic.length} and ${out.length}`);
    }
    this.run(mic, 0, out);
  }

  /** FrameFilter: every 10 ms block of `frame`, in place (offsets, not subarrays: nothing allocated per block). */
  process(frame: Int16Array): void {
    for (let start = 0; start + DSP_BLOCK_SAMPLES <= frame.length; start += DSP_BLOCK_SAMPLES) this.run(frame, start, frame);
  }

  /** The block at `at` of `input` into the same place of `out` (which may be `input`). */
  private run(input: Int16Array, at: number, out: Int16Array): void {
    if (this.closed) {
      if (out !== input) out.set(input);
      return;
    }
    const t0 = this.timed ? performance.now() : 0;
    let target = this.gain;
    if (this.holdWhen?.() !== true) {
      for (let i = 0; i < DSP_BLOCK_SAMPLES; i++) this.analysis[i] = input[at + i]!;
      this.pre.run(this.analysis);
      target = 10 ** (this.pre.agcGainDb() / 20);
    }
    const from = this.gain;
    const step = (target - from) / DSP_BLOCK_SAMPLES;
    for (let i = 0; i < DSP_BLOCK_SAMPLES; i++) {
      const v = Math.round(input[at + i]! * (from + step * (i + 1)));
      out[at + i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    this.gain = target;
    if (this.timed) this.cost.record(performance.now() - t0);
  }

  /** The gain applied now, dB (whole dB, as speexdsp reports it). */
  gainDb(): number {
    return this.pre.agcGainDb();
  }

  /** Start over at 0 dB (a new talker or device). speexdsp has no reset: a new state. */
  reset(): void {
    if (this.closed) return;
    this.pre.close();
    this.pre = this.create();
    this.gain = 1;
  }

  /** Idempotent. */
  close(): void {
    this.closed = true;
    this.pre.close();
  }

  private create(): SpeexPreprocessor {
    return new SpeexPreprocessor({ frameSamples: DSP_BLOCK_SAMPLES, sampleRateHz: SAMPLE_RATE, settings: this.settings });
  }
}
