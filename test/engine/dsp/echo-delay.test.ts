/**
 * The echo delay estimator on speech envelopes: it finds an echo hidden
 * behind unreported buffering, needs two agreeing estimates, ignores a
 * silent far end, and is not fooled by a near-end talker alone.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { EchoDelayEstimator } from '../../../src/engine/dsp/echo-delay.js';
import { createRandom } from '../../../src/engine/sim/prng.js';
import { twentySecondsOfTalk } from '../../helpers/echo-path.js';

const BLOCK = 480;
let talk: Int16Array;

beforeAll(async () => {
  talk = await twentySecondsOfTalk();
});

function meanSquare(x: Int16Array, block: number): number {
  let s = 0;
  for (let i = block * BLOCK; i < (block + 1) * BLOCK && i < x.length; i++) s += x[i]! * x[i]!;
  return s / BLOCK;
}

/** Feed `blocks` blocks: far = speech, mic = far delayed by `delayBlocks` at `gain`, plus `near` and noise. */
function feed(est: EchoDelayEstimator, opts: { delayBlocks: number; gain?: number; blocks: number; farSilent?: boolean; near?: Int16Array }): number[] {
  const found: number[] = [];
  const rnd = createRandom(3);
  const gain = opts.gain ?? 0.5;
  for (let k = 0; k < opts.blocks; k++) {
    const far = opts.farSilent === true ? 0 : meanSquare(talk, k % 2000);
    const echoBlock = k - opts.delayBlocks;
    const echo = opts.farSilent === true || echoBlock < 0 ? 0 : meanSquare(talk, echoBlock % 2000) * gain * gain;
    const near = opts.near !== undefined ? meanSquare(opts.near, k % 2000) : 0;
    const noise = 30 * 30 * (0.5 + rnd.next());
    const lag = est.push(far, echo + near + noise);
    if (lag !== null) found.push(lag);
  }
  return found;
}

describe('EchoDelayEstimator', () => {
  it('finds an echo 230 ms behind the reference (a sound server nobody reported), within a block, after two agreeing estimates', () => {
    const est = new EchoDelayEstimator();
    const found = feed(est, { delayBlocks: 23, blocks: 1200 });
    expect(found.length).toBeGreaterThan(0);
    for (const lag of found) expect(Math.abs(lag - 23)).toBeLessThanOrEqual(1);
    expect(est.correlation).toBeGreaterThan(0.8);
  });

  it('finds a reference that lags the echo (negative delay)', () => {
    const est = new EchoDelayEstimator();
    const found = feed(est, { delayBlocks: -6, blocks: 1200 });
    expect(found.length).toBeGreaterThan(0);
    for (const lag of found) expect(Math.abs(lag + 6)).toBeLessThanOrEqual(1);
  });

  it('says nothing while the far end is silent, or when only the near end talks', () => {
    expect(feed(new EchoDelayEstimator(), { delayBlocks: 10, blocks: 1500, farSilent: true })).toEqual([]);
    // Far end talking, but the microphone holds only an unrelated talker (no echo path at all).
    const near = talk.subarray(BLOCK * 700);
    expect(feed(new EchoDelayEstimator(), { delayBlocks: 10, gain: 0, blocks: 1500, near })).toEqual([]);
  });

  it('forgets the old pairing on restart: no estimate before a fresh window has filled', () => {
    const est = new EchoDelayEstimator();
    expect(feed(est, { delayBlocks: 12, blocks: 1000 }).length).toBeGreaterThan(0);
    est.restart();
    // A full ring (window + lag range: 320 blocks) and a second estimate 50 blocks later: nothing before.
    expect(feed(est, { delayBlocks: 12, blocks: 360 })).toEqual([]);
    expect(feed(est, { delayBlocks: 12, blocks: 200 }).length).toBeGreaterThan(0);
  });

  it('rejects a lag range the window cannot hold', () => {
    expect(() => new EchoDelayEstimator({ windowBlocks: 50, maxLagBlocks: 60 })).toThrow(RangeError);
    expect(() => new EchoDelayEstimator({ minLagBlocks: 5 })).toThrow(RangeError);
  });
});
