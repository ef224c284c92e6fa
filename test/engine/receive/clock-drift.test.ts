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

function simulateDrift(ppm: number, minutes: number, options: Partial<RemoteStreamOptions> = {}): DriftRun {
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
  let nextArrival = 5 + random();
  let prev: number | undefined;
  let maxJump = 0;
  for (let k = 0, t = 3; t < endMs; k++, t += 10) {
    // Path delay 5 ms plus up to 1 ms of scheduling noise.
    while (nextArrival <= t) {
      clock.advance(Math.max(0, nextArrival - clock.now()));
      stream.insert(packet(seq, seq * 960, 1, { marker: seq === 0 }), clock.now());
      seq++;
      nextArrival = 5 + seq * sendPeriodMs + random();
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

  it('without stretching the same drift drops or conceals whole frames (what the test above rules out)', () => {
    const off = { playout: { stretch: false } };
    const fast = simulateDrift(300, 10, off).stats;
    expect(fast.accelerateSamples + fast.expandSamples).toBe(0);
    expect(fast.discarded).toBeGreaterThan(0);
    const slow = simulateDrift(-300, 10, off).stats;
    expect(slow.concealed).toBeGreaterThan(0);
  });
});
