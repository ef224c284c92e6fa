import { describe, expect, it } from 'vitest';
import { PlayoutPolicy } from '../../../src/engine/receive/playout-policy.js';

const situation = (aboveTargetMs: number, over: Partial<{ overTarget: boolean; quiet: boolean; afterConcealment: boolean }> = {}) => ({
  aboveTargetMs,
  overTarget: false,
  quiet: false,
  afterConcealment: false,
  ...over,
});

describe('PlayoutPolicy', () => {
  it('plays as is within [target, target + accelerateAboveMs)', () => {
    const policy = new PlayoutPolicy();
    for (const x of [0, 0.5, 5, 9.99]) expect(policy.decide(situation(x)).action).toBe('normal');
  });

  it('accelerates from accelerateAboveMs, removing at most what brings the delay back to target', () => {
    const policy = new PlayoutPolicy();
    const d = policy.decide(situation(10));
    expect(d).toEqual({ action: 'accelerate', maxSamples: 480 });
    expect(policy.decide(situation(47.3)).maxSamples).toBe(Math.floor(47.3 * 48));
    // With the expand zone below −3 ms, it may go that far.
    expect(new PlayoutPolicy({ accelerateAboveMs: 20, expandBelowMs: -3 }).decide(situation(20)).maxSamples).toBe(23 * 48);
  });

  it('expands under target, inserting at most what keeps it under the accelerate zone', () => {
    const policy = new PlayoutPolicy();
    expect(policy.decide(situation(-0.01)).action).toBe('expand');
    expect(policy.decide(situation(-0.01)).maxSamples).toBe(Math.floor(9.01 * 48));
    expect(policy.decide(situation(-40)).maxSamples).toBe(49 * 48);
  });

  it('drops a quiet packet the buffer flags as over target, but not right after concealment (it would cut into the fade)', () => {
    const policy = new PlayoutPolicy();
    expect(policy.decide(situation(35, { overTarget: true, quiet: true })).action).toBe('drop');
    expect(policy.decide(situation(35, { overTarget: true, quiet: true, afterConcealment: true })).action).toBe('accelerate');
    expect(policy.decide(situation(35, { overTarget: true, quiet: false })).action).toBe('accelerate');
    expect(policy.decide(situation(35, { overTarget: false, quiet: true })).action).toBe('accelerate');
  });

  it('reuses one decision object and refuses zones too close for a period to fit', () => {
    const policy = new PlayoutPolicy();
    expect(policy.decide(situation(12))).toBe(policy.decide(situation(0)));
    expect(policy.decide(situation(0)).maxSamples).toBe(0);
    expect(() => new PlayoutPolicy({ accelerateAboveMs: 4, expandBelowMs: 0 })).toThrow(RangeError);
  });
});
