import { describe, expect, it } from 'vitest';
import { Unwrapper } from '../../../src/engine/rtp/unwrap.js';

describe('Unwrapper (16-bit sequence numbers)', () => {
  it('extends across the 16-bit wrap', () => {
    const u = new Unwrapper(16);
    expect([65533, 65534, 65535, 0, 1, 2].map((s) => u.unwrap(s))).toEqual([65533, 65534, 65535, 65536, 65537, 65538]);
  });

  it('places packets reordered across the wrap before it', () => {
    const u = new Unwrapper(16);
    expect([65534, 0, 65535, 1].map((s) => u.unwrap(s))).toEqual([65534, 65536, 65535, 65537]);
    expect(u.highestExtended).toBe(65537);
  });

  it('extends forwards and backwards around the wrap, and peeks without moving', () => {
    const u = new Unwrapper(16);
    const a = u.unwrap(65534);
    expect(u.unwrap(65535)).toBe(a + 1);
    expect(u.unwrap(0)).toBe(a + 2);
    expect(u.unwrap(1)).toBe(a + 3);
    expect(u.unwrap(65535)).toBe(a + 1); // reordered from before the wrap
    expect(u.highestExtended).toBe(a + 3);
    expect(u.peek(2)).toBe(a + 4);
    expect(u.highestExtended).toBe(a + 3);
  });

  it('handles many wraps and stays monotonic for in-order input', () => {
    const u = new Unwrapper(16);
    let prev = -Infinity;
    for (let i = 0; i < 300_000; i += 7) {
      const ext = u.unwrap((1000 + i) & 0xffff);
      expect(ext).toBe(1000 + i);
      expect(ext).toBeGreaterThan(prev);
      prev = ext;
    }
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
    expect(u.unwrap(9)).toBe(9); // re-anchored at the next value
  });

  it('a packet reordered just before the first comes out below it, negative at 0', () => {
    const u = new Unwrapper(16);
    expect(u.unwrap(0)).toBe(0);
    expect(u.unwrap(65535)).toBe(-1);
    expect(u.highestExtended).toBe(0);
  });
});

describe('Unwrapper (32-bit timestamps)', () => {
  it('extends across the 32-bit wrap, with reordering', () => {
    const u = new Unwrapper(32);
    const ts = [0xffffffff - 1919, 0xffffffff - 959, 0x100000000 /* wraps to 0 */, 960];
    expect(ts.map((t) => u.unwrap(t))).toEqual([0xffffffff - 1919, 0xffffffff - 959, 0x100000000, 0x100000000 + 960]);
    expect(u.unwrap(0xffffffff - 959)).toBe(0xffffffff - 959); // late packet from before the wrap
  });

  it('extends timestamps across 2^32, forwards and backwards', () => {
    const u = new Unwrapper(32);
    const a = u.unwrap(2 ** 32 - 960);
    expect(u.unwrap(0)).toBe(a + 960);
    expect(u.unwrap(960)).toBe(a + 1920);
    expect(u.unwrap(2 ** 32 - 960)).toBe(a);
  });
});
