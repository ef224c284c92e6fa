import { describe, expect, it } from 'vitest';
import { layoutFor, MEDIUM_MIN_COLUMNS, WIDE_MIN_COLUMNS } from '../../src/ui/layout.js';

describe('layoutFor', () => {
  it('picks wide, medium, narrow by width', () => {
    expect(layoutFor(80).mode).toBe('wide');
    expect(layoutFor(WIDE_MIN_COLUMNS).mode).toBe('wide');
    expect(layoutFor(WIDE_MIN_COLUMNS - 1).mode).toBe('medium');
    expect(layoutFor(MEDIUM_MIN_COLUMNS).mode).toBe('medium');
    expect(layoutFor(MEDIUM_MIN_COLUMNS - 1).mode).toBe('narrow');
    expect(layoutFor(20).mode).toBe('narrow');
  });

  it('gives longer names room on wide terminals, capped', () => {
    expect(layoutFor(80).nameCells).toBe(18);
    expect(layoutFor(200).nameCells).toBe(24);
    expect(layoutFor(80).meterCells).toBe(10);
  });

  it('falls back to 80 columns for a missing or bogus width', () => {
    expect(layoutFor(Number.NaN)).toEqual(layoutFor(80));
    expect(layoutFor(0)).toEqual(layoutFor(80));
  });
});
