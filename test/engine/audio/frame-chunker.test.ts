import { describe, expect, it } from 'vitest';
import { FrameChunker, PcmRecordParser } from '../../../src/engine/audio/frame-chunker.js';

function record(samples: Int16Array, captureTimeNs: bigint): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt32LE(samples.byteLength, 0);
  header.writeBigUInt64LE(captureTimeNs, 4);
  return Buffer.concat([header, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)]);
}

describe('FrameChunker', () => {
  it('re-chunks odd-sized input into exact frames stamped with their first sample time', () => {
    const frames: Array<{ pcm: number[]; t: bigint }> = [];
    const chunker = new FrameChunker(4, (pcm, t) => frames.push({ pcm: Array.from(pcm), t }));
    chunker.push(Int16Array.of(1, 2, 3), 1_000_000n);
    expect(frames).toHaveLength(0);
    // 48 kHz: one sample is 20833.3 ns.
    chunker.push(Int16Array.of(4, 5, 6, 7, 8, 9, 10), 1_062_500n);
    expect(frames).toEqual([
      { pcm: [1, 2, 3, 4], t: 1_000_000n },
      { pcm: [5, 6, 7, 8], t: 1_062_500n + 20_833n },
    ]);
    chunker.push(Int16Array.of(11, 12), 2_000_000n);
    expect(frames[2]).toEqual({ pcm: [9, 10, 11, 12], t: 1_062_500n + 104_167n });
  });

  it('rejects a non-positive frame size', () => {
    expect(() => new FrameChunker(0, () => {})).toThrow(RangeError);
  });
});

describe('PcmRecordParser', () => {
  it('reassembles records split at any byte, including odd offsets', () => {
    const a = Int16Array.from({ length: 960 }, (_, i) => i - 480);
    const b = Int16Array.of(-32768, 32767, 5);
    const stream = Buffer.concat([record(a, 123n), record(b, 2n ** 40n)]);
    const got: Array<{ pcm: Int16Array; t: bigint }> = [];
    const parser = new PcmRecordParser((pcm, t) => got.push({ pcm, t }));
    for (let i = 0; i < stream.length; i += 7) parser.push(stream.subarray(i, Math.min(stream.length, i + 7)));
    expect(got).toHaveLength(2);
    expect(got[0]!.pcm).toEqual(a);
    expect(got[0]!.t).toBe(123n);
    expect(got[1]!.pcm).toEqual(b);
    expect(got[1]!.t).toBe(2n ** 40n);
  });
});
