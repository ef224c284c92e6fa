/**
 * The playback mix: pulled once per frame by the playback clock (pull to
 * play). Sums every remote stream (each applies its own gain and
 * muted-for-me) and the notification cues in Float32, then a soft limiter
 * brings the sum back into 16 bits without wrap-around.
 *
 * Deafen silences peers but keeps pulling their streams, so their jitter
 * buffers keep playing out in step and undeafening resumes live audio, not
 * a backlog. Cues still sound while deafened by default (they are local
 * feedback, as in Mumble); `cuesWhileDeafened: false` silences them too.
 */
import { assertFrameMs, samplesPerFrame, type FrameMs } from '../../core/media-format.js';
import type { CueKind, CuePlayer } from './cues.js';
import { DEFAULT_LIMITER_THRESHOLD, limitToInt16 } from './limiter.js';

/** What the mixer needs from a stream; RemoteStream implements it. */
export interface MixerInput {
  /** Pull exactly one frame and add it (times its own gain × `scale`) into `acc`, full scale 1.0. */
  mixInto(acc: Float32Array, scale: number): void;
}

export interface MixerOptions {
  frameMs: FrameMs;
  cues?: CuePlayer;
  /** Where the limiter's knee starts, 0 < t < 1. Default 0.8 of full scale. */
  limiterThreshold?: number;
  /** Default true. */
  cuesWhileDeafened?: boolean;
}

export class Mixer {
  readonly frameMs: FrameMs;
  readonly frameSamples: number;
  private readonly streams = new Map<string, MixerInput>();
  private readonly cues: CuePlayer | undefined;
  private readonly threshold: number;
  private readonly cuesWhileDeafened: boolean;
  private readonly acc: Float32Array;
  private readonly out: Int16Array;
  private deaf = false;
  private failures = 0;

  constructor(options: MixerOptions) {
    this.frameMs = assertFrameMs(options.frameMs);
    this.frameSamples = samplesPerFrame(this.frameMs);
    this.cues = options.cues;
    this.threshold = options.limiterThreshold ?? DEFAULT_LIMITER_THRESHOLD;
    if (!(this.threshold > 0 && this.threshold < 1)) throw new RangeError(`limiterThreshold must be in (0, 1), got ${this.threshold}`);
    this.cuesWhileDeafened = options.cuesWhileDeafened ?? true;
    this.acc = new Float32Array(this.frameSamples);
    this.out = new Int16Array(this.frameSamples);
  }

  /** Add (or replace) the stream of `peerId`. */
  add(peerId: string, stream: MixerInput): void {
    this.streams.set(peerId, stream);
  }

  /** Remove the stream of `peerId`; false if there was none. */
  remove(peerId: string): boolean {
    return this.streams.delete(peerId);
  }

  get(peerId: string): MixerInput | undefined {
    return this.streams.get(peerId);
  }

  get peerIds(): string[] {
    return [...this.streams.keys()];
  }

  get size(): number {
    return this.streams.size;
  }

  setDeafened(deafened: boolean): void {
    this.deaf = deafened;
  }

  get deafened(): boolean {
    return this.deaf;
  }

  /** Play a notification cue (no-op without a cue player or when cues are disabled). */
  playCue(kind: CueKind): void {
    this.cues?.play(kind);
  }

  /** Streams whose pull threw (each such frame counts once per stream). */
  get streamFailures(): number {
    return this.failures;
  }

  /**
   * The next output frame, exactly samplesPerFrame(frameMs) samples. The
   * array is reused: consume or copy it before the next call.
   */
  mix(): Int16Array {
    const acc = this.acc;
    acc.fill(0);
    const scale = this.deaf ? 0 : 1;
    for (const stream of this.streams.values()) {
      try {
        stream.mixInto(acc, scale);
      } catch {
        // One broken stream must not silence everyone else.
        this.failures++;
      }
    }
    if (this.cues !== undefined && (!this.deaf || this.cuesWhileDeafened)) this.cues.mixInto(acc);
    limitToInt16(acc, this.out, this.threshold);
    return this.out;
  }
}
