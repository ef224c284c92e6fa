import { describe, expect, it } from 'vitest';
import { detectOnsets, findInSignal, makeClickTrain, matchOnsets, median, percentile, presenceOf, toneShare } from '../../../bench/lib/analysis.js';
import { createRandom } from '../../../src/engine/sim/prng.js';

function noise(n: number, seed: number, amp = 8000): Int16Array {
  const r = createRandom(seed);
  return Int16Array.from({ length: n }, () => Math.round((r.next() * 2 - 1) * amp));
}

describe('analysis', () => {
  it('finds a segment at its true offset with correlation ~1', () => {
    const sig = Float32Array.from(noise(5000, 1), (v) => v / 32768);
    const ref = sig.slice(1234, 1234 + 1000);
    const peak = findInSignal(ref, sig);
    expect(peak.lag).toBe(1234);
    expect(peak.value).toBeGreaterThan(0.999);
  });

  it('tells a delayed, mixed input from an unrelated one', () => {
    const a = noise(48_000 * 3, 2), b = noise(48_000 * 3, 3), c = noise(48_000 * 3, 4);
    const delay = 48 * 37; // 37 ms
    const out = new Int16Array(a.length + delay);
    for (let i = 0; i < a.length; i++) out[i + delay] = (a[i]! + b[i]!) >> 1;
    const pa = presenceOf(a, out);
    expect(pa.value).toBeGreaterThan(0.6);
    expect(Math.abs(pa.lagMs - 37)).toBeLessThan(1);
    expect(presenceOf(c, out).value).toBeLessThan(0.2);
  });

  it('detects click onsets and matches them with a known delay', () => {
    const train = makeClickTrain({ durationMs: 3000, intervalMs: 250 });
    expect(detectOnsets(train.samples)).toEqual(train.onsets);
    const delayed = new Int16Array(train.samples.length);
    delayed.set(train.samples.subarray(0, train.samples.length - 1440), 1440); // 30 ms
    const delays = matchOnsets(train.onsets, detectOnsets(delayed));
    expect(delays.length).toBe(train.onsets.length);
    expect(median(delays)).toBeCloseTo(30, 1);
    // A start-time offset between the two recordings shifts every delay.
    expect(median(matchOnsets(train.onsets, detectOnsets(delayed), { offsetSamples: 480 }))).toBeCloseTo(40, 1);
  });

  it('median and percentile', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it('toneShare: a tone at the pitch is ~all of its power, 4 Hz off still most, noise and other pitches ~none', () => {
    const rand = createRandom(7);
    const n = 48_000;
    const tone = (hz: number): Int16Array => Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 48_000 + 0.3)));
    const noise = Int16Array.from({ length: n }, () => Math.round((rand.next() - 0.5) * 16_000));
    expect(toneShare(tone(1000), 1000)).toBeGreaterThan(0.99);
    expect(toneShare(tone(1004), 1000)).toBeGreaterThan(0.7);
    expect(toneShare(tone(700), 1000)).toBeLessThan(0.01);
    expect(toneShare(noise, 1000)).toBeLessThan(0.01);
    expect(toneShare(new Int16Array(n), 1000)).toBe(0);
    // Only the range asked about: a tone in the second half only.
    const half = new Int16Array(n);
    half.set(tone(1000).subarray(n / 2), n / 2);
    expect(toneShare(half, 1000, 0, n / 2)).toBe(0);
    expect(toneShare(half, 1000, n / 2)).toBeGreaterThan(0.99);
  });
});
