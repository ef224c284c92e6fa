import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { FarEndReference } from '../../../src/engine/dsp/far-end-reference.js';
import { createRandom } from '../../../src/engine/sim/prng.js';

const BLOCK = 480;

/** Played block k holds the sample values 480k … 480k + 479 (mod 2^15), so positions can be read back. */
function ramp(k: number): Int16Array {
  const b = new Int16Array(BLOCK);
  for (let i = 0; i < BLOCK; i++) b[i] = (k * BLOCK + i) % 32768;
  return b;
}

describe('FarEndReference: pairing a capture block with what was played', () => {
  it('with a 0 ms round trip, the capture block delivered at the end of tick k gets played block k', () => {
    const clock = new ManualClock(1000);
    const ref = new FarEndReference({ clock, roundTripMs: 0 });
    const out = new Int16Array(BLOCK);
    for (let k = 0; k < 20; k++) {
      ref.pushPlayed(ramp(k));
      clock.advance(10);
      ref.readFor(out);
      expect(Array.from(out)).toEqual(Array.from(ramp(k)));
    }
    expect(ref.counts).toEqual({ pairedBlocks: 20, silentBlocks: 0, lagChanges: 0 });
  });

  it('a round trip of 35 ms pairs with audio handed over 35 ms earlier (sample exact), silence before playback began', () => {
    const clock = new ManualClock(0);
    const ref = new FarEndReference({ clock, roundTripMs: 35 });
    const out = new Int16Array(BLOCK);
    for (let k = 0; k < 30; k++) {
      ref.pushPlayed(ramp(k));
      clock.advance(10);
      ref.readFor(out);
      const first = k * BLOCK - 35 * 48;
      for (const i of [0, 100, 479]) expect(out[i]).toBe(first + i < 0 ? 0 : (first + i) % 32768);
    }
  });

  it('scheduling jitter of the hand-overs and deliveries does not move the pairing', () => {
    const rnd = createRandom(7);
    const clock = new ManualClock(0);
    const ref = new FarEndReference({ clock, roundTripMs: 20 });
    const out = new Int16Array(BLOCK);
    // Device ticks every 10 ms; JavaScript sees each event 0–4 ms late.
    let t = 0;
    const events: { at: number; kind: 'play' | 'capture'; k: number }[] = [];
    for (let k = 0; k < 200; k++) {
      events.push({ at: k * 10 + 4 * rnd.next(), kind: 'play', k });
      events.push({ at: (k + 1) * 10 + 4 * rnd.next(), kind: 'capture', k });
    }
    events.sort((a, b) => a.at - b.at);
    const firsts: number[] = [];
    for (const e of events) {
      clock.advance(e.at - t);
      t = e.at;
      if (e.kind === 'play') ref.pushPlayed(ramp(e.k));
      else {
        ref.readFor(out);
        if (e.k >= 100) firsts.push(out[0]! - ((e.k * BLOCK) % 32768));
      }
    }
    // Raw hand-over times wander by 4 ms (192 samples); the pairing stays
    // within about a millisecond of 20 ms = 960 samples back, and holds still
    // (each move would be a new echo path for the canceller to learn).
    const deviations = firsts.map((d) => ((d + 960 + 16384 + 32768 * 2) % 32768) - 16384);
    expect(Math.max(...deviations.map(Math.abs))).toBeLessThanOrEqual(60);
    expect(new Set(deviations).size).toBe(1);
    expect(ref.counts.lagChanges).toBeLessThanOrEqual(2);
  });

  it('follows a playback stall: after the hand-overs move later for good, pairing moves with them within seconds', () => {
    const clock = new ManualClock(0);
    const ref = new FarEndReference({ clock, roundTripMs: 0, windowMs: 1000 });
    const out = new Int16Array(BLOCK);
    // 2 s aligned, then playback hands over 30 ms later than before (a stall the device absorbed).
    let shiftMs = 0;
    let t = 0;
    const step = (k: number): void => {
      const playAt = k * 10 + shiftMs;
      clock.advance(playAt - t);
      t = playAt;
      ref.pushPlayed(ramp(k));
      clock.advance((k + 1) * 10 - t);
      t = (k + 1) * 10;
      ref.readFor(out);
    };
    for (let k = 0; k < 200; k++) step(k);
    expect(ref.timelineOffsetMs).toBeCloseTo(0, 6);
    shiftMs = 30;
    for (let k = 200; k < 600; k++) step(k);
    // A 1 s window: the 30 ms shift is followed within 1 s of the 4 s that passed.
    expect(ref.timelineOffsetMs).toBeCloseTo(-30, 6);
    // The capture block of tick 599 now holds what was handed over 30 ms into tick 599.
    const expected = (599 * BLOCK - 30 * 48) % 32768;
    expect(Math.abs(out[0]! - expected)).toBeLessThanOrEqual(48);
    expect(ref.counts.lagChanges).toBe(1);
  });

  it('uses the sink\'s heard-at and the source\'s captured-at times when given, whatever the hand-over times', () => {
    const clock = new ManualClock(0);
    const ref = new FarEndReference({ clock, roundTripMs: 0 });
    const out = new Int16Array(BLOCK);
    for (let k = 0; k < 50; k++) {
      // Handed over 30 ms before being heard (a device queue of three blocks);
      // the capture block that began when block k − 3 was heard arrives now,
      // 10 ms after it began. Only the given times decide the pairing.
      ref.pushPlayed(ramp(k), k * 10 + 30);
      clock.advance(10);
      if (k >= 3) {
        ref.readFor(out, (k - 3) * 10 + 30);
        expect(Array.from(out)).toEqual(Array.from(ramp(k - 3)));
      }
    }
  });

  it('audio older than the ring is silence, and so is audio not yet played', () => {
    const clock = new ManualClock(0);
    const ref = new FarEndReference({ clock, roundTripMs: 0, capacityMs: 50 });
    const out = new Int16Array(BLOCK);
    for (let k = 0; k < 10; k++) {
      ref.pushPlayed(ramp(k));
      clock.advance(10);
    }
    // Capture starts at 90 ms; 80 ms back is sample 480, but the 50 ms ring keeps only 2400 onwards.
    ref.setRoundTripMs(80);
    ref.readFor(out);
    expect(out.every((x) => x === 0)).toBe(true);
    expect(ref.counts.silentBlocks).toBe(1);
  });

  it('rejects nonsense settings', () => {
    const clock = new ManualClock(0);
    expect(() => new FarEndReference({ clock, roundTripMs: -1 })).toThrow(RangeError);
    expect(() => new FarEndReference({ clock, roundTripMs: 0, capacityMs: 5 })).toThrow(RangeError);
  });
});
