import { describe, expect, it } from 'vitest';
import { PcmRecordParser } from '../../../src/engine/audio/pcm-records.js';

function record(samples: Int16Array, captureTimeNs: bigint): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt32LE(samples.byteLength, 0);
  header.writeBigUInt64LE(captureTimeNs, 4);
  return Buffer.concat([header, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)]);
}

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
