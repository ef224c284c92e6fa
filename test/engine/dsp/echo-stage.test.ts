/**
 * The echo stage as the send chain runs it: played blocks in, microphone
 * frames through, on a ManualClock. An echo hidden 250 ms behind the
 * reference (a sound server's buffers nobody reported: beyond the 200 ms
 * tail) is found and the reference moved, after which the echo is removed;
 * an 80 ms echo, which the tail covers, is left where it is.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { speexDspAvailability } from '../../../src/engine/dsp/speexdsp.js';
import { createSpeexStage } from '../../../src/engine/dsp/speex-stages.js';
import type { EchoStage } from '../../../src/engine/dsp/echo-stage.js';
import { atMs, energyRatioDb, twentySecondsOfTalk } from '../../helpers/echo-path.js';

const speex = speexDspAvailability();
let talk: Int16Array;

beforeAll(async () => {
  talk = await twentySecondsOfTalk();
});

/** 20 s: the far end talks; the microphone hears it `delayMs` later at −6 dB. Returns what the stage sent and its figures. */
function run(delayMs: number): { sent: Int16Array; stage: EchoStage; moves: number[] } {
  const clock = new ManualClock(0);
  const moves: number[] = [];
  const stage = createSpeexStage('echo-cancellation', { clock, onEchoAligned: (rt) => moves.push(rt) }) as EchoStage;
  const delay = atMs(delayMs);
  const sent = new Int16Array(talk.length);
  const frame = new Int16Array(960);
  try {
    for (let at = 0; at + 960 <= talk.length; at += 960) {
      stage.played(talk.subarray(at, at + 480));
      clock.advance(10);
      stage.played(talk.subarray(at + 480, at + 960));
      clock.advance(10);
      for (let n = 0; n < 960; n++) frame[n] = at + n >= delay ? talk[at + n - delay]! >> 1 : 0;
      stage.process(frame);
      sent.set(frame, at);
    }
  } finally {
    stage.close();
  }
  return { sent, stage, moves };
}

describe.skipIf(!speex.available)('EchoStage', () => {
  it('finds an echo 250 ms behind the reference, moves the reference once, then removes ≥ 25 dB', () => {
    const { sent, stage, moves } = run(250);
    expect(moves).toHaveLength(1);
    // The echo now starts 30 ms behind the reference: 250 − 30 = 220 ms of round trip.
    expect(Math.abs(moves[0]! - 220)).toBeLessThanOrEqual(10);
    expect(stage.figures.moves).toBe(1);
    const mic = talk.map((x) => x >> 1);
    expect(energyRatioDb(sent, mic, atMs(12_000), atMs(20_000))).toBeLessThanOrEqual(-25);
  });

  it('leaves an echo the tail covers (80 ms) where it is: no move, and the echo is removed', () => {
    const { sent, moves } = run(80);
    expect(moves).toEqual([]);
    const mic = talk.map((x) => x >> 1);
    expect(energyRatioDb(sent, mic, atMs(5000), atMs(12_000))).toBeLessThanOrEqual(-25);
  });
});
