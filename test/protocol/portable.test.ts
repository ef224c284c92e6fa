import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, randomInt, toBase64Url } from '../../src/protocol/portable.js';

describe('portable base64url', () => {
  it('matches Node Buffer for every length 0..64 and round-trips', () => {
    for (let n = 0; n <= 64; n++) {
      const bytes = new Uint8Array(nodeRandomBytes(n));
      const text = toBase64Url(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64url'));
      expect(Array.from(fromBase64Url(text))).toEqual(Array.from(bytes));
    }
  });

  it('accepts padding and rejects foreign characters and impossible lengths', () => {
    expect(Array.from(fromBase64Url('AQ=='))).toEqual([1]);
    expect(() => fromBase64Url('ab+c')).toThrow(/not base64url/);
    expect(() => fromBase64Url('abcde')).toThrow(/impossible length/);
  });
});

describe('randomInt', () => {
  it('stays in range and reaches every value of a small range', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = randomInt(7);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(7);
      seen.add(v);
    }
    expect(seen.size).toBe(7);
  });

  it('refuses a limit it cannot sample uniformly', () => {
    expect(() => randomInt(0)).toThrow(RangeError);
    expect(() => randomInt(1.5)).toThrow(RangeError);
  });
});
