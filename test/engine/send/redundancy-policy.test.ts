import { describe, expect, it } from 'vitest';
import { RedundancyPolicy } from '../../../src/engine/send/redundancy-policy.js';

/** Fraction lost as a report block carries it (RFC 3550 §6.4.1: loss × 256). */
const pct = (percent: number): number => Math.floor((percent * 256) / 100);

/** Feeds one report per second with the sequence number moving 50 packets each time (20 ms frames). */
function reporter(policy: RedundancyPolicy) {
  let seq = 1000;
  let t = 0;
  return (lossPercent: number, opts: { moved?: boolean; afterMs?: number } = {}): number => {
    t += opts.afterMs ?? 1000;
    if (opts.moved !== false) seq += 50;
    return policy.onReport(pct(lossPercent), seq, t);
  };
}

describe('RedundancyPolicy', () => {
  it('sends RED from the first frame, and on a clean link stops after 2 s of clean reports, for good', () => {
    const policy = new RedundancyPolicy();
    expect(policy.distance).toBe(1); // before any report: the first words are protected
    const report = reporter(policy);
    expect(report(0)).toBe(1); // t = 1 s: the hold starts
    expect(report(0)).toBe(1); // t = 2 s
    expect(report(0)).toBe(0); // t = 3 s: 2 s of clean reports
    for (let i = 0; i < 30; i++) expect(report(0)).toBe(0);
    expect(policy.smoothedLoss).toBe(0);
  });

  it('a start on a lossy link keeps RED, and the step down then takes the full 10 s hold', () => {
    const policy = new RedundancyPolicy();
    const report = reporter(policy);
    expect(report(3)).toBe(1); // smoothed 3 %: loss seen
    const seen: number[] = [];
    for (let i = 0; i < 14; i++) seen.push(report(0)); // smoothed < 1 % from the 2nd clean report (0.75 %)
    expect(seen.slice(0, 11)).toEqual(Array(11).fill(1));
    expect(seen).toContain(0);
  });

  it('startDistance 0 waits for reports, as a policy without a start would', () => {
    const policy = new RedundancyPolicy({ startDistance: 0 });
    const report = reporter(policy);
    for (let i = 0; i < 30; i++) expect(report(0)).toBe(0);
    expect(report(6)).toBe(1); // smoothed 2.9 %
  });

  it('one packet lost in one interval does not switch it on; the same in two intervals running does', () => {
    const policy = new RedundancyPolicy({ startDistance: 0 });
    const report = reporter(policy);
    report(0);
    expect(report(2)).toBe(0); // smoothed 1 %
    expect(report(0)).toBe(0);
    report(0);
    expect(report(2.5)).toBe(0);
    expect(report(3)).toBe(1); // smoothed ≈ 2.4 %
  });

  it('goes up at once (to 2 from ≥ 7 % smoothed) and down only after 10 s below the lower threshold', () => {
    const policy = new RedundancyPolicy({ startDistance: 0 });
    const report = reporter(policy);
    expect(report(10)).toBe(2); // the first report is taken as it is
    expect(report(5)).toBe(2); // 7.5 % smoothed
    expect(report(3)).toBe(2); // 5.3 %: above 4 %, stays
    const seen: number[] = [];
    for (let i = 0; i < 14; i++) seen.push(report(2)); // smoothed falls below 4 % at the first (3.5 %): held 10 s, then 1
    expect(seen.slice(0, 10)).toEqual(Array(10).fill(2));
    expect(seen.slice(10)).toEqual([1, 1, 1, 1]);
    // At 2 % it stays on 1: above the 1 % needed to switch off.
    for (let i = 0; i < 20; i++) expect(report(2)).toBe(1);
  });

  it('a report above the threshold restarts the hold: an episode between two bursts keeps redundancy on', () => {
    const policy = new RedundancyPolicy({ startDistance: 0 });
    const report = reporter(policy);
    report(4);
    expect(policy.distance).toBe(1);
    for (let i = 0; i < 8; i++) expect(report(0)).toBe(1);
    report(6); // a burst before the 10 s were up: smoothed back above 1 %
    for (let i = 0; i < 9; i++) expect(report(0)).toBe(1);
    let off = 0;
    for (let i = 0; i < 10 && off === 0; i++) if (report(0) === 0) off = i + 1;
    expect(off).toBeGreaterThan(0);
  });

  it('ignores reports that say nothing: the sequence number did not move (we were silent)', () => {
    const policy = new RedundancyPolicy({ startDistance: 0 });
    const report = reporter(policy);
    report(5);
    expect(policy.distance).toBe(1);
    const used = policy.reportsUsed;
    // A minute of silence: the peer's reports say 0 % of nothing.
    for (let i = 0; i < 60; i++) expect(report(0, { moved: false })).toBe(1);
    expect(policy.reportsUsed).toBe(used);
    expect(policy.smoothedLoss).toBeCloseTo(pct(5) / 256, 6);
  });

  it('a long pause between two clean reports counts as held: both reports measured the link', () => {
    const policy = new RedundancyPolicy({ startDistance: 0 });
    const report = reporter(policy);
    report(3);
    for (let i = 0; i < 3; i++) report(0); // smoothed < 1 % on the 3rd: the hold starts
    expect(report(0, { afterMs: 12_000 })).toBe(0);
  });

  it('refuses thresholds in the wrong order and a weight outside (0, 1]', () => {
    expect(() => new RedundancyPolicy({ oneAt: 0.05, oneBelow: 0.04 })).toThrow(RangeError);
    expect(() => new RedundancyPolicy({ weight: 0 })).toThrow(RangeError);
    expect(() => new RedundancyPolicy({ startDistance: 3 as 0 })).toThrow(RangeError);
  });
});
