/**
 * A WAV file as a speaker: pulls one frame per period (drift-free pacing on
 * an injectable clock) and streams exactly what would have been played to
 * disk as 48 kHz mono 16-bit.
 */
import { FramePacer, monotonicClock, PULL_EARLY_TOLERANCE_MS, type Clock } from '../../core/clock.js';
import { assertFrameMs, samplesPerFrame, type FrameMs } from '../../core/media-format.js';
import type { AudioSink, FramePuller, SinkStartOptions } from './types.js';
import { WavFileWriter } from './wav-file.js';

export interface WavSinkOptions {
  path: string;
  frameMs: FrameMs;
  clock?: Clock;
}

export class WavSink implements AudioSink {
  readonly frameMs: FrameMs;
  readonly path: string;
  /** A file never underflows: it waits for nobody. */
  readonly underflows = 0;

  private readonly clock: Clock;
  private readonly frameSamples: number;
  private pacer: FramePacer | undefined;
  private writer: WavFileWriter | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private framesWritten = 0;
  private badFrames = 0;

  constructor(options: WavSinkOptions) {
    this.frameMs = assertFrameMs(options.frameMs);
    this.path = options.path;
    this.clock = options.clock ?? monotonicClock;
    this.frameSamples = samplesPerFrame(this.frameMs);
  }

  /** Frames written so far. */
  get frameCount(): number {
    return this.framesWritten;
  }

  /**
   * Pulls that threw or returned the wrong length so far. Such a frame is
   * written as silence (or truncated/zero-padded), as a device would play it,
   * instead of taking the call down.
   */
  get badFrameCount(): number {
    return this.badFrames;
  }

  /** Creates the file; rejects with AudioFileError if it cannot. */
  start(pull: FramePuller, opts: SinkStartOptions = {}): Promise<void> {
    if (this.starting !== undefined) return Promise.reject(new Error('WavSink already started'));
    this.starting = this.open(pull, opts.atMs);
    return this.starting;
  }

  /**
   * Stop pulling and finish the file. Idempotent and safe from a signal
   * handler: every call returns the same promise, which resolves once the
   * file on disk is complete and valid.
   */
  stop(): Promise<void> {
    this.stopping ??= this.close();
    return this.stopping;
  }

  private async open(pull: FramePuller, atMs: number | undefined): Promise<void> {
    const writer = await WavFileWriter.create(this.path);
    if (this.stopping !== undefined) {
      // stop() came while the file was opening: leave a valid empty file.
      await writer.close();
      return;
    }
    this.writer = writer;
    const silence = new Int16Array(this.frameSamples);
    this.pacer = new FramePacer(this.clock, this.frameMs, (_index, dueMs) => {
      let pcm: Int16Array;
      try {
        pcm = pull(BigInt(Math.round(dueMs * 1e6)));
      } catch {
        this.badFrames++;
        pcm = silence;
      }
      if (!(pcm instanceof Int16Array)) {
        this.badFrames++;
        pcm = silence;
      } else if (pcm.length !== this.frameSamples) {
        this.badFrames++;
        const fixed = new Int16Array(this.frameSamples);
        fixed.set(pcm.subarray(0, this.frameSamples));
        pcm = fixed;
      }
      writer.write(pcm);
      this.framesWritten++;
    }, undefined, PULL_EARLY_TOLERANCE_MS);
    this.pacer.start(atMs);
  }

  private async close(): Promise<void> {
    this.pacer?.stop();
    if (this.starting !== undefined) await this.starting.catch(() => undefined);
    this.pacer?.stop();
    await this.writer?.close();
  }
}
