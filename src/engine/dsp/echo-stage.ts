/**
 * Echo cancellation as the first stage of the send chain
 * (docs/architecture.md §2): the canceller (./echo-canceller.ts) fed, block
 * by block, with the far-end reference (./far-end-reference.ts) that the
 * playback side taps.
 *
 * The two sides of one engine meet here: the mixer hands each playback
 * block to `played()` as the sink pulls it (what the speaker gets, after
 * gains, cues and the limiter), and each captured frame comes through
 * `process()` with the time of its first sample. Both run on the media
 * thread, so the ring in FarEndReference needs no locking.
 *
 * The stage keeps receiving played audio while it is switched off, so the
 * reference timelines are settled when it is switched on; switching on
 * resets only the canceller's learnt echo path (a stale path would subtract
 * a wrong echo for the first seconds).
 */
import type { FrameFilter } from './frame-filter.js';
import type { EchoCanceller } from './echo-canceller.js';
import type { FarEndReference } from './far-end-reference.js';
import { DSP_BLOCK_MS, DSP_BLOCK_SAMPLES } from './stage.js';

/** The residual-echo suppressor (speexdsp's preprocessor) overlap-adds and hands each block out one block late. */
export const ECHO_STAGE_DELAY_MS = DSP_BLOCK_MS;

export class EchoStage implements FrameFilter {
  readonly name = 'echo-cancellation' as const;
  readonly blockSamples = DSP_BLOCK_SAMPLES;
  readonly delayMs = ECHO_STAGE_DELAY_MS;
  private readonly mic = new Int16Array(DSP_BLOCK_SAMPLES);
  private readonly far = new Int16Array(DSP_BLOCK_SAMPLES);
  private readonly out = new Int16Array(DSP_BLOCK_SAMPLES);
  private closed = false;

  constructor(
    private readonly canceller: EchoCanceller,
    readonly reference: FarEndReference,
  ) {}

  /** The mixer handed `block` to playback; `heardAtMs` when the sink says when it is heard (NaN: unknown). */
  played(block: Int16Array, heardAtMs: number): void {
    if (this.closed) return;
    if (Number.isNaN(heardAtMs)) this.reference.pushPlayed(block);
    else this.reference.pushPlayed(block, heardAtMs);
  }

  /** Every 10 ms block of `frame`, in place; `frameStartMs` is its first sample's capture time (NaN: unknown, taken from delivery). */
  process(frame: Int16Array, frameStartMs = Number.NaN): void {
    if (this.closed) return;
    for (let at = 0; at + DSP_BLOCK_SAMPLES <= frame.length; at += DSP_BLOCK_SAMPLES) {
      // Copies by index, not subarray(): nothing is allocated per block.
      for (let i = 0; i < DSP_BLOCK_SAMPLES; i++) this.mic[i] = frame[at + i]!;
      if (Number.isNaN(frameStartMs)) this.reference.readFor(this.far);
      else this.reference.readFor(this.far, frameStartMs + (at / DSP_BLOCK_SAMPLES) * DSP_BLOCK_MS);
      this.canceller.processBlock(this.mic, this.far, this.out);
      for (let i = 0; i < DSP_BLOCK_SAMPLES; i++) frame[at + i] = this.out[i]!;
    }
  }

  reset(): void {
    if (!this.closed) this.canceller.reset();
  }

  close(): void {
    this.closed = true;
    this.canceller.close();
  }
}
