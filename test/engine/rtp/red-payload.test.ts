import { describe, expect, it } from 'vitest';
import {
  makeRedBlocks,
  parseRedPayload,
  redPayloadBytes,
  redundantSequenceNumber,
  setRedBlockPayloadTypes,
  writeRedPayload,
  type RedundantFrame,
} from '../../../src/engine/rtp/red-payload.js';
import { createRandom } from '../../../src/engine/sim/prng.js';

/**
 * RFC 2198 §3's example, as bytes: a redundant LPC block (PT 7, 14 bytes,
 * 160 samples earlier at 8 kHz) before a DVI4 primary (PT 5).
 */
function rfc2198Example(): { payload: Uint8Array; lpc: Uint8Array; dvi: Uint8Array } {
  const lpc = Uint8Array.from({ length: 14 }, (_, i) => 0x10 + i);
  const dvi = Uint8Array.from({ length: 84 }, (_, i) => 0x80 + (i % 100));
  // |1| PT=7 | offset=160 (14 bits) | length=14 (10 bits) |, then |0| PT=5 |.
  const header = [0x80 | 7, 160 >> 6, ((160 & 0x3f) << 2) | (14 >> 8), 14 & 0xff, 5];
  return { payload: Uint8Array.from([...header, ...lpc, ...dvi]), lpc, dvi };
}

describe('parseRedPayload (RFC 2198 §3)', () => {
  it("reads RFC 2198's own example: F bit, block PT, 14-bit offset, 10-bit length, a 1-byte last header", () => {
    const { payload, lpc, dvi } = rfc2198Example();
    const blocks = makeRedBlocks();
    expect(parseRedPayload(payload, blocks)).toBe(2);
    expect(blocks[0]).toEqual({ payloadType: 7, timestampOffset: 160, start: 5, length: 14 });
    expect(blocks[1]).toMatchObject({ payloadType: 5, timestampOffset: 0, start: 19, length: 84 });
    expect(payload.subarray(blocks[0]!.start, blocks[0]!.start + blocks[0]!.length)).toEqual(lpc);
    expect(payload.subarray(blocks[1]!.start)).toEqual(dvi);
  });

  it('reads a Chromium-style packet: two redundant Opus blocks (PT 111, 1920 and 960 back), then the primary', () => {
    const op = (tag: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i === 0 ? 0x78 : tag));
    const bytes = [
      0x80 | 111, 1920 >> 6, ((1920 & 0x3f) << 2) | (70 >> 8), 70, // the older frame, 70 bytes
      0x80 | 111, 960 >> 6, ((960 & 0x3f) << 2) | (300 >> 8), 300 & 0xff, // 300 bytes: the length's high bits are used
      111,
      ...op(1, 70), ...op(2, 300), ...op(3, 81),
    ];
    const blocks = makeRedBlocks();
    expect(parseRedPayload(Uint8Array.from(bytes), blocks)).toBe(3);
    expect(blocks.slice(0, 3).map((b) => [b.payloadType, b.timestampOffset, b.start, b.length])).toEqual([
      [111, 1920, 9, 70],
      [111, 960, 79, 300],
      [111, 0, 379, 81],
    ]);
  });

  it('takes a payload with no redundancy (one header byte) and a primary of zero bytes', () => {
    const blocks = makeRedBlocks();
    expect(parseRedPayload(Uint8Array.of(111, 0x78, 1, 2), blocks)).toBe(1);
    expect(blocks[0]).toMatchObject({ payloadType: 111, start: 1, length: 3 });
    expect(parseRedPayload(Uint8Array.of(0x80 | 111, 960 >> 6, 0, 1, 111, 0xaa), blocks)).toBe(2);
    expect(blocks[0]).toMatchObject({ payloadType: 111, timestampOffset: 960, start: 5, length: 1 });
    expect(blocks[1]).toMatchObject({ payloadType: 111, start: 6, length: 0 });
  });

  it('refuses malformed payloads with a reason, never throwing: empty, headers cut, lengths past the end, too many blocks', () => {
    const blocks = makeRedBlocks();
    expect(parseRedPayload(new Uint8Array(0), blocks)).toBe('empty');
    expect(parseRedPayload(Uint8Array.of(0x80 | 111, 0x0f), blocks)).toBe('truncated-header');
    expect(parseRedPayload(Uint8Array.of(0x80 | 111, 0x0f, 0x00, 0x03), blocks)).toBe('truncated-header'); // no primary header
    expect(parseRedPayload(Uint8Array.of(0x80 | 111, 0x0f, 0x03, 0xff, 111, 1, 2, 3), blocks)).toBe('length-overrun'); // 1023 bytes claimed
    expect(parseRedPayload(new Uint8Array(200).fill(0x80), blocks)).toBe('too-many-blocks');
    expect(parseRedPayload(Uint8Array.of(0x80, 0, 0, 0, 0x80, 0, 0, 0, 111), makeRedBlocks(2))).toBe('too-many-blocks');
  });

  it('survives 20 000 random payloads: a count within bounds or an error, blocks always inside the payload', () => {
    const random = createRandom(2198);
    const rnd = (): number => random.next();
    const blocks = makeRedBlocks();
    for (let i = 0; i < 20_000; i++) {
      const n = Math.floor(rnd() * 40);
      const payload = Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
      // Bias towards plausible headers: F bits set on the first bytes.
      if (n > 0 && rnd() < 0.5) payload[0]! |= 0x80;
      const r = parseRedPayload(payload, blocks);
      if (typeof r === 'string') continue;
      expect(r).toBeGreaterThanOrEqual(1);
      for (let b = 0; b < r; b++) {
        expect(blocks[b]!.start + blocks[b]!.length).toBeLessThanOrEqual(n);
        expect(blocks[b]!.start).toBeGreaterThanOrEqual(0);
      }
      expect(blocks[r - 1]!.start + blocks[r - 1]!.length).toBe(n);
    }
  });
});

describe('writeRedPayload', () => {
  it('writes what parseRedPayload reads back, oldest block first, the primary last', () => {
    const frames: RedundantFrame[] = [
      { bytes: Uint8Array.of(0x78, 1, 1, 9, 9), length: 3, timestampOffset: 1920 },
      { bytes: new Uint8Array(1023).fill(2), length: 1023, timestampOffset: 960 },
    ];
    const primary = Uint8Array.of(0x78, 3, 3, 3);
    const out = new Uint8Array(2000);
    const n = writeRedPayload(out, 10, 111, frames, 2, primary);
    expect(n).toBe(redPayloadBytes(4, frames, 2));
    expect(n).toBe(4 + 4 + 1 + 3 + 1023 + 4);
    const blocks = makeRedBlocks();
    const payload = out.subarray(10, 10 + n);
    expect(parseRedPayload(payload, blocks)).toBe(3);
    expect(blocks.slice(0, 3).map((b) => [b.payloadType, b.timestampOffset, b.length])).toEqual([
      [111, 1920, 3],
      [111, 960, 1023],
      [111, 0, 4],
    ]);
    expect(Array.from(payload.subarray(blocks[0]!.start, blocks[0]!.start + 3))).toEqual([0x78, 1, 1]);
    expect(Array.from(payload.subarray(blocks[2]!.start))).toEqual([0x78, 3, 3, 3]);
  });

  it("byte for byte RFC 2198's example", () => {
    const { payload, lpc, dvi } = rfc2198Example();
    const out = new Uint8Array(payload.length);
    // Block PTs differ in the RFC's example; write with one PT, then compare after setting the first header's.
    writeRedPayload(out, 0, 5, [{ bytes: lpc, length: lpc.length, timestampOffset: 160 }], 1, dvi);
    out[0] = 0x80 | 7;
    expect(out).toEqual(payload);
  });

  it('refuses what the 14/10-bit fields cannot say, and a buffer too small', () => {
    const out = new Uint8Array(3000);
    expect(() => writeRedPayload(out, 0, 111, [{ bytes: new Uint8Array(1024), length: 1024, timestampOffset: 960 }], 1, Uint8Array.of(1))).toThrow(RangeError);
    expect(() => writeRedPayload(out, 0, 111, [{ bytes: Uint8Array.of(1), length: 1, timestampOffset: 0x4000 }], 1, Uint8Array.of(1))).toThrow(RangeError);
    expect(() => writeRedPayload(new Uint8Array(4), 0, 111, [], 0, Uint8Array.of(1, 2, 3, 4))).toThrow(RangeError);
    expect(() => writeRedPayload(out, 0, 128, [], 0, Uint8Array.of(1))).toThrow(RangeError);
  });
});

describe('setRedBlockPayloadTypes', () => {
  it('renumbers every block header in place, keeping the F bits and everything else', () => {
    const out = new Uint8Array(64);
    const n = writeRedPayload(out, 12, 111, [{ bytes: Uint8Array.of(0x78, 7), length: 2, timestampOffset: 960 }], 1, Uint8Array.of(0x78, 8));
    const packet = out.subarray(0, 12 + n);
    expect(setRedBlockPayloadTypes(packet, 109, 12)).toBe(true);
    const blocks = makeRedBlocks();
    expect(parseRedPayload(packet.subarray(12), blocks)).toBe(2);
    expect([blocks[0]!.payloadType, blocks[0]!.timestampOffset, blocks[1]!.payloadType]).toEqual([109, 960, 109]);
    expect(Array.from(packet.subarray(12 + 5))).toEqual([0x78, 7, 0x78, 8]);
  });

  it('leaves a malformed payload as it was', () => {
    const bad = Uint8Array.of(0x80 | 111, 1, 2);
    expect(setRedBlockPayloadTypes(bad, 109)).toBe(false);
    expect(Array.from(bad)).toEqual([0x80 | 111, 1, 2]);
  });
});

describe('redundantSequenceNumber', () => {
  it('places the block `position` packets before the primary when its offset is that many packet durations', () => {
    expect(redundantSequenceNumber(100, 960, 960, 1)).toBe(99);
    expect(redundantSequenceNumber(100, 1920, 960, 2)).toBe(98);
    expect(redundantSequenceNumber(1, 1920, 960, 2)).toBe(65535); // across the wrap
  });

  it('gives null when the offset says a packet was skipped, or durations differ', () => {
    expect(redundantSequenceNumber(100, 2880, 960, 2)).toBeNull(); // a gap between the blocks
    expect(redundantSequenceNumber(100, 480, 960, 1)).toBeNull();
    expect(redundantSequenceNumber(100, 0, 960, 1)).toBeNull();
    expect(redundantSequenceNumber(100, 960, 0, 1)).toBeNull();
  });
});
