import { describe, expect, it } from 'vitest';
import { DEFAULT_OPUS_PAYLOAD_TYPE, isOpusDtxPacket, opusFrameSamples, opusPacketSamples } from '../../../src/engine/rtp/opus-payload.js';

const toc = (config: number, code: number): number => (config << 3) | code;

describe('DEFAULT_OPUS_PAYLOAD_TYPE', () => {
  it('is the dynamic payload type browsers offer for Opus', () => {
    expect(DEFAULT_OPUS_PAYLOAD_TYPE).toBe(111);
    expect(DEFAULT_OPUS_PAYLOAD_TYPE).toBeGreaterThanOrEqual(96); // dynamic range, RFC 3551 §6
    expect(DEFAULT_OPUS_PAYLOAD_TYPE).toBeLessThanOrEqual(127);
  });
});

describe('opusFrameSamples (RFC 6716 Table 2)', () => {
  it('maps configs to frame durations', () => {
    expect([0, 1, 2, 3].map((c) => opusFrameSamples(toc(c, 0)))).toEqual([480, 960, 1920, 2880]); // SILK NB
    expect([12, 13, 14, 15].map((c) => opusFrameSamples(toc(c, 0)))).toEqual([480, 960, 480, 960]); // Hybrid
    expect([16, 17, 18, 19, 31].map((c) => opusFrameSamples(toc(c, 0)))).toEqual([120, 240, 480, 960, 960]); // CELT
  });
});

describe('opusPacketSamples', () => {
  it('code 0: one frame', () => {
    expect(opusPacketSamples(new Uint8Array([toc(1, 0), 1, 2]))).toBe(960);
    expect(opusPacketSamples(new Uint8Array([toc(1, 0)]))).toBe(960); // TOC only (DTX)
  });
  it('code 1: two equal frames, odd remainder is invalid', () => {
    expect(opusPacketSamples(new Uint8Array([toc(19, 1), 1, 2, 3, 4]))).toBe(1920);
    expect(opusPacketSamples(new Uint8Array([toc(19, 1), 1, 2, 3]))).toBeNull();
  });
  it('code 2: first frame length must fit', () => {
    expect(opusPacketSamples(new Uint8Array([toc(17, 2), 2, 9, 9, 8]))).toBe(480);
    expect(opusPacketSamples(new Uint8Array([toc(17, 2), 5, 9]))).toBeNull();
    expect(opusPacketSamples(new Uint8Array([toc(17, 2)]))).toBeNull();
    // two-byte length 252 + 4·1 = 256 bytes
    const p = new Uint8Array(3 + 256 + 10);
    p[0] = toc(17, 2);
    p[1] = 252;
    p[2] = 1;
    expect(opusPacketSamples(p)).toBe(480);
  });
  it('code 3: CBR, VBR and padding', () => {
    expect(opusPacketSamples(new Uint8Array([toc(19, 3), 3, 1, 2, 3]))).toBe(2880); // 3 CBR frames × 20 ms
    expect(opusPacketSamples(new Uint8Array([toc(19, 3), 3, 1, 2]))).toBeNull(); // 2 bytes not divisible by 3
    expect(opusPacketSamples(new Uint8Array([toc(19, 3), 0]))).toBeNull(); // zero frames
    expect(opusPacketSamples(new Uint8Array([toc(3, 3), 3]))).toBeNull(); // 3 × 60 ms > 120 ms
    expect(opusPacketSamples(new Uint8Array([toc(19, 3), 0x80 | 2, 1, 7, 8]))).toBe(1920); // VBR: lengths 1 then rest 1
    expect(opusPacketSamples(new Uint8Array([toc(19, 3), 0x80 | 2, 5, 7]))).toBeNull(); // VBR length exceeds
    expect(opusPacketSamples(new Uint8Array([toc(19, 3), 0x40 | 1, 2, 9, 0, 0]))).toBe(960); // padding 2
    expect(opusPacketSamples(new Uint8Array([toc(19, 3), 0x40 | 1, 9, 1]))).toBeNull(); // padding too long
    expect(opusPacketSamples(new Uint8Array([toc(19, 3), 0x40 | 1, 255]))).toBeNull(); // padding length runs off the end
    expect(opusPacketSamples(new Uint8Array([toc(19, 3)]))).toBeNull();
  });
  it('empty is invalid', () => {
    expect(opusPacketSamples(new Uint8Array(0))).toBeNull();
  });
  it('isOpusDtxPacket: 2 bytes or less', () => {
    expect(isOpusDtxPacket(new Uint8Array(1))).toBe(true);
    expect(isOpusDtxPacket(new Uint8Array(2))).toBe(true);
    expect(isOpusDtxPacket(new Uint8Array(3))).toBe(false);
  });
});
