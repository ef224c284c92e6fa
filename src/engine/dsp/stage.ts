/**
 * What every DSP stage of the send chain shares: the block it works in, and
 * its cost counters.
 */
import { samplesPerFrame } from '../../core/media-format.js';

/** 10 ms at 48 kHz: speexdsp and RNNoise both work in 480-sample blocks. */
export const DSP_BLOCK_MS = 10;
export const DSP_BLOCK_SAMPLES = samplesPerFrame(DSP_BLOCK_MS);

/**
 * The echo canceller's tail (the longest echo it models, ms): the default
 * covers a device round trip left after alignment plus a room's reverb;
 * cost grows with it (echo-canceller.ts). Here rather than there so the
 * configuration can check it without loading the FFI.
 */
export const DEFAULT_ECHO_TAIL_MS = 200;
export const ECHO_TAIL_MIN_MS = DSP_BLOCK_MS;
export const ECHO_TAIL_MAX_MS = 2000;

/**
 * A played block at least this loud means the far end is playing: the echo
 * stage counts its figures only then, and gain control holds meanwhile
 * (auto-gain.ts). −50 dBFS: well above dither and the fade-out of
 * concealment, well below quiet speech.
 */
export const FAR_END_ACTIVE_DBFS = -50;

/**
 * What a DSP stage cost, counted per 10 ms block, for the statistics a chain
 * reports and for the CPU goal (the whole send chain ≤ 1.5 ms per 10 ms).
 * One object per stage, updated in place: nothing is allocated per block.
 */
export class StageCost {
  /** Blocks processed since construction or the last clear(). */
  blocks = 0;
  totalMs = 0;
  lastMs = 0;
  maxMs = 0;

  record(ms: number): void {
    this.blocks++;
    this.totalMs += ms;
    this.lastMs = ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get meanMs(): number {
    return this.blocks === 0 ? 0 : this.totalMs / this.blocks;
  }

  clear(): void {
    this.blocks = 0;
    this.totalMs = 0;
    this.lastMs = 0;
    this.maxMs = 0;
  }
}
