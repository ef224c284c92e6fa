/**
 * Re-chunks PCM of arbitrary sizes into exact frames of samplesPerFrame(frameMs)
 * samples, so that every AudioSource delivers exact frames. Devices deliver
 * whatever chunk size suits them (docs/architecture.md §6: naudiodon follows
 * highwaterMark, not framesPerBuffer), but the encoder needs exact frames — a
 * wrong size would abort libopus.
 */
import { SAMPLE_RATE, assertFrameMs, samplesPerFrame, type FrameMs } from '../../core/media-format.js';

/**
 * Receives a frame and its first sample's capture time. The frame buffer is
 * reused for the next frame (no allocation per frame): copy what you keep,
 * as for any AudioSource (types.ts).
 */
export type FramerOutput = (frame: Int16Array, captureTimeNs: bigint | undefined) => void;

export class Framer {
  readonly frameMs: FrameMs;
  readonly frameSamples: number;
  private readonly pending: Int16Array;
  private filled = 0;
  /** Capture time of pending[0], when the input carried times. */
  private pendingStartNs: bigint | undefined;

  constructor(
    frameMs: FrameMs,
    private readonly onFrame: FramerOutput,
  ) {
    this.frameMs = assertFrameMs(frameMs);
    this.frameSamples = samplesPerFrame(this.frameMs);
    this.pending = new Int16Array(this.frameSamples);
  }

  /** Samples held back, waiting for the rest of a frame. */
  get pendingSamples(): number {
    return this.filled;
  }

  /**
   * Append a chunk of any length (0 is fine). `captureTimeNs` is the monotonic
   * time of the chunk's first sample; each frame's time is derived from it by
   * sample offset, so frames stay timed to the sample even when chunks
   * straddle frame boundaries.
   */
  push(chunk: Int16Array, captureTimeNs?: bigint): void {
    if (!(chunk instanceof Int16Array)) throw new TypeError('Framer.push expects an Int16Array');
    let offset = 0;
    while (offset < chunk.length) {
      if (this.filled === 0) this.pendingStartNs = captureTimeNs === undefined ? undefined : captureTimeNs + samplesToNs(offset);
      const take = Math.min(this.frameSamples - this.filled, chunk.length - offset);
      this.pending.set(chunk.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.frameSamples) this.emit();
    }
  }

  /** Drop any partial frame (e.g. on device restart, where continuity is lost anyway). */
  reset(): void {
    this.filled = 0;
    this.pendingStartNs = undefined;
  }

  /** Emit a partial frame padded with silence (end of a finite source); no-op when empty. */
  flush(): void {
    if (this.filled === 0) return;
    this.pending.fill(0, this.filled);
    this.emit();
  }

  private emit(): void {
    const startNs = this.pendingStartNs;
    this.filled = 0;
    this.pendingStartNs = undefined;
    this.onFrame(this.pending, startNs);
  }
}

function samplesToNs(samples: number): bigint {
  return (BigInt(samples) * 1_000_000_000n) / BigInt(SAMPLE_RATE);
}
