import { describe, expect, it } from 'vitest';
import { SpeakingDetector } from '../../../src/engine/receive/speaking.js';

describe('SpeakingDetector', () => {
  const make = () => new SpeakingDetector({ frameMs: 20, onLevel: 0.1, offLevel: 0.05, onMs: 40, offMs: 100 });

  it('turns on only after the level stays above on-threshold for onMs', () => {
    const d = make();
    expect(d.update(0.2)).toBe(false);
    expect(d.update(0.01)).toBe(false); // a click: resets
    expect(d.update(0.2)).toBe(false);
    expect(d.update(0.2)).toBe(true); // 2 frames = 40 ms
  });

  it('stays on through short pauses (hangover) and turns off after offMs below off-threshold', () => {
    const d = make();
    d.update(0.2);
    d.update(0.2);
    for (let i = 0; i < 4; i++) expect(d.update(0.0)).toBe(true);
    expect(d.update(0.2)).toBe(true); // speech resumes within the hangover
    for (let i = 0; i < 4; i++) expect(d.update(0.0)).toBe(true);
    expect(d.update(0.0)).toBe(false); // 5 frames = 100 ms
  });

  it('holds its state between the two thresholds', () => {
    const d = make();
    for (let i = 0; i < 10; i++) expect(d.update(0.07)).toBe(false);
    d.update(0.2);
    d.update(0.2);
    for (let i = 0; i < 50; i++) expect(d.update(0.07)).toBe(true);
    // Time between thresholds does not count towards the hangover.
    for (let i = 0; i < 4; i++) d.update(0.0);
    d.update(0.07);
    for (let i = 0; i < 4; i++) expect(d.update(0.0)).toBe(true);
    expect(d.update(0.0)).toBe(false);
  });

  it('treats NaN as silence and validates options', () => {
    const d = make();
    expect(d.update(Number.NaN)).toBe(false);
    expect(() => new SpeakingDetector({ frameMs: 0 })).toThrow(/frameMs/);
    expect(() => new SpeakingDetector({ frameMs: 20, onLevel: 0.01, offLevel: 0.1 })).toThrow(/offLevel/);
  });

  it('reset clears the state', () => {
    const d = make();
    d.update(0.2);
    d.update(0.2);
    d.reset();
    expect(d.speaking).toBe(false);
  });
});
