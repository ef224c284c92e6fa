import { describe, expect, it } from 'vitest';
import { PlayoutPolicy, type PlayoutSituation } from '../../../src/engine/receive/playout-policy.js';

/** A 20 ms packet pulled with `aheadSamples` in the FIFO, D − target = `aboveTargetMs`. */
const situation = (aboveTargetMs: number, over: Partial<PlayoutSituation> = {}): PlayoutSituation => ({
  aboveTargetMs,
  aheadSamples: 0,
  packetSamples: 960,
  overTarget: false,
  quiet: false,
  afterConcealment: false,
  ...over,
});

describe('PlayoutPolicy (10 ms pulls)', () => {
  it('plays as is while the margin is within [0, one pull + hysteresis) and there is no slack: a clean link never stretches', () => {
    const policy = new PlayoutPolicy();
    for (const x of [0, 0.5, 5, 9.99, 11.9]) expect(policy.decide(situation(x)).action).toBe('normal');
    // The FIFO's samples in front of the packet count as latency, not margin: 5 ms ahead, D − target 8 → margin 3.
    // A 20 ms packet after 240 samples leaves 240 of slack (1200 mod 480): trimmed, margin unchanged.
    expect(policy.decide(situation(8, { aheadSamples: 240 }))).toEqual({ action: 'accelerate', maxSamples: 240 });
  });

  it('accelerates from one pull + hysteresis of margin, by no more than the pulls the margin can spare', () => {
    const policy = new PlayoutPolicy();
    expect(policy.decide(situation(12))).toEqual({ action: 'accelerate', maxSamples: 480 });
    expect(policy.decide(situation(47.3))).toEqual({ action: 'accelerate', maxSamples: 4 * 480 });
    // With 100 samples of slack, those go first, then whole pulls.
    expect(policy.decide(situation(14 + 100 / 48, { aheadSamples: 100 }))).toEqual({ action: 'accelerate', maxSamples: 100 + 480 });
  });

  it('expands under target, by at most what keeps the margin under one pull after its crossings', () => {
    const policy = new PlayoutPolicy();
    // Margin −0.01 ms: one crossing allowed, slack 0 → P < 2 pulls.
    expect(policy.decide(situation(-0.01))).toEqual({ action: 'expand', maxSamples: 959 });
    // Margin −25 ms: three crossings → P < 4 pulls.
    expect(policy.decide(situation(-25))).toEqual({ action: 'expand', maxSamples: 4 * 480 - 1 });
    // With slack, fewer samples reach the same crossings.
    expect(policy.decide(situation(-1 + 300 / 48, { aheadSamples: 300 }))).toEqual({ action: 'expand', maxSamples: 959 - 300 });
  });

  it('decides on the packet that completes the playback frame only', () => {
    const policy = new PlayoutPolicy({ pullMs: 20 });
    // A 10 ms packet into an empty 20 ms frame: the next one is needed at the same pull and carries the decision.
    expect(policy.decide(situation(-5, { packetSamples: 480 })).action).toBe('normal');
    expect(policy.decide(situation(-5 + 10, { packetSamples: 480, aheadSamples: 480 })).action).toBe('expand');
  });

  it('drops a quiet packet the buffer flags as over target, but not right after concealment (it would cut into a fade)', () => {
    const policy = new PlayoutPolicy();
    expect(policy.decide(situation(35, { overTarget: true, quiet: true })).action).toBe('drop');
    expect(policy.decide(situation(35, { overTarget: true, quiet: true, afterConcealment: true })).action).toBe('accelerate');
    expect(policy.decide(situation(35, { overTarget: true, quiet: false })).action).toBe('accelerate');
    expect(policy.decide(situation(35, { overTarget: false, quiet: true })).action).toBe('accelerate');
  });

  it('with stretching off only drops quiet packets; reuses one decision object', () => {
    const off = new PlayoutPolicy({ stretch: false });
    expect(off.decide(situation(-30)).action).toBe('normal');
    expect(off.decide(situation(60)).action).toBe('normal');
    expect(off.decide(situation(60, { overTarget: true, quiet: true })).action).toBe('drop');
    const policy = new PlayoutPolicy();
    expect(policy.decide(situation(12))).toBe(policy.decide(situation(0)));
    expect(policy.decide(situation(0)).maxSamples).toBe(0);
    expect(() => new PlayoutPolicy({ pullMs: 0 })).toThrow(RangeError);
  });
});
