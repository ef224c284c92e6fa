/**
 * Acoustic echo cancellation for one microphone: speexdsp's adaptive echo
 * canceller, then its preprocessor as residual-echo suppressor
 * (docs/architecture.md §2, §6). One 10 ms block (480 samples at 48 kHz) at a
 * time, with the far-end block that was played when the microphone block was
 * captured; finding that block is FarEndReference's job
 * (./far-end-reference.ts), not this stage's, so the DSP here never looks at
 * a clock.
 *
 * Settings and why:
 * - Tail 200 ms (9600 samples): covers a device round trip left after
 *   alignment plus a room's reverberation; cost grows with it (~0.13 ms per
 *   block measured, canceller and suppressor together).
 * - The preprocessor runs with "denoise" on but noise suppression at 0 dB:
 *   speexdsp applies its spectral gain, which is what also suppresses
 *   residual echo, only when denoise is on (preprocess.c), and a 0 dB noise
 *   floor leaves noise to RNNoise later in the send chain. AGC is off here;
 *   it is its own stage (./auto-gain.ts), after noise suppression.
 * - Residual echo suppression −40 dB while the near end is quiet, −15 dB while
 *   it talks (speexdsp's defaults): double talk must not mute the near end.
 *
 * Allocation-free per block: buffers are preallocated, koffi receives typed
 * arrays as pointers to their memory.
 */
import { SAMPLE_RATE } from '../../core/media-format.js';
import { SpeexEcho, SpeexPreprocessor } from './speexdsp.js';
import { DEFAULT_ECHO_TAIL_MS, DSP_BLOCK_SAMPLES, ECHO_TAIL_MAX_MS, ECHO_TAIL_MIN_MS, StageCost } from './stage.js';

export interface EchoCancellerOptions {
  /** Longest echo the adaptive filter models, in ms (default 200). */
  tailMs?: number;
  /** Residual-echo attenuation when only the far end talks, dB ≤ 0 (default −40). */
  echoSuppressDb?: number;
  /** Residual-echo attenuation during double talk, dB ≤ 0 (default −15). */
  echoSuppressActiveDb?: number;
  /** Run the residual-echo suppressor after the canceller (default true). */
  residualSuppression?: boolean;
  /** Time every block into `cost` (performance.now() allocates a little: benchmarks and tests only). Default false. */
  timed?: boolean;
}

export class EchoCanceller {
  readonly tailMs: number;
  /** Time spent per block, canceller + suppressor (when timed). */
  readonly cost = new StageCost();
  private readonly echo: SpeexEcho;
  private readonly residual: SpeexPreprocessor | null;
  private closedFlag = false;
  private readonly timed: boolean;

  constructor(opts: EchoCancellerOptions = {}) {
    this.tailMs = opts.tailMs ?? DEFAULT_ECHO_TAIL_MS;
    this.timed = opts.timed ?? false;
    if (!(this.tailMs >= ECHO_TAIL_MIN_MS && this.tailMs <= ECHO_TAIL_MAX_MS)) {
      throw new RangeError(`tailMs must be in ${ECHO_TAIL_MIN_MS}..${ECHO_TAIL_MAX_MS}; got ${this.tailMs}`);
    }
    const filterSamples = Math.round((this.tailMs * SAMPLE_RATE) / 1000);
    this.echo = new SpeexEcho({ frameSamples: DSP_BLOCK_SAMPLES, filterSamples, sampleRateHz: SAMPLE_RATE });
    if (opts.residualSuppression === false) {
      this.residual = null;
      return;
    }
    try {
      this.residual = new SpeexPreprocessor({
        frameSamples: DSP_BLOCK_SAMPLES,
        sampleRateHz: SAMPLE_RATE,
        settings: {
          denoise: true,
          noiseSuppressDb: 0,
          echoSuppressDb: opts.echoSuppressDb ?? -40,
          echoSuppressActiveDb: opts.echoSuppressActiveDb ?? -15,
          agc: false,
        },
      });
      this.residual.attachEcho(this.echo);
    } catch (err) {
      this.echo.close();
      throw err;
    }
  }

  /**
   * out = mic without the echo of farEnd. `farEnd` must be what was played
   * while `mic` was captured (aligned by FarEndReference). All hold 480
   * samples; `out` may not be `mic` (speexdsp reads mic while writing out).
   */
  processBlock(mic: Int16Array, farEnd: Int16Array, out: Int16Array): void {
    if (out === mic) throw new RangeError('out must be a different array from mic');
    const t0 = this.timed ? performance.now() : 0;
    this.echo.cancel(mic, farEnd, out);
    this.residual?.run(out);
    if (this.timed) this.cost.record(performance.now() - t0);
  }

  /** Forget the learned echo path (a different output or input device). */
  reset(): void {
    this.echo.reset();
  }

  /** Idempotent. The suppressor holds a pointer to the canceller: it goes first. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.residual?.close();
    this.echo.close();
  }
}
