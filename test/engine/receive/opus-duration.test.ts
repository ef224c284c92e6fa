import { describe, expect, it } from 'vitest';
import { opusPacketSamples, opusTocFor } from '../../../src/engine/receive/opus-duration.js';

describe('opusPacketSamples (RFC 6716 §3.1)', () => {
  it('reads single-frame durations for SILK, Hybrid and CELT configs', () => {
    expect(opusPacketSamples(Uint8Array.of(0 << 3))).toBe(480); // SILK NB 10 ms
    expect(opusPacketSamples(Uint8Array.of(3 << 3))).toBe(2880); // SILK NB 60 ms
    expect(opusPacketSamples(Uint8Array.of(9 << 3))).toBe(960); // SILK WB 20 ms
    expect(opusPacketSamples(Uint8Array.of(12 << 3))).toBe(480); // Hybrid SWB 10 ms
    expect(opusPacketSamples(Uint8Array.of(15 << 3))).toBe(960); // Hybrid FB 20 ms
    expect(opusPacketSamples(Uint8Array.of(16 << 3))).toBe(120); // CELT NB 2.5 ms
    expect(opusPacketSamples(Uint8Array.of(31 << 3))).toBe(960); // CELT FB 20 ms
  });

  it('counts frames for codes 1, 2 and 3', () => {
    expect(opusPacketSamples(Uint8Array.of((31 << 3) | 1, 0))).toBe(1920);
    expect(opusPacketSamples(Uint8Array.of((31 << 3) | 2, 0))).toBe(1920);
    expect(opusPacketSamples(Uint8Array.of((31 << 3) | 3, 3))).toBe(2880);
    expect(opusPacketSamples(Uint8Array.of((31 << 3) | 3, 0x80 | 6))).toBe(5760); // VBR flag ignored
  });

  it('rejects what cannot be a valid packet', () => {
    expect(opusPacketSamples(new Uint8Array(0))).toBeNull();
    expect(opusPacketSamples(Uint8Array.of((31 << 3) | 3))).toBeNull(); // no count byte
    expect(opusPacketSamples(Uint8Array.of((31 << 3) | 3, 0))).toBeNull(); // zero frames
    expect(opusPacketSamples(Uint8Array.of((3 << 3) | 3, 3))).toBeNull(); // 180 ms > 120 ms
  });

  it('builds TOC bytes that read back as the same duration', () => {
    for (const n of [120, 240, 480, 960, 1920, 2880]) expect(opusPacketSamples(Uint8Array.of(opusTocFor(n)))).toBe(n);
    expect(() => opusTocFor(1000)).toThrow(RangeError);
  });
});
