/**
 * Clock drift (issue 12 §3): the sender's sample clock runs ε away from our
 * playback clock, so its packets come a little more (or less) often than we
 * play them. Over a 30-minute call the buffer must keep its delay flat by
 * stretching (a pitch period at a time), never by dropping or repeating a
 * whole frame. Simulated on a ManualClock: 30 minutes in a few seconds.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { RemoteStream, type RemoteStreamOptions } from '../../../src/engine/receive/remote-stream.js';
import { packet, seededRandom, SineDecoder } from './fakes.js';

interface DriftRun {
  /** D (ms) once a second. */
  delays: number[];
  targets: number[];
  stats: ReturnType<RemoteStream['stats']>;
  decoder: SineDecoder;
  sent: number;
  maxJump: number;
}

/** Extra path delay of the packet sent at `sendMs` (ms), on top of 5 ms. */
type Impairment = (sendMs: number, random: () => number) => number;
const schedulingNoise: Impairment = (_sendMs, random) => random();

function simulateDrift(ppm: number, minutes: number, options: Partial<RemoteStreamOptions> = {}, impair: Impairment = schedulingNoise): DriftRun {
  const clock = new ManualClock(0);
  const decoder = new SineDecoder();
  const stream = new RemoteStream({ frameMs: 10, clock, decoderFactory: () => decoder, jitter: { marginMs: 2 }, ...options });
  const random = seededRandom(ppm + 1000);
  // The sender makes 960 of its samples every 20 ms of its own clock: 20 / (1 + ε) ms of ours.
  const sendPeriodMs = 20 / (1 + ppm * 1e-6);
  const endMs = minutes * 60_000;
  const delays: number[] = [];
  const targets: number[] = [];
  let seq = 0;
  // Arrivals in time order (jitter reorders), each packet's by its own send time.
  const pending: number[] = [];
  let nextSend = 0;
  let prev: number | undefined;
  let maxJump = 0;
  for (let k = 0, t = 3; t < endMs; k++, t += 10) {
    for (; nextSend * sendPeriodMs <= t; nextSend++) pending.push(nextSend, 5 + nextSend * sendPeriodMs + impair(nextSend * sendPeriodMs, random));
    for (;;) {
      let first = -1;
      for (let i = 1; i < pending.length; i += 2) if (pending[i]! <= t && (first < 0 || pending[i]! < pending[first]!)) first = i;
      if (first < 0) break;
      const [s, at] = pending.splice(first - 1, 2) as [number, number];
      clock.advance(Math.max(0, at - clock.now()));
      stream.insert(packet(s, s * 960, 1, { marker: s === 0 }), clock.now());
      seq++;
    }
    clock.advance(t - clock.now());
    const frame = stream.pullFrame();
    for (let i = 0; i < frame.length; i++) {
      if (prev !== undefined) maxJump = Math.max(maxJump, Math.abs(frame[i]! - prev));
      prev = frame[i]!;
    }
    if (k % 100 === 99) {
      const s = stream.stats();
      delays.push(s.currentDelayMs);
      targets.push(s.targetDelayMs);
    }
  }
  return { delays, targets, stats: stream.stats(), decoder, sent: seq, maxJump };
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('RemoteStream under clock drift', () => {
  for (const ppm of [100, -100, 300, -300]) {
    it(`${ppm > 0 ? '+' : ''}${ppm} ppm for 30 minutes: delay flat, every packet played once, only pitch periods stretched`, () => {
      const r = simulateDrift(ppm, 30);
      const s = r.stats;
      // No whole frame dropped, repeated or concealed; nothing late, nothing lost.
      expect([s.concealedFrames, s.concealed, s.discarded, s.catchUpDrops, s.late, s.lost, s.drains]).toEqual([0, 0, 0, 0, 0, 0, 0]);
      expect(r.decoder.concealedSamples).toBe(0);
      expect(r.decoder.decodedPackets).toBeGreaterThanOrEqual(r.sent - s.bufferedPackets - 1);
      // What was stretched is the drift itself: ε × 30 min of samples, to within a couple of periods.
      const drift = Math.abs(ppm) * 1e-6 * 30 * 60 * 48_000;
      const stretched = ppm > 0 ? s.accelerateSamples : s.expandSamples;
      const other = ppm > 0 ? s.expandSamples : s.accelerateSamples;
      expect(Math.abs(stretched - other - drift)).toBeLessThan(2 * 480);
      // Buffer delay drift < 5 ms: minutes 1–6 against the last five, and a band of one pull (+ hysteresis) throughout.
      const first = mean(r.delays.slice(60, 360));
      const last = mean(r.delays.slice(-300));
      expect(Math.abs(last - first)).toBeLessThan(5);
      const above = r.delays.slice(10).map((d, i) => d - r.targets[i + 10]!);
      expect(Math.min(...above)).toBeGreaterThan(-1);
      expect(Math.max(...above)).toBeLessThan(10 + 2 + 1);
      // The output is the sine without a click.
      expect(r.maxJump).toBeLessThanOrEqual(r.decoder.maxStep * 1.1);
    });
  }

  it('after a burst of jitter the delay follows the target up at once and is back at its clean level within 10 s', () => {
    // 20 s clean, 10 s of 0–60 ms uniform jitter, 40 s clean.
    const r = simulateDrift(0, 70 / 60, {}, (sendMs, random) => (sendMs >= 20_000 && sendMs < 30_000 ? 60 * random() : random()));
    const before = mean(r.delays.slice(10, 20));
    expect(Math.max(...r.delays.slice(20, 30))).toBeGreaterThan(before + 40);
    // From 10 s after the burst on, within 5 ms of the clean level.
    for (const d of r.delays.slice(40)) expect(Math.abs(d - before)).toBeLessThan(5);
    expect(r.stats.accelerateSamples).toBeGreaterThan(40 * 48);
    expect([r.stats.discarded, r.stats.catchUpDrops]).toEqual([0, 0]);
    expect(r.maxJump).toBeLessThanOrEqual(r.decoder.maxStep * 1.1);
  });

  it('without stretching the same drift drops or conceals whole frames (what the test above rules out)', () => {
    const off = { playout: { stretch: false } };
    const fast = simulateDrift(300, 10, off).stats;
    expect(fast.accelerateSamples + fast.expandSamples).toBe(0);
    expect(fast.discarded).toBeGreaterThan(0);
    const slow = simulateDrift(-300, 10, off).stats;
    expect(slow.concealed).toBeGreaterThan(0);
  });
});
