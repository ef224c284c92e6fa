/**
 * What to do with one decoded packet so that the jitter buffer's delay
 * follows its target without jumps (docs/architecture.md §2): play it as it
 * is, shorten it by a pitch period (accelerate), lengthen it by one
 * (expand), or drop it whole when it is silence and the delay is well over
 * target. Pure: the situation in, the decision out; the DSP that carries it
 * out is receive/time-stretch.ts, concealment of what did not arrive is the
 * jitter buffer's (receive/jitter-buffer.ts).
 *
 * The delay is D, how long a packet that came by the fastest path waits
 * before it is heard (jitter-buffer.ts), and `aboveTargetMs` = D − target
 * at the pull that yields the packet. D moves by exactly what is removed or
 * inserted, so the decision can aim:
 * - at or above `accelerateAboveMs` (10 ms; RemoteStream uses its playback
 *   frame when that is longer: a talkspurt anchors anywhere within one
 *   playback pull above target, so a clean link never accelerates): remove
 *   at most D − target − `expandBelowMs`, so the delay lands at or above
 *   target, never in the expand zone;
 * - below `expandBelowMs` (0: under target, where late packets would start
 *   to be concealed): insert at most what brings D to just under
 *   `accelerateAboveMs`;
 * - in between: play as it is. One stretch per packet at most; a stretch
 *   the DSP declines (no period correlates well enough) is tried again on
 *   the next packet, since the delay is still off.
 *
 * So a delay that drifts (the sender's clock faster or slower than ours),
 * or a target that moves (jitter starting or ending), is followed by a
 * pitch period at a time, never by dropping or repeating a whole frame.
 */
import { SAMPLE_RATE } from '../../core/media-format.js';
import { MIN_PERIOD_SAMPLES } from './time-stretch.js';

const SAMPLES_PER_MS = SAMPLE_RATE / 1000;

export type PlayoutAction = 'normal' | 'accelerate' | 'expand' | 'drop';

export interface PlayoutPolicyOptions {
  /** Accelerate when D − target is at least this. Default 10 ms. */
  accelerateAboveMs?: number;
  /** Expand when D − target is below this. Default 0 ms. */
  expandBelowMs?: number;
}

export interface PlayoutSituation {
  /** D − target at the pull that yielded the packet, ms. */
  readonly aboveTargetMs: number;
  /** The jitter buffer's soft catch-up flag: dropping this packet still leaves D well over target. */
  readonly overTarget: boolean;
  /** The decoded packet is silence (peak below the stream's quiet level). */
  readonly quiet: boolean;
  /** The samples before it were concealment (a quiet drop would cut into a fade). */
  readonly afterConcealment: boolean;
}

export interface PlayoutDecision {
  action: PlayoutAction;
  /** For accelerate / expand: the most samples to remove / insert. */
  maxSamples: number;
}

export class PlayoutPolicy {
  readonly accelerateAboveMs: number;
  readonly expandBelowMs: number;
  private readonly decision: PlayoutDecision = { action: 'normal', maxSamples: 0 };

  constructor(options: PlayoutPolicyOptions = {}) {
    this.accelerateAboveMs = options.accelerateAboveMs ?? 10;
    this.expandBelowMs = options.expandBelowMs ?? 0;
    if (!(this.accelerateAboveMs - this.expandBelowMs >= (2 * MIN_PERIOD_SAMPLES) / SAMPLES_PER_MS)) {
      throw new RangeError('accelerateAboveMs must exceed expandBelowMs by two shortest periods (5 ms)');
    }
  }

  /** The decision for one decoded packet; the object is reused (valid until the next call). */
  decide(s: PlayoutSituation): Readonly<PlayoutDecision> {
    const d = this.decision;
    d.action = 'normal';
    d.maxSamples = 0;
    if (s.overTarget && s.quiet && !s.afterConcealment) {
      d.action = 'drop';
    } else if (s.aboveTargetMs >= this.accelerateAboveMs) {
      this.aim(d, 'accelerate', s.aboveTargetMs - this.expandBelowMs);
    } else if (s.aboveTargetMs < this.expandBelowMs) {
      this.aim(d, 'expand', this.accelerateAboveMs - 1 - s.aboveTargetMs);
    }
    return d;
  }

  private aim(d: PlayoutDecision, action: 'accelerate' | 'expand', maxMs: number): void {
    const samples = Math.floor(maxMs * SAMPLES_PER_MS);
    if (samples < MIN_PERIOD_SAMPLES) return;
    d.action = action;
    d.maxSamples = samples;
  }
}
