import { describe, expect, it } from 'vitest';
import {
  generateJoinCode,
  InvalidJoinCodeError,
  isValidJoinCode,
  JOIN_CODE_ENTROPY_BITS,
  normalizeJoinCode,
} from '../../src/protocol/join-code.js';
import { JOIN_CODE_WORDS } from '../../src/protocol/wordlist.js';

describe('join codes', () => {
  it('has at least 40 bits of entropy from 256 distinct lowercase words', () => {
    expect(JOIN_CODE_WORDS).toHaveLength(256);
    expect(new Set(JOIN_CODE_WORDS).size).toBe(256);
    for (const w of JOIN_CODE_WORDS) expect(w).toMatch(/^[a-z]{3,8}$/);
    expect(JOIN_CODE_ENTROPY_BITS).toBeGreaterThanOrEqual(40);
  });

  it('generates fresh codes that are already normalized', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const code = generateJoinCode();
      expect(code).toMatch(/^[a-z]+-[a-z]+-[a-z]+-[a-z]+-\d{1,3}$/);
      expect(normalizeJoinCode(code)).toBe(code);
      seen.add(code);
    }
    expect(seen.size).toBe(200);
  });

  it('normalizes case, spaces, separators and leading zeros', () => {
    const canonical = 'purple-otter-lamp-river-42';
    for (const variant of [
      'purple-otter-lamp-river-42',
      'Purple Otter Lamp River 42',
      '  PURPLE_otter.lamp,river 042 ',
      'purple--otter  lamp / river - 42',
    ]) {
      expect(normalizeJoinCode(variant)).toBe(canonical);
    }
    expect(normalizeJoinCode('acorn acorn acorn acorn 0')).toBe('acorn-acorn-acorn-acorn-0');
  });

  it('rejects invalid codes with a clear error', () => {
    expect(() => normalizeJoinCode('')).toThrow(InvalidJoinCodeError);
    expect(() => normalizeJoinCode('purple-otter-42')).toThrow(/expected 4 words and a number/);
    expect(() => normalizeJoinCode('purple-otter-lamp-xylophone-42')).toThrow(/"xylophone" is not a join-code word/);
    expect(() => normalizeJoinCode('purple-otter-lamp-river-1000')).toThrow(/number from 0 to 999/);
    expect(() => normalizeJoinCode('purple-otter-lamp-river-4x')).toThrow(/number from 0 to 999/);
    expect(isValidJoinCode('purple otter lamp river 7')).toBe(true);
    expect(isValidJoinCode('x'.repeat(10_000))).toBe(false);
  });
});
