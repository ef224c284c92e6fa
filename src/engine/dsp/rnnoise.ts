/**
 * Noise suppression by RNNoise (a recurrent network trained on speech and
 * noise, Valin 2018; model of RNNoise 0.2), compiled to wasm by
 * @jitsi/rnnoise-wasm 0.2.1. This is the only module that touches that
 * package (docs/architecture.md §6): everything else sees a FrameFilter.
 *
 * Facts measured here (Node 20, the 2-core AMD EPYC machine):
 * - Only the synchronous build works in Node (`dist/rnnoise-sync.js`, the
 *   wasm embedded): the package's main entry fails to load. It is imported
 *   lazily (1.9 MB of JavaScript, ~45 ms to import, ~30 ms to compile) so
 *   processes that never suppress noise never pay for it.
 * - `_rnnoise_process_frame(state, out, in)` takes 480 floats (10 ms at
 *   48 kHz) in the int16 range, not ±1.0, and returns a voice probability.
 * - Its output is the input delayed by 960 samples: 20 ms (one 10 ms block
 *   of overlap-add plus 10 ms of look-ahead in the 0.2 model), measured by
 *   cross-correlation (test/engine/dsp/rnnoise.test.ts).
 * - ~0.36 ms median, ~0.5 ms p99 per 10 ms block.
 */
/// <reference path="./rnnoise-module.d.ts" />
import type { RnnoiseWasmModule } from '@jitsi/rnnoise-wasm/dist/rnnoise-sync.js';
import type { FrameFilter } from './frame-filter.js';

/** RNNoise's block: 10 ms at 48 kHz. */
export const RNNOISE_BLOCK_SAMPLES = 480;
/** Delay RNNoise adds, measured (see the header). */
export const RNNOISE_DELAY_MS = 20;

const FLOAT_BYTES = 4;

let loading: Promise<RnnoiseWasmModule> | undefined;

/** Load and compile the wasm once per process; later calls share it. Rejects if it cannot load. */
export function loadRnnoise(): Promise<RnnoiseWasmModule> {
  loading ??= import('@jitsi/rnnoise-wasm/dist/rnnoise-sync.js').then((m) => m.default());
  // A failed load may be retried later (e.g. the next toggle), rather than failing forever.
  loading.catch(() => (loading = undefined));
  return loading;
}

/** Makes one suppressor per audio stream (each has its own recurrent state). */
export type SuppressorFactory = () => FrameFilter;

/** Loads RNNoise, then returns a factory of suppressors (synchronous from then on). */
export async function loadRnnoiseFactory(): Promise<SuppressorFactory> {
  const module = await loadRnnoise();
  return () => new RnnoiseSuppressor(module);
}

/**
 * One RNNoise state and its two 480-float buffers in wasm memory, made
 * once; `process` converts int16 → float into the input buffer, runs the
 * network, and converts back with rounding and saturation, block by block.
 */
export class RnnoiseSuppressor implements FrameFilter {
  readonly name = 'noise-suppression' as const;
  readonly blockSamples = RNNOISE_BLOCK_SAMPLES;
  readonly delayMs = RNNOISE_DELAY_MS;
  private readonly wasm: RnnoiseWasmModule;
  private state: number;
  private readonly inIndex: number;
  private readonly outIndex: number;
  private readonly inPointer: number;
  private readonly outPointer: number;
  private voiceProbabilityValue = 0;

  constructor(wasm: RnnoiseWasmModule) {
    this.wasm = wasm;
    this.state = wasm._rnnoise_create(0);
    this.inPointer = wasm._malloc(RNNOISE_BLOCK_SAMPLES * FLOAT_BYTES);
    this.outPointer = wasm._malloc(RNNOISE_BLOCK_SAMPLES * FLOAT_BYTES);
    if (this.state === 0 || this.inPointer === 0 || this.outPointer === 0) throw new Error('RNNoise could not allocate its state');
    this.inIndex = this.inPointer / FLOAT_BYTES;
    this.outIndex = this.outPointer / FLOAT_BYTES;
  }

  /** RNNoise's voice probability for the last block, 0..1. */
  get voiceProbability(): number {
    return this.voiceProbabilityValue;
  }

  process(frame: Int16Array): void {
    if (this.state === 0) return;
    const n = frame.length - (frame.length % RNNOISE_BLOCK_SAMPLES);
    for (let start = 0; start < n; start += RNNOISE_BLOCK_SAMPLES) {
      // Read the view per block: it is replaced if anything grows the wasm memory.
      const heap = this.wasm.HEAPF32;
      const inBase = this.inIndex - start;
      for (let i = start; i < start + RNNOISE_BLOCK_SAMPLES; i++) heap[inBase + i] = frame[i]!;
      this.voiceProbabilityValue = this.wasm._rnnoise_process_frame(this.state, this.outPointer, this.inPointer);
      const out = this.wasm.HEAPF32;
      const outBase = this.outIndex - start;
      for (let i = start; i < start + RNNOISE_BLOCK_SAMPLES; i++) {
        const v = Math.round(out[outBase + i]!);
        frame[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
    }
  }

  reset(): void {
    if (this.state !== 0) this.wasm._rnnoise_init(this.state, 0);
  }

  close(): void {
    if (this.state === 0) return;
    this.wasm._rnnoise_destroy(this.state);
    this.wasm._free(this.inPointer);
    this.wasm._free(this.outPointer);
    this.state = 0;
  }
}
