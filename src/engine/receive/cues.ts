/**
 * Notification cues: short synthesized sounds mixed into the output when a
 * peer joins (rising two-tone) or leaves (falling two-tone). Each is
 * generated once per process and cached; the player only keeps play
 * positions, so a cue costs nothing per frame when none is playing.
 */
import { SAMPLE_RATE } from '../../core/media-format.js';

export type CueKind = 'peer-joined' | 'peer-left';
export const CUE_KINDS: readonly CueKind[] = ['peer-joined', 'peer-left'];

/** Two tones of this length each: ~150 ms per cue. */
const TONE_MS = 75;
/** Raised-cosine attack and release per tone: no clicks at tone edges. */
const EDGE_MS = 5;
/** Peak of a cue before the player's volume: leaves headroom under voices. */
const CUE_PEAK = 0.5;
const LOW_HZ = 587.33; // D5
const HIGH_HZ = 880; // A5

const cache = new Map<CueKind, Int16Array>();

/** The cue's samples (48 kHz mono), synthesized on first use and cached. */
export function cueSamples(kind: CueKind): Int16Array {
  let pcm = cache.get(kind);
  if (pcm === undefined) {
    const [first, second] = kind === 'peer-joined' ? [LOW_HZ, HIGH_HZ] : [HIGH_HZ, LOW_HZ];
    pcm = synthesizeTwoTone(first, second);
    cache.set(kind, pcm);
  }
  return pcm;
}

function synthesizeTwoTone(firstHz: number, secondHz: number): Int16Array {
  const toneSamples = Math.round((SAMPLE_RATE * TONE_MS) / 1000);
  const edgeSamples = Math.round((SAMPLE_RATE * EDGE_MS) / 1000);
  const out = new Int16Array(2 * toneSamples);
  for (let t = 0; t < 2; t++) {
    const hz = t === 0 ? firstHz : secondHz;
    for (let i = 0; i < toneSamples; i++) {
      const fromEdge = Math.min(i, toneSamples - 1 - i);
      const env = fromEdge >= edgeSamples ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * fromEdge) / edgeSamples);
      const v = CUE_PEAK * env * Math.sin((2 * Math.PI * hz * i) / SAMPLE_RATE);
      out[t * toneSamples + i] = Math.round(v * 32767);
    }
  }
  return out;
}

export interface CuePlayerOptions {
  /** Default true. */
  enabled?: boolean;
  /** Linear volume 0..1 applied to the cues. Default 0.5. */
  volume?: number;
  /** At most this many cues sound at once; older ones are cut. Default 4. */
  maxConcurrent?: number;
}

interface Playing {
  pcm: Int16Array;
  pos: number;
}

export class CuePlayer {
  private enabledFlag: boolean;
  private volumeValue = 0.5;
  private readonly maxConcurrent: number;
  private readonly playing: Playing[] = [];

  constructor(options: CuePlayerOptions = {}) {
    this.enabledFlag = options.enabled ?? true;
    this.setVolume(options.volume ?? 0.5);
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 4);
  }

  /** Start a cue; ignored while disabled. Unknown kinds are ignored too. */
  play(kind: CueKind): void {
    if (!this.enabledFlag || !CUE_KINDS.includes(kind)) return;
    if (this.playing.length >= this.maxConcurrent) this.playing.shift();
    this.playing.push({ pcm: cueSamples(kind), pos: 0 });
  }

  /** Add the next `acc.length` samples of every sounding cue into `acc` (full scale 1.0). */
  mixInto(acc: Float32Array): void {
    if (this.playing.length === 0) return;
    const g = this.volumeValue / 32768;
    for (let k = this.playing.length - 1; k >= 0; k--) {
      const p = this.playing[k]!;
      const n = Math.min(acc.length, p.pcm.length - p.pos);
      for (let i = 0; i < n; i++) acc[i]! += p.pcm[p.pos + i]! * g;
      p.pos += n;
      if (p.pos >= p.pcm.length) this.playing.splice(k, 1);
    }
  }

  /** Disabling also silences cues already sounding. */
  setEnabled(enabled: boolean): void {
    this.enabledFlag = enabled;
    if (!enabled) this.playing.length = 0;
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }

  /** Linear 0..1; clamped; NaN ignored. */
  setVolume(volume: number): void {
    if (!Number.isFinite(volume)) return;
    this.volumeValue = Math.min(1, Math.max(0, volume));
  }

  get volume(): number {
    return this.volumeValue;
  }

  /** Cues currently sounding. */
  get active(): number {
    return this.playing.length;
  }
}
