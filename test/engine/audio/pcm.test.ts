import { describe, expect, it } from 'vitest';
import { floatSampleToInt16, floatToInt16, int16ToFloat32 } from '../../../src/engine/audio/pcm.js';

describe('int16 ↔ float', () => {
  it('round-trips every int16 value exactly', () => {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    expect(floatToInt16(int16ToFloat32(all))).toEqual(all);
  });

  it('maps extremes to ±1 and clamps out-of-range and NaN input', () => {
    expect(Array.from(int16ToFloat32(Int16Array.of(-32768, 0, 32767)))).toEqual([-1, 0, 1]);
    expect(floatSampleToInt16(2)).toBe(32767);
    expect(floatSampleToInt16(-7)).toBe(-32768);
    expect(floatSampleToInt16(Number.NaN)).toBe(0);
    expect(Array.from(floatToInt16([0.5, -0.5]))).toEqual([16384, -16384]);
  });
});
