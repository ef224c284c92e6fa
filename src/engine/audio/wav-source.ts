/**
 * A WAV file as a microphone: delivers one frame per period in real time,
 * paced by a drift-free FramePacer on an injectable clock.
 */
import { FramePacer, monotonicClock, type Clock } from '../../core/clock.js';
import { assertFrameMs, samplesPerFrame, type FrameMs } from '../../core/media-format.js';
import type { AudioSource, FrameHandler } from './types.js';
import { AudioFileError, readWavMono48k } from './wav-file.js';

export interface WavSourceOptions {
  path: string;
  frameMs: FrameMs;
  /** Start over at the end instead of ending (no gap, no padding at the seam). */
  loop?: boolean;
  clock?: Clock;
}

export class WavSource implements AudioSource {
  readonly frameMs: FrameMs;
  readonly path: string;
  onEnd?: (() => void) | undefined;

  private readonly loop: boolean;
  private readonly clock: Clock;
  private readonly frameSamples: number;
  private pacer: FramePacer | undefined;
  private samples: Int16Array = new Int16Array(0);
  private positionSamples = 0;
  private ended = false;
  private framesDelivered = 0;

  constructor(options: WavSourceOptions) {
    this.frameMs = assertFrameMs(options.frameMs);
    this.path = options.path;
    this.loop = options.loop === true;
    this.clock = options.clock ?? monotonicClock;
    this.frameSamples = samplesPerFrame(this.frameMs);
  }

  /** Frames delivered since start(). */
  get frameCount(): number {
    return this.framesDelivered;
  }

  /** Total samples of the converted file (known after start()). */
  get durationSamples(): number {
    return this.samples.length;
  }

  /** Loads and converts the whole file, then starts pacing; rejects with AudioFileError. */
  async start(onFrame: FrameHandler): Promise<void> {
    if (this.pacer?.isRunning) throw new Error('WavSource already started');
    this.samples = await readWavMono48k(this.path);
    if (this.loop && this.samples.length === 0) {
      throw new AudioFileError(this.path, 'contains no audio, nothing to loop');
    }
    this.positionSamples = 0;
    this.ended = false;
    this.framesDelivered = 0;
    // One buffer reused for every frame: the handler must copy what it keeps (types.ts).
    const frame = new Int16Array(this.frameSamples);
    this.pacer = new FramePacer(this.clock, this.frameMs, (_index, dueMs) => {
      if (this.ended) return;
      if (!this.loop && this.positionSamples >= this.samples.length) {
        this.finish();
        return;
      }
      this.fill(frame);
      this.framesDelivered++;
      onFrame(frame, BigInt(Math.round(dueMs * 1e6)));
      if (!this.loop && this.positionSamples >= this.samples.length) this.finish();
    });
    this.pacer.start();
  }

  async stop(): Promise<void> {
    this.pacer?.stop();
  }

  /** Copy the next frame; past the end either wrap (loop) or pad with silence. */
  private fill(frame: Int16Array): void {
    let written = 0;
    while (written < frame.length) {
      if (this.positionSamples >= this.samples.length) {
        if (!this.loop) {
          frame.fill(0, written);
          return;
        }
        this.positionSamples = 0;
      }
      const n = Math.min(frame.length - written, this.samples.length - this.positionSamples);
      frame.set(this.samples.subarray(this.positionSamples, this.positionSamples + n), written);
      written += n;
      this.positionSamples += n;
    }
  }

  private finish(): void {
    this.ended = true;
    this.pacer?.stop();
    this.onEnd?.();
  }
}
