import { describe, expect, it } from 'vitest';
import { readWavMono48k } from '../../../src/engine/audio/wav-file.js';
import { MAX_PERIOD_SAMPLES, MIN_PERIOD_SAMPLES, TimeStretcher } from '../../../src/engine/receive/time-stretch.js';
import { seededRandom } from './fakes.js';

const sine = (n: number, hz: number, amp = 8000, from = 0): Int16Array =>
  Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * hz * (from + i)) / 48_000)));

/** A chunk of `n` samples in a buffer with room for an expansion. */
function chunk(samples: Int16Array): Int16Array {
  const buf = new Int16Array(samples.length + MAX_PERIOD_SAMPLES);
  buf.set(samples);
  return buf;
}

function maxJump(x: ArrayLike<number>, from = 0, to = x.length): number {
  let m = 0;
  for (let i = from + 1; i < to; i++) m = Math.max(m, Math.abs(x[i]! - x[i - 1]!));
  return m;
}

/** Frequency from the mean distance between rising zero crossings. */
function frequency(x: Int16Array, len: number): number {
  const ups: number[] = [];
  for (let i = 1; i < len; i++) if (x[i - 1]! < 0 && x[i]! >= 0) ups.push(i - x[i]! / (x[i]! - x[i - 1]!));
  return (48_000 * (ups.length - 1)) / (ups.at(-1)! - ups[0]!);
}

describe('TimeStretcher', () => {
  it('accelerate on a sine removes whole periods: the output is the same sine, joined without a step', () => {
    const s = sine(2000, 200); // period 240 samples
    const buf = chunk(s.subarray(100, 1060));
    const len = new TimeStretcher().accelerate(buf, 960);
    const p = 960 - len;
    expect([240, 480]).toContain(p);
    // Same waveform: what is left is the sine continuing from where it was (within rounding).
    for (let i = 0; i < len; i++) expect(Math.abs(buf[i]! - s[100 + i]!)).toBeLessThanOrEqual(2);
    // Continuity with the sample played before and the next chunk (which starts at s[1060], now right after y[len − 1]).
    const joined = Int16Array.from([s[99]!, ...buf.subarray(0, len), ...s.subarray(1060, 1160)]);
    expect(maxJump(joined)).toBeLessThanOrEqual(maxJump(s) + 2);
  });

  it('expand on a sine inserts whole periods without a step', () => {
    const s = sine(3000, 200);
    const buf = chunk(s.subarray(0, 960));
    const len = new TimeStretcher().expand(buf, 960);
    const p = len - 960;
    expect([240, 480, 720]).toContain(p);
    for (let i = 0; i < len; i++) expect(Math.abs(buf[i]! - s[i]!)).toBeLessThanOrEqual(2);
    const joined = Int16Array.from([...buf.subarray(0, len), ...s.subarray(960, 1100)]);
    expect(maxJump(joined)).toBeLessThanOrEqual(maxJump(s) + 2);
  });

  it('keeps the pitch of a sine whose period is not a whole number of samples, and makes no click', () => {
    const hz = 441; // 108.84 samples
    const s = sine(960 * 40, hz, 12_000);
    // 40 chunks, every one accelerated, then 40 expanded: the output is the concatenation.
    for (const mode of ['accelerate', 'expand'] as const) {
      const stretcher = new TimeStretcher();
      const out: number[] = [];
      let changed = 0;
      for (let k = 0; k < 40; k++) {
        const buf = chunk(s.subarray(k * 960, (k + 1) * 960));
        const len = mode === 'accelerate' ? stretcher.accelerate(buf, 960) : stretcher.expand(buf, 960);
        if (len !== 960) changed++;
        out.push(...buf.subarray(0, len));
      }
      expect(changed).toBe(40);
      const y = Int16Array.from(out);
      expect(Math.abs(frequency(y, y.length) - hz)).toBeLessThan(hz * 0.01);
      // Chunk joins are where a stretched period meets unstretched audio: a click would be a jump far above the sine's own.
      expect(maxJump(y)).toBeLessThanOrEqual(maxJump(s) * 1.1);
    }
  });

  it('leaves noise alone (no lag correlates), and a quiet chunk takes the longest lag allowed', () => {
    const random = seededRandom(7);
    const noise = Int16Array.from({ length: 960 }, () => Math.round((random() - 0.5) * 16_000));
    const buf = chunk(noise);
    const stretcher = new TimeStretcher();
    expect(stretcher.accelerate(buf, 960)).toBe(960);
    expect(stretcher.expand(buf, 960)).toBe(960);
    expect(buf.subarray(0, 960)).toEqual(noise);

    const quiet = chunk(Int16Array.from({ length: 960 }, () => Math.round((random() - 0.5) * 100)));
    expect(stretcher.accelerate(quiet, 960)).toBe(480); // half the chunk
    expect(stretcher.accelerate(chunk(new Int16Array(1920)), 1920)).toBe(1920 - MAX_PERIOD_SAMPLES);
    expect(stretcher.expand(chunk(new Int16Array(960)), 960, 300)).toBe(1260);
  });

  it('never removes or inserts more than it is allowed', () => {
    const s = sine(960, 200); // period 240: lags up to 200 do not correlate
    const buf = chunk(s);
    const stretcher = new TimeStretcher();
    expect(stretcher.accelerate(buf, 960, 200)).toBe(960);
    expect(stretcher.expand(buf, 960, 200)).toBe(960);
    expect(stretcher.accelerate(buf, 960, MIN_PERIOD_SAMPLES - 1)).toBe(960);
    expect(stretcher.accelerate(buf, 960, 250)).toBe(720);
    // Room in the buffer bounds an expansion too.
    const tight = Int16Array.from(s);
    expect(stretcher.expand(tight, 960 - 100)).toBe(860);
  });

  it('on speech: stretches voiced chunks, declines others, and adds no click at any join', async () => {
    const speech = await readWavMono48k(new URL('../../../fixtures/speech-a.wav', import.meta.url).pathname);
    const n = Math.floor(speech.length / 960);
    for (const mode of ['accelerate', 'expand'] as const) {
      const stretcher = new TimeStretcher();
      const out = new Int16Array(speech.length * 2);
      let outLen = 0;
      let changed = 0;
      for (let k = 0; k < n; k++) {
        const buf = chunk(speech.subarray(k * 960, (k + 1) * 960));
        const len = mode === 'accelerate' ? stretcher.accelerate(buf, 960) : stretcher.expand(buf, 960);
        if (len !== 960) {
          changed++;
          expect(stretcher.lastPeriod).toBe(Math.abs(len - 960));
        }
        out.set(buf.subarray(0, len), outLen);
        outLen += len;
      }
      // Speech has pauses (quiet: stretched) and voiced parts (periodic: stretched) and some of neither.
      expect(changed).toBeGreaterThan(n * 0.3);
      expect(changed).toBeLessThan(n);
      expect(maxJump(out, 0, outLen)).toBeLessThanOrEqual(maxJump(speech) * 1.1);
    }
  });
});
