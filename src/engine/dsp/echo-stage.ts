/**
 * Echo cancellation as the first stage of the send chain
 * (docs/architecture.md §2): the canceller (./echo-canceller.ts) fed, block
 * by block, with the far-end reference (./far-end-reference.ts) that the
 * playback side taps.
 *
 * The two sides of one engine meet here: the mixer hands each playback
 * block to `played()` as the sink pulls it (what the speaker gets, after
 * gains, cues and the limiter), and each captured frame comes through
 * `process()` as it is delivered. Both run on the media thread, so the ring
 * in FarEndReference needs no locking.
 *
 * Capture is timed by delivery, not by the source's timestamp: sources
 * differ in what theirs means (a WAV source stamps delivery, the device
 * source the first sample), while a delivery time means the same
 * everywhere, and FarEndReference's anchors take the earliest a block could
 * have been captured, so late deliveries (IPC, a busy loop) do not move the
 * pairing. A 20 ms frame's two blocks are both "delivered now"; the anchor
 * puts the first one 10 ms earlier after the first frame.
 *
 * Alignment the device does not report (a sound server's buffers) is found
 * from the audio itself (./echo-delay.ts). The canceller copes with any
 * echo that starts between 0 ms and the tail less room for reverb
 * (REVERB_ROOM_MS) behind the reference, so only an echo found outside that
 * range moves the reference, to ECHO_LEAD_MS behind it, and the canceller
 * starts over; a move inside it would only throw away what it learnt.
 *
 * The stage keeps receiving played audio while it is switched off, so the
 * reference timelines are settled when it is switched on; switching on
 * resets only the canceller's learnt echo path (a stale path would subtract
 * a wrong echo for the first seconds).
 */
import type { FrameFilter } from './frame-filter.js';
import type { EchoCanceller } from './echo-canceller.js';
import { EchoDelayEstimator } from './echo-delay.js';
import type { FarEndReference } from './far-end-reference.js';
import { DSP_BLOCK_MS, DSP_BLOCK_SAMPLES, FAR_END_ACTIVE_DBFS } from './stage.js';

/**
 * Where the echo should sit behind the reference once found: a little
 * later than the reference, never before it (a reference that lags the echo
 * cannot cancel it), leaving the rest of the tail for the room.
 */
export const ECHO_LEAD_MS = 30;
/** How much of the tail is kept for the room's reverb after the echo's onset. */
export const REVERB_ROOM_MS = 70;
/** FAR_END_ACTIVE_DBFS as a mean square of samples. */
const FAR_ACTIVE_MEAN_SQUARE = (32768 * 10 ** (FAR_END_ACTIVE_DBFS / 20)) ** 2;

export interface EchoFigures {
  readonly roundTripMs: number;
  readonly moves: number;
  readonly correlation: number;
  readonly pairingChanges: number;
  readonly reductionDb: number | null;
}

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
  private readonly delay: EchoDelayEstimator | null;
  private moves = 0;
  /** Microphone and output energy over blocks where the far end played (for the echo reduction figure). */
  private micEnergy = 0;
  private outEnergy = 0;

  constructor(
    private readonly canceller: EchoCanceller,
    readonly reference: FarEndReference,
    /** estimateDelay: find the echo's delay from the audio and align to it (default true); onMove: told each time it does (rare: for the log). */
    private readonly options: { estimateDelay?: boolean; onMove?: (roundTripMs: number, correlation: number) => void } = {},
  ) {
    this.delay = options.estimateDelay === false ? null : new EchoDelayEstimator();
  }

  /**
   * How the stage is doing: the round trip it pairs with (ms), how often the
   * estimator moved it, the pairing's small moves (drift, underflows), and
   * the energy removed while the far end played (dB; includes double talk,
   * so it is a lower bound of the echo removed).
   */
  get figures(): EchoFigures {
    return {
      roundTripMs: this.reference.roundTripMs,
      moves: this.moves,
      correlation: this.delay?.correlation ?? 0,
      pairingChanges: this.reference.counts.lagChanges,
      reductionDb: this.outEnergy > 0 && this.micEnergy > 0 ? 10 * Math.log10(this.micEnergy / this.outEnergy) : null,
    };
  }

  /** The mixer handed `block` to playback; `heardAtMs` when the sink says when it is heard (default: now). */
  played(block: Int16Array, heardAtMs?: number): void {
    if (!this.closed) this.reference.pushPlayed(block, heardAtMs);
  }

  /** Every 10 ms block of `frame`, in place. */
  process(frame: Int16Array): void {
    if (this.closed) return;
    for (let at = 0; at + DSP_BLOCK_SAMPLES <= frame.length; at += DSP_BLOCK_SAMPLES) {
      // Copies by index, not subarray(): nothing is allocated per block.
      for (let i = 0; i < DSP_BLOCK_SAMPLES; i++) this.mic[i] = frame[at + i]!;
      this.reference.readFor(this.far);
      this.canceller.processBlock(this.mic, this.far, this.out);
      for (let i = 0; i < DSP_BLOCK_SAMPLES; i++) frame[at + i] = this.out[i]!;
      this.account();
    }
  }

  private account(): void {
    let far = 0;
    let mic = 0;
    let out = 0;
    for (let i = 0; i < DSP_BLOCK_SAMPLES; i++) {
      far += this.far[i]! * this.far[i]!;
      mic += this.mic[i]! * this.mic[i]!;
      out += this.out[i]! * this.out[i]!;
    }
    if (far / DSP_BLOCK_SAMPLES >= FAR_ACTIVE_MEAN_SQUARE) {
      this.micEnergy += mic;
      this.outEnergy += out;
    }
    if (this.delay !== null) this.track(this.delay, far, mic);
  }

  private track(delay: EchoDelayEstimator, far: number, mic: number): void {
    const lagBlocks = delay.push(far / DSP_BLOCK_SAMPLES, mic / DSP_BLOCK_SAMPLES);
    if (lagBlocks === null) return;
    const echoMs = lagBlocks * DSP_BLOCK_MS;
    if (echoMs >= 0 && echoMs <= this.canceller.tailMs - REVERB_ROOM_MS) return;
    const moveMs = echoMs - ECHO_LEAD_MS;
    const roundTripMs = Math.max(0, Math.min(1000, this.reference.roundTripMs + moveMs));
    if (roundTripMs === this.reference.roundTripMs) return;
    this.reference.setRoundTripMs(roundTripMs);
    this.moves++;
    delay.restart();
    this.canceller.reset();
    this.options.onMove?.(roundTripMs, delay.correlation);
  }

  reset(): void {
    if (!this.closed) this.canceller.reset();
  }

  close(): void {
    this.closed = true;
    this.canceller.close();
  }
}
