/**
 * What to do with one decoded packet so that the jitter buffer's delay
 * follows its target without jumps (docs/architecture.md §2): play it as it
 * is, shorten it by a pitch period (accelerate), lengthen it by one
 * (expand), or drop it whole when it is silence and the delay is well over
 * target. Pure: the situation in, the decision out; the DSP that carries it
 * out is receive/time-stretch.ts, concealment of what did not arrive is the
 * jitter buffer's (receive/jitter-buffer.ts).
 *
 * Two delays matter, because playback pulls whole frames (10 ms):
 * - D, how long a packet that came by the fastest path waits before it is
 *   heard (jitter-buffer.ts): the latency. Removing or inserting P samples
 *   moves it by exactly P.
 * - The margin, D less what the stream still holds in its FIFO in front of
 *   the packet (`aheadMs`), less the target: how long before the pull that
 *   needs it the fastest packet arrives, beyond the target. A packet is
 *   needed at the pull where the FIFO runs short of a frame, not when its
 *   first sample is heard, so it is the margin that decides whether a late
 *   packet is concealed. It moves by a whole pull each time a stretch takes
 *   the FIFO across a frame boundary (a packet needed one pull later or
 *   earlier), and not otherwise.
 *
 * A packet that does not complete the playback frame it is pulled for
 * (a 10 ms packet into a 20 ms frame) decides nothing: the one that does is
 * the one whose margin counts at that pull. With A = the FIFO's samples and
 * the packet's, the samples of A beyond whole pulls (R = A mod pull) are
 * slack: latency that buys no safety. So:
 * - margin below `expandBelowMs` (0): expand, by at most as much as keeps
 *   the margin under one pull after the crossings it makes (never into the
 *   accelerate zone: no see-saw);
 * - margin at least one pull + `hysteresisMs` (2 ms): accelerate, by at
 *   most R plus as many whole pulls as the margin can give up while staying
 *   at or above target;
 * - otherwise, slack of a period or more: accelerate by at most R (latency
 *   only; the margin does not move);
 * - otherwise play as it is. A talkspurt anchors at the first pull where the
 *   margin is ≥ 0, so it starts in [0, one pull) with no slack when packets
 *   last whole pulls: a clean link never stretches. One stretch per packet
 *   at most; a stretch the DSP declines (no period correlates well enough)
 *   is tried again on the next packet.
 *
 * A delay that drifts (the sender's clock faster or slower than ours) or a
 * target that moves (jitter starting or ending) is followed a pitch period
 * at a time, never by dropping or repeating a whole frame.
 */
import { SAMPLE_RATE } from '../../core/media-format.js';
import { MIN_PERIOD_SAMPLES } from './time-stretch.js';

const SAMPLES_PER_MS = SAMPLE_RATE / 1000;

export type PlayoutAction = 'normal' | 'accelerate' | 'expand' | 'drop';

export interface PlayoutPolicyOptions {
  /** False: never accelerate or expand (quiet packets are still dropped); for comparisons. Default true. */
  stretch?: boolean;
  /** The playback pull, ms (the stream's frame). Default 10. */
  pullMs?: number;
  /** Accelerate across a pull only from this far above one pull of margin. Default 2 ms. */
  hysteresisMs?: number;
  /** Expand when the margin is below this. Default 0 ms. */
  expandBelowMs?: number;
}

export interface PlayoutSituation {
  /** D − target at the pull that yielded the packet, ms (the FIFO's samples in front of it included). */
  readonly aboveTargetMs: number;
  /** Samples the stream's FIFO holds in front of the packet. */
  readonly aheadSamples: number;
  /** The packet's decoded samples. */
  readonly packetSamples: number;
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
  readonly pullMs: number;
  readonly hysteresisMs: number;
  readonly expandBelowMs: number;
  readonly stretch: boolean;
  private readonly pull: number;
  private readonly decision: PlayoutDecision = { action: 'normal', maxSamples: 0 };

  constructor(options: PlayoutPolicyOptions = {}) {
    this.pullMs = options.pullMs ?? 10;
    this.hysteresisMs = options.hysteresisMs ?? 2;
    this.expandBelowMs = options.expandBelowMs ?? 0;
    this.stretch = options.stretch ?? true;
    this.pull = Math.round(this.pullMs * SAMPLES_PER_MS);
    if (!(this.pull > 0)) throw new RangeError(`pullMs must be > 0, got ${this.pullMs}`);
    if (!(this.hysteresisMs >= 0)) throw new RangeError(`hysteresisMs must be >= 0, got ${this.hysteresisMs}`);
  }

  /** The decision for one decoded packet; the object is reused (valid until the next call). */
  decide(s: PlayoutSituation): Readonly<PlayoutDecision> {
    const d = this.decision;
    d.action = 'normal';
    d.maxSamples = 0;
    const pull = this.pull;
    const total = s.aheadSamples + s.packetSamples;
    if (s.overTarget && s.quiet && !s.afterConcealment) {
      d.action = 'drop';
      return d;
    }
    if (!this.stretch || total < pull) return d;
    const slack = total % pull;
    const margin = (s.aboveTargetMs - this.expandBelowMs) * SAMPLES_PER_MS - s.aheadSamples;
    if (margin < 0) {
      // At most k crossings, k bringing the margin to under one pull: slack + P < (k + 1) pulls.
      const k = Math.max(1, Math.ceil(-margin / pull));
      this.aim(d, 'expand', (k + 1) * pull - slack - 1);
    } else if (margin >= pull + this.hysteresisMs * SAMPLES_PER_MS) {
      // Each crossing gives up one pull of margin: P ≤ slack + the pulls it can spare.
      this.aim(d, 'accelerate', slack + Math.floor(margin / pull) * pull);
    } else {
      this.aim(d, 'accelerate', slack);
    }
    return d;
  }

  private aim(d: PlayoutDecision, action: 'accelerate' | 'expand', maxSamples: number): void {
    if (maxSamples < MIN_PERIOD_SAMPLES) return;
    d.action = action;
    d.maxSamples = maxSamples;
  }
}
