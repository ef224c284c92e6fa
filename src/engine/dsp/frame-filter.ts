/**
 * A stage that changes captured or received audio in place, one frame at a
 * time, on the media thread (docs/architecture.md §2): echo cancellation,
 * noise suppression, gain control. The send path runs them as a chain
 * (filter-chain.ts) before the voice gate; a remote stream may run one of
 * its own before the mixer.
 *
 * `process` is on the real-time path: it must not allocate, log or throw
 * for a frame of the length it accepts. Stages that work on fixed blocks
 * (RNNoise: 480 samples, 10 ms) accept frames that are whole multiples of
 * their block, which every frame size in FRAME_MS_VALUES is.
 */
import { SAMPLE_RATE } from '../../core/media-format.js';

/** The stages the send chain knows, in the order it runs them (see SEND_ORDER). */
export type FilterStageName = 'echo-cancellation' | 'noise-suppression' | 'auto-gain';

/**
 * Send order: echo cancellation needs the signal as the microphone took it
 * (a suppressor before it would change the echo path it models), noise
 * suppression works on the echo-free signal, and gain control comes last so
 * it does not boost noise the suppressor would have removed.
 */
export const SEND_ORDER: readonly FilterStageName[] = ['echo-cancellation', 'noise-suppression', 'auto-gain'];

export interface FrameFilter {
  readonly name: FilterStageName;
  /** Samples the stage works in; frames must be whole multiples of it. */
  readonly blockSamples: number;
  /** Algorithmic delay the stage adds to the audio, ms (RNNoise: 20 ms). */
  readonly delayMs: number;
  /**
   * Process one frame in place: 48 kHz mono 16-bit, length a multiple of
   * blockSamples. Called as the frame is delivered (echo cancellation reads
   * the time then, see dsp/far-end-reference.ts).
   */
  process(frame: Int16Array): void;
  /** Forget the audio history (called when a stage is switched back on, so stale state does not leak into new audio). */
  reset(): void;
  /** Release what the stage holds outside the JS heap (wasm memory). Idempotent. */
  close(): void;
}

/** Time spent in one stage, over the frames it processed (for `--stats` and the benchmark). */
export interface FilterCost {
  readonly name: FilterStageName;
  readonly enabled: boolean;
  /** Frames the stage processed. */
  readonly frames: number;
  /**
   * Mean and worst time per 10 ms of audio, ms (frames of 20/40 ms count as
   * 2/4); null unless timing was on (see CostMeter).
   */
  readonly meanMsPer10Ms: number | null;
  readonly maxMsPer10Ms: number | null;
}

/** 10 ms at 48 kHz: the unit cost figures are given in, whatever the frame size. */
export const SAMPLES_PER_10_MS = SAMPLE_RATE / 100;

/**
 * A stage's cost. Counting frames allocates nothing; timing them does:
 * each `performance.now()` allocates a heap number in Node 20 (measured
 * ~24 bytes a call; process.hrtime.bigint() a BigInt), so timing is on only
 * where it is asked for (`--stats`, benchmarks), like the send timing.
 */
export class CostMeter {
  private frames = 0;
  private timedFrames = 0;
  private totalMs = 0;
  private totalTenMs = 0;
  private maxMsPer10 = 0;

  count(): void {
    this.frames++;
  }

  record(elapsedMs: number, samples: number): void {
    const tens = samples / SAMPLES_PER_10_MS;
    this.timedFrames++;
    this.totalMs += elapsedMs;
    this.totalTenMs += tens;
    const per10 = elapsedMs / tens;
    if (per10 > this.maxMsPer10) this.maxMsPer10 = per10;
  }

  figures(name: FilterStageName, enabled: boolean): FilterCost {
    const timed = this.timedFrames > 0;
    return {
      name,
      enabled,
      frames: this.frames,
      meanMsPer10Ms: timed ? this.totalMs / this.totalTenMs : null,
      maxMsPer10Ms: timed ? this.maxMsPer10 : null,
    };
  }
}

/**
 * One stage plus its switch and its cost: what the send chain holds per
 * stage and what a remote stream holds for its own suppressor. Switching
 * off costs nothing per frame (one boolean); switching on again resets the
 * stage so it does not apply what it learnt from old audio.
 */
export class FilterSlot {
  private on: boolean;
  private readonly cost = new CostMeter();

  constructor(
    readonly filter: FrameFilter,
    enabled: boolean,
    /** Time each frame (allocates; see CostMeter). */
    private readonly timed = false,
  ) {
    this.on = enabled;
  }

  get enabled(): boolean {
    return this.on;
  }

  setEnabled(enabled: boolean): void {
    if (enabled && !this.on) this.filter.reset();
    this.on = enabled;
  }

  /** Runs the stage on `frame` when enabled; true if it ran. */
  run(frame: Int16Array): boolean {
    if (!this.on) return false;
    this.cost.count();
    if (!this.timed) {
      this.filter.process(frame);
      return true;
    }
    const t0 = performance.now();
    this.filter.process(frame);
    this.cost.record(performance.now() - t0, frame.length);
    return true;
  }

  figures(): FilterCost {
    return this.cost.figures(this.filter.name, this.on);
  }
}
