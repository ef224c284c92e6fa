/**
 * Per-frame transmit decision: a level gate (voice activity by loudness)
 * with attack and hangover, plus mute.
 *
 * - Opens when `attackFrames` consecutive frames are at or above
 *   `openThresholdDbfs` (1 = open on the first loud frame, so a word's onset
 *   is not clipped).
 * - Stays open for `hangoverMs` after the last loud frame, so pauses between
 *   words and soft word endings are not chopped.
 * - Muted: nothing is transmitted, whatever the level; the level is still
 *   measured (the UI shows a meter while muted). The RTP timestamp keeps
 *   advancing meanwhile — that is rtp-timeline's job.
 */
import { assertFrameMs, type FrameMs } from '../../core/media-format.js';
import { rmsLevel } from '../audio/level.js';

export interface VoiceGateOptions {
  frameMs: FrameMs;
  /** Level at or above which a frame counts as voice, dBFS (default −45). */
  openThresholdDbfs?: number;
  /** Keep transmitting this long after the last loud frame (default 300 ms). */
  hangoverMs?: number;
  /** Consecutive loud frames needed to open (default 1). */
  attackFrames?: number;
  /** false = always transmit unless muted (continuous mode; default true). */
  enabled?: boolean;
}

export interface GateDecision {
  transmit: boolean;
  /** RMS level of the frame in dBFS (−Infinity for digital silence). */
  levelDbfs: number;
  /** True on the first transmitted frame after not transmitting. */
  talkspurtStart: boolean;
}

/** RMS level in dBFS (full scale = 32768), on the one level scale of audio/level.ts. */
export function rmsDbfs(pcm: Int16Array): number {
  const rms = rmsLevel(pcm);
  return rms === 0 ? -Infinity : 20 * Math.log10(rms);
}

export class VoiceGate {
  readonly frameMs: FrameMs;
  private openThresholdDbfs: number;
  private readonly hangoverFrames: number;
  private readonly attackFrames: number;
  private enabled: boolean;
  private mutedFlag = false;
  private loudRun = 0;
  /** Frames of hangover left; > 0 means the gate is open. */
  private holdFrames = 0;
  private wasTransmitting = false;

  constructor(opts: VoiceGateOptions) {
    this.frameMs = assertFrameMs(opts.frameMs);
    const threshold = opts.openThresholdDbfs ?? -45;
    const hangoverMs = opts.hangoverMs ?? 300;
    const attackFrames = opts.attackFrames ?? 1;
    if (!(threshold <= 0) || Number.isNaN(threshold)) throw new RangeError(`openThresholdDbfs must be ≤ 0 dBFS; got ${threshold}`);
    if (!(hangoverMs >= 0) || !Number.isFinite(hangoverMs)) throw new RangeError(`hangoverMs must be a finite number ≥ 0; got ${hangoverMs}`);
    if (!Number.isInteger(attackFrames) || attackFrames < 1) throw new RangeError(`attackFrames must be an integer ≥ 1; got ${attackFrames}`);
    this.openThresholdDbfs = threshold;
    // The loud frame itself counts as frame 0 of the hold; round up so a 300 ms hangover never cuts short.
    this.hangoverFrames = Math.ceil(hangoverMs / this.frameMs);
    this.attackFrames = attackFrames;
    this.enabled = opts.enabled ?? true;
  }

  get muted(): boolean {
    return this.mutedFlag;
  }

  set muted(value: boolean) {
    this.mutedFlag = value;
  }

  /** Switch between gated (true) and continuous (false) transmission. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
  }

  setThresholdDbfs(dbfs: number): void {
    if (!(dbfs <= 0)) throw new RangeError(`openThresholdDbfs must be ≤ 0 dBFS; got ${dbfs}`);
    this.openThresholdDbfs = dbfs;
  }

  /** True while the level gate is open (ignores mute). */
  get isOpen(): boolean {
    return !this.enabled || this.holdFrames > 0;
  }

  /** Decide for one captured frame. Call exactly once per frame, in order. */
  process(pcm: Int16Array): GateDecision {
    const levelDbfs = rmsDbfs(pcm);
    if (levelDbfs >= this.openThresholdDbfs) {
      this.loudRun++;
      if (this.loudRun >= this.attackFrames || this.holdFrames > 0) this.holdFrames = this.hangoverFrames + 1;
    } else {
      this.loudRun = 0;
    }
    const open = !this.enabled || this.holdFrames > 0;
    if (this.holdFrames > 0) this.holdFrames--;
    const transmit = open && !this.mutedFlag;
    const talkspurtStart = transmit && !this.wasTransmitting;
    this.wasTransmitting = transmit;
    return { transmit, levelDbfs, talkspurtStart };
  }
}
