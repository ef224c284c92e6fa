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
 *
 * Voice hold: RNNoise removes steady noise well (a fan: −37 dB in speech
 * pauses) but lets much of a transient through (keyboard clicks: −13 dB).
 * Its voice probability stays low for a click (≤ 0.81 on our fixture) and
 * near 1 in speech, so, after NoiseTorch's voice-activation threshold, the
 * output is held at −30 dB unless a block's probability reached 0.9 within
 * the last 200 ms (fade out over 20 ms, back in over 2.5 ms). On the
 * fixtures this takes fan + keyboard from −15.7 to −23.5 dB in pauses and
 * changes the speech itself by −42 dB or less (test/engine/dsp/rnnoise.test.ts).
 */
/// <reference path="./rnnoise-module.d.ts" />
import type { RnnoiseWasmModule } from '@jitsi/rnnoise-wasm/dist/rnnoise-sync.js';
import type { FrameFilter } from './frame-filter.js';

/** RNNoise's block: 10 ms at 48 kHz. */
export const RNNOISE_BLOCK_SAMPLES = 480;
/** Delay RNNoise adds, measured (see the header). */
export const RNNOISE_DELAY_MS = 20;

const FLOAT_BYTES = 4;
/** Voice probability that opens the voice hold (see the header). */
export const VOICE_THRESHOLD = 0.9;
/** How long the hold stays open after the last block at or above the threshold. */
export const VOICE_HOLD_MS = 200;
/** Gain while no voice was seen: −30 dB. */
const HOLD_FLOOR_GAIN = 10 ** (-30 / 20);
const BLOCK_MS = 10;
const SAMPLES_PER_MS = 48;
/** Gain change per sample: open within 2.5 ms (word onsets), close over 20 ms (no click of our own). */
const OPEN_STEP = 1 / (2.5 * SAMPLES_PER_MS);
const CLOSE_STEP = 1 / (20 * SAMPLES_PER_MS);

export interface RnnoiseOptions {
  /** Hold the output at −30 dB while RNNoise hears no voice (default true). */
  voiceHold?: boolean;
}

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
export async function loadRnnoiseFactory(options: RnnoiseOptions = {}): Promise<SuppressorFactory> {
  const module = await loadRnnoise();
  return () => new RnnoiseSuppressor(module, options);
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
  private readonly voiceHold: boolean;
  /** Blocks the voice hold stays open for. */
  private holdBlocks = 0;
  private gain = 1;

  constructor(wasm: RnnoiseWasmModule, options: RnnoiseOptions = {}) {
    this.wasm = wasm;
    this.voiceHold = options.voiceHold ?? true;
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
      const p = this.wasm._rnnoise_process_frame(this.state, this.outPointer, this.inPointer);
      this.voiceProbabilityValue = p;
      let target = 1;
      if (this.voiceHold) {
        if (p >= VOICE_THRESHOLD) this.holdBlocks = VOICE_HOLD_MS / BLOCK_MS;
        else if (this.holdBlocks > 0) this.holdBlocks--;
        target = this.holdBlocks > 0 ? 1 : HOLD_FLOOR_GAIN;
      }
      const out = this.wasm.HEAPF32;
      const outBase = this.outIndex - start;
      let g = this.gain;
      for (let i = start; i < start + RNNOISE_BLOCK_SAMPLES; i++) {
        if (g < target) g = Math.min(target, g + OPEN_STEP);
        else if (g > target) g = Math.max(target, g - CLOSE_STEP);
        const v = Math.round(out[outBase + i]! * g);
        frame[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      this.gain = g;
    }
  }

  reset(): void {
    if (this.state !== 0) this.wasm._rnnoise_init(this.state, 0);
    this.holdBlocks = 0;
    this.gain = 1;
  }

  close(): void {
    if (this.state === 0) return;
    this.wasm._rnnoise_destroy(this.state);
    this.wasm._free(this.inPointer);
    this.wasm._free(this.outPointer);
    this.state = 0;
  }
}
