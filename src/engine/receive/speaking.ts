/**
 * Speaking detection with hysteresis, for each remote stream and for the
 * local microphone. Driven by frames, not wall time, so it is deterministic:
 * each `update(level)` call stands for one frame of `frameMs`.
 *
 * Speaking turns on once the level has stayed at or above `onLevel` for
 * `onMs`, and off once it has stayed below `offLevel` for `offMs` (the
 * hangover that keeps short pauses between words from flickering the
 * indicator). Levels between the two thresholds keep the current state and
 * reset both timers.
 */
export interface SpeakingOptions {
  frameMs: number;
  /** Level (0..1, RMS of full scale) to start speaking. Default 0.02 (≈ −34 dBFS). */
  onLevel?: number;
  /** Level below which silence counts. Default 0.01 (≈ −40 dBFS). */
  offLevel?: number;
  /** Time above onLevel before speaking turns on. Default 40 ms. */
  onMs?: number;
  /** Time below offLevel before speaking turns off. Default 300 ms. */
  offMs?: number;
}

export class SpeakingDetector {
  readonly onLevel: number;
  readonly offLevel: number;
  private readonly onFrames: number;
  private readonly offFrames: number;
  private aboveFrames = 0;
  private belowFrames = 0;
  private state = false;

  constructor(options: SpeakingOptions) {
    const { frameMs } = options;
    if (!(frameMs > 0)) throw new RangeError(`frameMs must be > 0, got ${frameMs}`);
    this.onLevel = options.onLevel ?? 0.02;
    this.offLevel = options.offLevel ?? 0.01;
    if (!(this.offLevel <= this.onLevel)) throw new RangeError(`offLevel (${this.offLevel}) must not exceed onLevel (${this.onLevel})`);
    // A duration shorter than a frame still needs one frame of evidence.
    this.onFrames = Math.max(1, Math.ceil((options.onMs ?? 40) / frameMs));
    this.offFrames = Math.max(1, Math.ceil((options.offMs ?? 300) / frameMs));
  }

  /** Feed one frame's level; returns the speaking state after it. */
  update(level: number): boolean {
    const l = Number.isFinite(level) ? level : 0;
    if (l >= this.onLevel) {
      this.aboveFrames++;
      this.belowFrames = 0;
      if (!this.state && this.aboveFrames >= this.onFrames) this.state = true;
    } else if (l < this.offLevel) {
      this.belowFrames++;
      this.aboveFrames = 0;
      if (this.state && this.belowFrames >= this.offFrames) this.state = false;
    } else {
      this.aboveFrames = 0;
      this.belowFrames = 0;
    }
    return this.state;
  }

  get speaking(): boolean {
    return this.state;
  }

  reset(): void {
    this.aboveFrames = 0;
    this.belowFrames = 0;
    this.state = false;
  }
}
