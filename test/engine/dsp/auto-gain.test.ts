/**
 * The AGC stage on speech: a quiet (−30 dBFS) and a loud (−6 dBFS, clipping)
 * talker arrive within 6 dB of each other once it has settled, it settles
 * within seconds, and it does not pump (no gain rise in pauses or noise).
 * Levels are active-speech RMS (src/engine/audio/level.ts activeRmsLevel).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoGain } from '../../../src/engine/dsp/auto-gain.js';
import { speexDspAvailability } from '../../../src/engine/dsp/speexdsp.js';
import { decimate, findInSignal, toFloat } from '../../../bench/lib/analysis.js';
import { activeRmsLevel } from '../../../src/engine/audio/level.js';
import { agcSettling, atMs as at, controlGain as runAgc, scaleToDbfs, twentySecondsOfTalk } from '../../helpers/echo-path.js';

const speex = speexDspAvailability();
const dbfs = (level: number): number => 20 * Math.log10(level);

let talk: Int16Array;

beforeAll(async () => {
  talk = await twentySecondsOfTalk();
});

describe.skipIf(!speex.available)('AutoGain (speexdsp preprocessor AGC)', () => {
  it('a −30 dBFS and a −6 dBFS talker arrive within 6 dB of each other, near the target', () => {
    const quiet = runAgc(scaleToDbfs(talk, -30)).out;
    const loud = runAgc(scaleToDbfs(talk, -6)).out;
    // After settling (see the next test): the last 15 s.
    const q = dbfs(activeRmsLevel(quiet, at(5000), quiet.length));
    const l = dbfs(activeRmsLevel(loud, at(5000), loud.length));
    expect(Math.abs(q - l)).toBeLessThanOrEqual(6);
    for (const level of [q, l]) expect(Math.abs(level - -24)).toBeLessThanOrEqual(3);
    // The input spread was 24 dB.
  });

  it('settles within 3 s for both talkers and then holds within a few dB', () => {
    for (const level of [-30, -6]) {
      const { gainsDb } = runAgc(scaleToDbfs(talk, level));
      const { settledMs, wanderDb } = agcSettling(gainsDb);
      expect(settledMs).toBeLessThanOrEqual(3000);
      // Afterwards it follows the talker from sentence to sentence, slowly: no swings of 10 dB.
      expect(wanderDb).toBeLessThanOrEqual(8);
    }
  });

  it('does not pump: the gain holds through a 3 s pause with a −60 dBFS noise floor, and the noise is not lifted', () => {
    const speech = scaleToDbfs(talk.subarray(0, at(8000)), -36);
    const input = new Int16Array(at(8000 + 3000 + 5000));
    input.set(speech, 0);
    input.set(scaleToDbfs(talk.subarray(at(8000), at(13_000)), -36), at(11_000));
    // Seeded noise floor everywhere, about −60 dBFS.
    let seed = 99;
    for (let n = 0; n < input.length; n++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      input[n] = Math.max(-32768, Math.min(32767, input[n]! + Math.round(((seed / 2 ** 32) - 0.5) * 113)));
    }
    const { out, gainsDb } = runAgc(input);
    const before = gainsDb[799]!; // end of the first 8 s of speech
    const pause = gainsDb.slice(800 + 30, 1100); // the pause, after the last word's tail
    expect(Math.max(...pause)).toBeLessThanOrEqual(before + 1);
    // Noise in the pause leaves no louder than it came in, lifted by at most the speech gain.
    const noiseIn = activeRmsLevel(input, at(8300), at(11_000));
    const noiseOut = activeRmsLevel(out, at(8300), at(11_000));
    expect(dbfs(noiseOut) - dbfs(noiseIn)).toBeLessThanOrEqual(before + 1);
  });

  it('adds no delay (speexdsp as a side chain: its gain on the block itself), and counts its cost', () => {
    const input = scaleToDbfs(talk.subarray(0, at(5000)), -24);
    const { out, blockMs } = runAgc(input, { maxGainDb: 0 });
    const ref = decimate(toFloat(input.subarray(at(1000), at(3000))), 6);
    const sig = decimate(toFloat(out.subarray(at(900), at(3200))), 6);
    const peak = findInSignal(ref, sig);
    expect((peak.lag * 6) / 48 - 100).toBe(0);
    // Only a slowly varying gain between them (it may still turn a loud syllable down a dB or two).
    expect(peak.value).toBeGreaterThan(0.99);
    expect(blockMs.length).toBe(500);
    expect(blockMs.reduce((a, b) => a + b, 0) / blockMs.length).toBeLessThan(0.5);
  });

  it('holds its gain while told to (others are being heard), and adapts again after', () => {
    const quiet = scaleToDbfs(talk.subarray(0, at(10_000)), -40);
    const agc = new AutoGain();
    const block = new Int16Array(480);
    let hold = true;
    agc.holdWhen = () => hold;
    try {
      for (let k = 0; k < 500; k++) agc.processBlock(quiet.subarray(k * 480, (k + 1) * 480), block);
      // 5 s of a quiet talker while held: no gain at all, the output is the input.
      expect(agc.gainDb()).toBe(0);
      expect(Array.from(block)).toEqual(Array.from(quiet.subarray(499 * 480, 500 * 480)));
      hold = false;
      for (let k = 500; k < 1000; k++) agc.processBlock(quiet.subarray(k * 480, (k + 1) * 480), block);
      expect(agc.gainDb()).toBeGreaterThanOrEqual(6);
    } finally {
      agc.close();
    }
  });

  it('rejects a target speexdsp cannot reach and odd block sizes; reset and close are safe', () => {
    expect(() => new AutoGain({ targetDbfs: -10 })).toThrow(RangeError);
    const agc = new AutoGain({ timed: true });
    expect(() => agc.processBlock(new Int16Array(960), new Int16Array(960))).toThrow(RangeError);
    agc.processBlock(new Int16Array(480), new Int16Array(480));
    expect(agc.cost.blocks).toBe(1);
    agc.reset();
    expect(agc.gainDb()).toBe(0);
    agc.close();
    agc.close();
  });
});
