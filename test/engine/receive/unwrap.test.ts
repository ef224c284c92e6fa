import { describe, expect, it } from 'vitest';
import { Unwrapper } from '../../../src/engine/receive/unwrap.js';

describe('Unwrapper', () => {
  it('extends 16-bit sequence numbers across the wrap, forwards and backwards', () => {
    const u = new Unwrapper(16);
    const a = u.unwrap(65534);
    expect(u.unwrap(65535)).toBe(a + 1);
    expect(u.unwrap(0)).toBe(a + 2);
    expect(u.unwrap(1)).toBe(a + 3);
    expect(u.unwrap(65535)).toBe(a + 1); // reordered from before the wrap
    expect(u.highestExtended).toBe(a + 3);
    expect(u.peek(2)).toBe(a + 4);
  });

  it('extends 32-bit timestamps across 2^32', () => {
    const u = new Unwrapper(32);
    const a = u.unwrap(2 ** 32 - 960);
    expect(u.unwrap(0)).toBe(a + 960);
    expect(u.unwrap(960)).toBe(a + 1920);
    expect(u.unwrap(2 ** 32 - 960)).toBe(a);
  });

  it('keeps going over many wraps and can be reset', () => {
    const u = new Unwrapper(16);
    const a = u.unwrap(0);
    let last = a;
    for (let i = 1; i <= 300_000; i += 1000) last = u.unwrap(i & 0xffff);
    expect(last).toBe(a + 299_001);
    u.reset();
    expect(u.highestExtended).toBeUndefined();
    expect(u.peek(5)).toBeUndefined();
  });
});
