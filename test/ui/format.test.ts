import { describe, expect, it } from 'vitest';
import {
  clampUnit,
  fit,
  formatCount,
  formatDuration,
  formatLossPercent,
  formatMs,
  formatVolume,
  levelBar,
  stepVolume,
} from '../../src/ui/format.js';

describe('levelBar', () => {
  it('is always exactly `cells` wide', () => {
    for (const level of [0, 0.01, 0.05, 0.33, 0.5, 0.99, 1, 5, -1, Number.NaN]) {
      expect(Array.from(levelBar(level, 10))).toHaveLength(10);
      expect(Array.from(levelBar(level, 6))).toHaveLength(6);
    }
  });

  it('fills proportionally with 1/8-cell resolution', () => {
    expect(levelBar(0, 10)).toBe('··········');
    expect(levelBar(1, 10)).toBe('██████████');
    expect(levelBar(0.5, 10)).toBe('█████·····');
    expect(levelBar(0.25, 4)).toBe('█···');
    // 0.05 × 10 cells = 0.5 cell = 4/8 → a half block.
    expect(levelBar(0.05, 10)).toBe('▌·········');
  });

  it('treats garbage as silence and clamps above 1', () => {
    expect(levelBar(Number.NaN, 5)).toBe('·····');
    expect(levelBar(-3, 5)).toBe('·····');
    expect(levelBar(7, 5)).toBe('█████');
    expect(levelBar(0.5, 0)).toBe('');
  });

  it('clampUnit maps non-finite to 0', () => {
    expect(clampUnit(Number.POSITIVE_INFINITY)).toBe(0);
    expect(clampUnit(0.3)).toBe(0.3);
  });
});

describe('number formats', () => {
  it('loss keeps a decimal below 10 %', () => {
    expect(formatLossPercent(0)).toBe('0.0%');
    expect(formatLossPercent(0.44)).toBe('0.4%');
    expect(formatLossPercent(12.6)).toBe('13%');
    expect(formatLossPercent(Number.NaN)).toBe('–');
  });

  it('ms shows unknown as a dash', () => {
    expect(formatMs(23.4)).toBe('23ms');
    expect(formatMs(null)).toBe('–');
    expect(formatMs(undefined)).toBe('–');
    expect(formatMs(-1)).toBe('–');
  });

  it('counts and volumes', () => {
    expect(formatCount(1234)).toBe('1234');
    expect(formatCount(Number.NaN)).toBe('–');
    expect(formatVolume(100)).toBe('100%');
    expect(formatVolume(0)).toBe('  0%');
  });
});

describe('fit', () => {
  it('pads short text and cuts long text with an ellipsis', () => {
    expect(fit('bob', 5)).toBe('bob  ');
    expect(fit('alexandria', 5)).toBe('alex…');
    expect(fit('abc', 0)).toBe('');
  });
});

describe('stepVolume', () => {
  it('steps by 10 and clamps to 0..200', () => {
    expect(stepVolume(100, 1)).toBe(110);
    expect(stepVolume(100, -1)).toBe(90);
    expect(stepVolume(200, 1)).toBe(200);
    expect(stepVolume(195, 1)).toBe(200);
    expect(stepVolume(0, -1)).toBe(0);
    expect(stepVolume(5, -1)).toBe(0);
    expect(stepVolume(Number.NaN, 1)).toBe(110);
  });
});

describe('formatDuration', () => {
  it('reads like a clock, garbage as 0:00', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(42.9)).toBe('0:42');
    expect(formatDuration(725)).toBe('12:05');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(Number.NaN)).toBe('0:00');
    expect(formatDuration(-5)).toBe('0:00');
  });
});
