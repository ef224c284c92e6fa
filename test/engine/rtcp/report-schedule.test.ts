import { describe, expect, it } from 'vitest';
import { ReportSchedule } from '../../../src/engine/rtcp/report-schedule.js';

describe('ReportSchedule', () => {
  it('is due one interval after the start, then on a fixed grid', () => {
    const s = new ReportSchedule(1000, 500);
    expect(s.delayMs(500)).toBe(1000);
    expect(s.takeDue(1499)).toBe(false);
    expect(s.delayMs(1499)).toBe(1);
    expect(s.takeDue(1500)).toBe(true);
    expect(s.takeDue(1500)).toBe(false);
    expect(s.delayMs(1500)).toBe(1000);
    // A late timer does not shift the grid.
    expect(s.takeDue(2530)).toBe(true);
    expect(s.delayMs(2530)).toBe(970);
  });

  it('does not make up reports missed during a stall', () => {
    const s = new ReportSchedule(1000, 0);
    expect(s.takeDue(5_400)).toBe(true);
    expect(s.takeDue(5_400)).toBe(false);
    expect(s.delayMs(5_400)).toBe(600);
    expect(s.delayMs(9_999)).toBe(0);
  });

  it('rejects a non-positive interval', () => {
    expect(() => new ReportSchedule(0, 0)).toThrow(RangeError);
  });
});
