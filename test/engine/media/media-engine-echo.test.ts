/**
 * Echo cancellation and gain control inside the media engine: two engines
 * on one ManualClock, and B's "room" (bench/lib/echo-path.ts: B's speaker
 * back into B's microphone 80 ms later, −6 dB, short reverb) run block by
 * block as B plays. What is checked is what A hears: its own voice coming
 * back, and B's voice, with B's echo cancellation on and off. Real speexdsp
 * (skipped where libspeexdsp1 is missing), Opus and jitter buffers.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { ManualSink, ManualSource } from '../../../src/engine/audio/manual.js';
import { speexDspAvailability } from '../../../src/engine/dsp/speexdsp.js';
import { MediaEngine, type MediaEngineOptions } from '../../../src/engine/media/media-engine.js';
import { decimate, findInSignal, toFloat } from '../../../bench/lib/analysis.js';
import { EchoPath, atMs, energyRatioDb, nearWindowsFound, turnsAndDoubleTalk, type TalkScript } from '../../helpers/echo-path.js';

const speex = speexDspAvailability();
const FRAME = 960;
const BLOCK = 480;

interface CallResult {
  /** What A's speaker played. */
  heardByA: Int16Array;
  /** B's engine after the call (its state and stage costs). */
  b: MediaEngine;
}

/**
 * A talks `script.played` (A's voice is what B's speaker plays), B talks
 * `script.near`; B's microphone hears B plus the echo of what B's engine
 * actually played. 20 ms capture frames, 10 ms playback pulls.
 */
async function call(script: TalkScript, bOptions: Partial<MediaEngineOptions>): Promise<CallResult> {
  const clock = new ManualClock(0);
  const path = new EchoPath();
  const mk = (extra: Partial<MediaEngineOptions>) => {
    const source = new ManualSource(20, clock);
    const sink = new ManualSink(10, clock);
    const engine = new MediaEngine({ frameMs: 20, source, sink, clock, cues: { enabled: false }, voiceGate: { enabled: false }, ...extra });
    return { source, sink, engine };
  };
  const a = mk({});
  const b = mk(bOptions);
  a.engine.addPeer('b', { sendRtp: (p) => b.engine.receive('a', Uint8Array.from(p), clock.now()) });
  b.engine.addPeer('a', { sendRtp: (p) => a.engine.receive('b', Uint8Array.from(p), clock.now()) });
  await a.engine.start();
  await b.engine.start();
  const total = script.played.length - (script.played.length % FRAME);
  const playedByB = new Int16Array(total);
  const heardByA = new Int16Array(total);
  const micB = new Int16Array(FRAME);
  for (let at = 0; at < total; at += FRAME) {
    // The 20 ms both speakers play; B's room turns B's into echo during the same 20 ms.
    for (let half = 0; half < FRAME; half += BLOCK) {
      playedByB.set(b.sink.pull(), at + half);
      heardByA.set(a.sink.pull(), at + half);
      clock.advance(10);
    }
    for (let n = 0; n < FRAME; n++) {
      let v = script.near[at + n] ?? 0;
      for (const tap of path.taps) {
        const k = at + n - tap.delaySamples;
        if (k >= 0) v += tap.gain * playedByB[k]!;
      }
      micB[n] = v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
    }
    a.source.push(script.played.subarray(at, at + FRAME));
    b.source.push(micB);
    // Let the send loops hand their packets over.
    await new Promise((r) => setImmediate(r));
  }
  await a.engine.stop();
  await b.engine.stop();
  return { heardByA, b: b.engine };
}

/** Samples by which `out` lags `ref` (the path's delay), from 4 s of B talking alone. */
function lagOf(ref: Int16Array, out: Int16Array, fromMs: number): number {
  const r = decimate(toFloat(ref.subarray(atMs(fromMs), atMs(fromMs + 2000))), 6);
  const s = decimate(toFloat(out.subarray(atMs(fromMs), atMs(fromMs + 2500))), 6);
  return findInSignal(r, s).lag * 6;
}

describe.skipIf(!speex.available)('MediaEngine echo cancellation and gain control', () => {
  it("A's own voice comes back ≥ 25 dB down with B's echo cancellation on, and A still hears B, also in double talk", async () => {
    const script = await turnsAndDoubleTalk();
    const off = await call(script, { echoCancellation: false });
    const on = await call(script, { echoCancellation: true });
    expect(on.b.self.processing['echo-cancellation']).toBe('on');
    expect(off.b.self.processing['echo-cancellation']).toBe('off');

    // A alone, after the canceller has learnt the room (2–5 s) and after double talk (16–20 s).
    for (const [fromMs, toMs] of [
      [2000, 5000],
      [16_000, 20_000],
    ] as const) {
      const aSaid = script.played;
      const backOff = energyRatioDb(off.heardByA, aSaid, atMs(fromMs), atMs(toMs));
      const backOn = energyRatioDb(on.heardByA, aSaid, atMs(fromMs), atMs(toMs));
      // Without cancellation A hears itself about as loud as the room returns it (−6 dB plus reverb).
      expect(backOff).toBeGreaterThan(-12);
      expect(backOn).toBeLessThanOrEqual(-25);
    }

    // A hears B: in double talk (5–10 s) and alone (10–15 s), ≥ 0.8 of B's 500 ms windows.
    const lag = lagOf(script.near, on.heardByA, 10_000);
    expect(lag).toBeGreaterThan(0);
    const aligned = on.heardByA.subarray(lag);
    for (const [fromMs, toMs] of [
      [5000, 10_000],
      [10_000, 15_000],
    ] as const) {
      const { found, total } = nearWindowsFound(script.near, aligned, fromMs, toMs - 500);
      expect(total).toBeGreaterThan(5);
      expect(found / total).toBeGreaterThanOrEqual(0.8);
    }
    // B is not muted in double talk: its level there within 6 dB of its level alone.
    const bDouble = energyRatioDb(aligned, script.near, atMs(5000), atMs(9500));
    const bAlone = energyRatioDb(aligned, script.near, atMs(10_000), atMs(14_500));
    expect(Math.abs(bDouble - bAlone)).toBeLessThanOrEqual(6);
  }, 60_000);

  it('switches echo cancellation and gain control at run time and reports them; filter costs name each stage', async () => {
    const clock = new ManualClock(0);
    const engine = new MediaEngine({ frameMs: 20, source: new ManualSource(20, clock), sink: new ManualSink(10, clock), clock, cues: { enabled: false }, autoGain: true });
    await engine.start();
    expect(engine.self.processing).toEqual({ 'echo-cancellation': 'off', 'noise-suppression': 'off', 'auto-gain': 'on' });
    engine.setProcessing('echo-cancellation', true);
    await new Promise((r) => setImmediate(r));
    engine.setProcessing('auto-gain', false);
    expect(engine.self.processing).toEqual({ 'echo-cancellation': 'on', 'noise-suppression': 'off', 'auto-gain': 'off' });
    expect(engine.filterCosts.map((c) => [c.name, c.enabled])).toEqual([
      ['echo-cancellation', true],
      ['auto-gain', false],
    ]);
    await engine.stop();
  });

  it('says "unavailable" when speexdsp cannot be built, and the call goes on', async () => {
    const clock = new ManualClock(0);
    const source = new ManualSource(20, clock);
    const engine = new MediaEngine({
      frameMs: 20,
      source,
      sink: new ManualSink(10, clock),
      clock,
      cues: { enabled: false },
      echoCancellation: true,
      autoGain: true,
      speexStageFactory: () => {
        throw new Error('speexdsp is not available (test)');
      },
    });
    await engine.start();
    expect(engine.self.processing['echo-cancellation']).toBe('unavailable');
    expect(engine.self.processing['auto-gain']).toBe('unavailable');
    source.push(new Int16Array(FRAME).fill(1000));
    expect(engine.captureStats.framesCaptured).toBe(1);
    await engine.stop();
  });
});
