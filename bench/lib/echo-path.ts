/**
 * A simulated room for testing echo cancellation in-process: what a peer's
 * speaker plays comes back into its own microphone 80 ms later, 6 dB down,
 * with a short reverb, plus a faint noise floor. Deterministic (seeded), so
 * unit tests can assert on the audio. Test and benchmark helper only: nothing
 * on the media path uses it (tests re-export it from test/helpers/echo-path.ts).
 *
 * The "device" this models plays each 10 ms block during the 10 ms after it
 * is handed over and delivers the microphone block captured meanwhile at the
 * end of it: for FarEndReference that is a round trip of 0 ms, and the
 * acoustic 80 ms (plus reverb) sits inside the canceller's 200 ms tail.
 */
import { ManualClock } from '../../src/core/clock.js';
import { activeRmsLevel } from '../../src/engine/audio/level.js';
import { readWavMono48k } from '../../src/engine/audio/wav-file.js';
import { AutoGain, type AutoGainOptions } from '../../src/engine/dsp/auto-gain.js';
import { EchoCanceller, type EchoCancellerOptions } from '../../src/engine/dsp/echo-canceller.js';
import { FarEndReference } from '../../src/engine/dsp/far-end-reference.js';
import { DSP_BLOCK_SAMPLES } from '../../src/engine/dsp/stage.js';
import { createRandom } from '../../src/engine/sim/prng.js';
import { concat, decimate, findInSignal, rmsOf, toFloat } from './analysis.js';
import { fixture } from './paths.js';

const RATE = 48_000;

/** Rounded and clipped to 16 bits (a microphone or a mix saturates, it does not wrap). */
const clip16 = (v: number): number => (v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v));

export interface EchoPathOptions {
  /** Speaker → microphone delay of the direct sound, ms (default 80). */
  delayMs?: number;
  /** Gain of the direct sound, dB (default −6). */
  gainDb?: number;
  /** Reverb: reflections over this many ms after the direct sound (default 60). */
  reverbMs?: number;
  /** Level of the first reflections relative to the direct sound, dB (default −10); they decay 60 dB over reverbMs · 1.5. */
  reverbDb?: number;
  /** Number of discrete reflections (default 48). */
  reflections?: number;
  /** Microphone noise floor, dBFS RMS (default −70; -Infinity for none). */
  noiseDbfs?: number;
  seed?: number;
}

export interface EchoTap {
  delaySamples: number;
  gain: number;
}

export class EchoPath {
  readonly taps: readonly EchoTap[];
  private readonly noiseRms: number;
  private readonly seed: number;

  constructor(opts: EchoPathOptions = {}) {
    const delay = Math.round(((opts.delayMs ?? 80) * RATE) / 1000);
    const direct = 10 ** ((opts.gainDb ?? -6) / 20);
    const reverbSamples = Math.round(((opts.reverbMs ?? 60) * RATE) / 1000);
    const first = direct * 10 ** ((opts.reverbDb ?? -10) / 20);
    const count = opts.reflections ?? 48;
    const rnd = createRandom(opts.seed ?? 1);
    const taps: EchoTap[] = [{ delaySamples: delay, gain: direct }];
    // Reflections spread over the reverb time, exponentially decaying
    // (60 dB over 1.5 × reverbMs), random sign like a real room's.
    for (let i = 0; i < count; i++) {
      const at = Math.round(48 + rnd.next() * reverbSamples); // ≥ 1 ms after the direct sound
      const decayDb = (-60 * at) / (1.5 * reverbSamples);
      taps.push({ delaySamples: delay + at, gain: first * 10 ** (decayDb / 20) * (rnd.next() < 0.5 ? -1 : 1) });
    }
    this.taps = taps;
    this.noiseRms = Number.isFinite(opts.noiseDbfs ?? -70) ? 32768 * 10 ** ((opts.noiseDbfs ?? -70) / 20) : 0;
    this.seed = (opts.seed ?? 1) + 1000;
  }

  /** Longest delay in the path, ms (must fit in the canceller's tail). */
  get lengthMs(): number {
    return (Math.max(...this.taps.map((t) => t.delaySamples)) * 1000) / RATE;
  }

  /** The echo `played` makes at the microphone (same length, float samples). */
  echoOf(played: Int16Array): Float32Array {
    const out = new Float32Array(played.length);
    for (const { delaySamples, gain } of this.taps) {
      for (let n = delaySamples; n < played.length; n++) out[n]! += gain * played[n - delaySamples]!;
    }
    return out;
  }

  /**
   * What the microphone captures: `nearEnd` (the local talker, may be empty
   * or shorter) + the echo of `played` + the noise floor, clipped to 16 bits.
   */
  microphone(played: Int16Array, nearEnd: Int16Array): Int16Array {
    const echo = this.echoOf(played);
    const rnd = createRandom(this.seed);
    const out = new Int16Array(played.length);
    for (let n = 0; n < out.length; n++) {
      // Sum of two uniforms, scaled to the RMS wanted: cheap, near enough to Gaussian for a noise floor.
      const noise = this.noiseRms * (rnd.next() + rnd.next() - 1) * Math.sqrt(6);
      const v = echo[n]! + (n < nearEnd.length ? nearEnd[n]! : 0) + noise;
      out[n] = clip16(v);
    }
    return out;
  }
}

/** `x` placed at `atMs` in `totalMs` of silence (for scripting who talks when). */
export function placeAt(x: Int16Array, atMs: number, totalMs: number): Int16Array {
  const out = new Int16Array(Math.round((totalMs * RATE) / 1000));
  const at = Math.round((atMs * RATE) / 1000);
  out.set(x.subarray(0, Math.max(0, Math.min(x.length, out.length - at))), at);
  return out;
}

/** a + b, clipped (two tracks of a script). */
export function mixTracks(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(Math.max(a.length, b.length));
  for (let n = 0; n < out.length; n++) {
    const v = (a[n] ?? 0) + (b[n] ?? 0);
    out[n] = clip16(v);
  }
  return out;
}

/** x scaled so that its RMS over its active (non-silent) 10 ms blocks is `dbfs`. */
export function scaleToDbfs(x: Int16Array, dbfs: number): Int16Array {
  const level = activeRmsLevel(x);
  const gain = level > 0 ? 10 ** (dbfs / 20) / level : 0;
  const out = new Int16Array(x.length);
  for (let n = 0; n < x.length; n++) {
    const v = Math.round(x[n]! * gain);
    out[n] = clip16(v);
  }
  return out;
}

/** Energy ratio in dB of a over b on [from, to) samples (a/b). */
export function energyRatioDb(a: ArrayLike<number>, b: ArrayLike<number>, from: number, to: number): number {
  let ea = 0;
  let eb = 0;
  for (let n = from; n < to; n++) {
    ea += a[n]! * a[n]!;
    eb += b[n]! * b[n]!;
  }
  return 10 * Math.log10((ea + 1e-9) / (eb + 1e-9));
}

/**
 * How an AGC settled, from its gain per 10 ms block: when the gain first came
 * within `toleranceDb` of its steady value (the median over the second half),
 * and how far it wandered after that (max − min, dB), which is it following
 * the talker's loudness from sentence to sentence. The gain rather than the
 * output level, because speech itself varies by several dB second to second.
 */
export function agcSettling(gainsDb: readonly number[], opts: { toleranceDb?: number; blockMs?: number } = {}): { settledMs: number; wanderDb: number } {
  const tol = opts.toleranceDb ?? 3;
  const half = [...gainsDb.slice(gainsDb.length >> 1)].sort((a, b) => a - b);
  const steady = half[half.length >> 1] ?? 0;
  const first = gainsDb.findIndex((g) => Math.abs(g - steady) <= tol);
  if (first < 0) return { settledMs: Infinity, wanderDb: NaN };
  const after = gainsDb.slice(first);
  return { settledMs: first * (opts.blockMs ?? 10), wanderDb: Math.max(...after) - Math.min(...after) };
}

/** Sample index of a time in ms at 48 kHz. */
export const atMs = (ms: number): number => Math.round((ms * RATE) / 1000);

/** Who talks when, as B's microphone hears it, through the simulated room. */
export interface TalkScript {
  /** What B's speaker plays: A's voice. */
  played: Int16Array;
  /** B talking (the near end). */
  near: Int16Array;
  /** B's microphone: near + echo of played + noise floor. */
  mic: Int16Array;
}

/**
 * 0–5 s A talks alone (speech-a), 5–10 s A (speech-c) and B (speech-b) at
 * once, 10–15 s B alone, 15–20 s A alone again (speech-a).
 */
export async function turnsAndDoubleTalk(path = new EchoPath()): Promise<TalkScript> {
  const [a, b, c] = await Promise.all(['speech-a.wav', 'speech-b.wav', 'speech-c.wav'].map((f) => readWavMono48k(fixture(f))));
  const total = 20_000;
  const played = mixTracks(mixTracks(placeAt(a!, 0, total), placeAt(c!, 5000, total)), placeAt(a!, 15_000, total));
  const near = mixTracks(placeAt(b!, 5000, total), placeAt(b!, 10_000, total));
  return { played, near, mic: path.microphone(played, near) };
}

/**
 * B's send side on a script, block by block as a send chain would run it:
 * each tick the played block is handed over, 10 ms pass, the microphone
 * block arrives and is paired by FarEndReference (round trip 0 for this
 * simulated device, see the header). Returns what B would send, and the
 * time each block took in the canceller (ms).
 */
export function cancelEcho(script: TalkScript, opts: EchoCancellerOptions & { roundTripMs?: number } = {}): { out: Int16Array; blockMs: number[] } {
  const aec = new EchoCanceller({ timed: true, ...opts });
  const clock = new ManualClock(0);
  const ref = new FarEndReference({ clock, roundTripMs: opts.roundTripMs ?? 0 });
  const far = new Int16Array(DSP_BLOCK_SAMPLES);
  const block = new Int16Array(DSP_BLOCK_SAMPLES);
  const out = new Int16Array(script.mic.length);
  const blockMs: number[] = [];
  try {
    for (let k = 0; k + DSP_BLOCK_SAMPLES <= script.mic.length; k += DSP_BLOCK_SAMPLES) {
      ref.pushPlayed(script.played.subarray(k, k + DSP_BLOCK_SAMPLES));
      clock.advance(10);
      ref.readFor(far);
      aec.processBlock(script.mic.subarray(k, k + DSP_BLOCK_SAMPLES), far, block);
      blockMs.push(aec.cost.lastMs);
      out.set(block, k);
    }
  } finally {
    aec.close();
  }
  return { out, blockMs };
}

/**
 * 500 ms windows of the near end's speech in [fromMs, toMs) found in `out`:
 * normalized correlation ≥ `threshold` (default 0.5) within ±50 ms, at 8 kHz
 * (bench/lib/analysis.ts findInSignal). Windows where the near end pauses
 * are not counted.
 */
export function nearWindowsFound(near: Int16Array, out: Int16Array, fromMs: number, toMs: number, threshold = 0.5): { found: number; total: number } {
  let found = 0;
  let total = 0;
  for (let w = fromMs; w + 500 <= toMs; w += 500) {
    if (rmsOf(near, atMs(w), atMs(w + 500)) < 0.01) continue;
    total++;
    const ref = decimate(toFloat(near.subarray(atMs(w), atMs(w + 500))), 6);
    const sig = decimate(toFloat(out.subarray(atMs(Math.max(0, w - 50)), atMs(w + 550))), 6);
    if (findInSignal(ref, sig).value >= threshold) found++;
  }
  return { found, total };
}

/** 20 s of one talker: speech-b, -a, -c, -b back to back (for the AGC). */
export async function twentySecondsOfTalk(): Promise<Int16Array> {
  const [a, b, c] = await Promise.all(['speech-a.wav', 'speech-b.wav', 'speech-c.wav'].map((f) => readWavMono48k(fixture(f))));
  return concat([b!, a!, c!, b!]);
}

/** The AGC over `input` block by block: output, gain (dB) and time (ms) per block. */
export function controlGain(input: Int16Array, opts: AutoGainOptions = {}): { out: Int16Array; gainsDb: number[]; blockMs: number[] } {
  const agc = new AutoGain({ timed: true, ...opts });
  const out = new Int16Array(input.length);
  const block = new Int16Array(DSP_BLOCK_SAMPLES);
  const gainsDb: number[] = [];
  const blockMs: number[] = [];
  try {
    for (let k = 0; k + DSP_BLOCK_SAMPLES <= input.length; k += DSP_BLOCK_SAMPLES) {
      agc.processBlock(input.subarray(k, k + DSP_BLOCK_SAMPLES), block);
      out.set(block, k);
      gainsDb.push(agc.gainDb());
      blockMs.push(agc.cost.lastMs);
    }
  } finally {
    agc.close();
  }
  return { out, gainsDb, blockMs };
}
