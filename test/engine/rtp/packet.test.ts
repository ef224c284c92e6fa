import { describe, expect, it } from 'vitest';
import { buildRtp, parseRtp } from '../../../src/engine/rtp/packet.js';

const base = { sequenceNumber: 7, timestamp: 960, ssrc: 42, payloadType: 111, payload: new Uint8Array([1, 2, 3]) };

function errorCode(buf: Uint8Array): string {
  const r = parseRtp(buf);
  return r.ok ? 'ok' : r.error.code;
}

describe('parseRtp', () => {
  it('returns views into the input, not copies', () => {
    const buf = buildRtp(base);
    const r = parseRtp(buf);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.packet.payload.buffer).toBe(buf.buffer);
    expect(r.packet.payload.byteOffset).toBe(buf.byteOffset + 12);
  });

  it('parses a packet inside a larger buffer at an odd offset', () => {
    const inner = buildRtp({ ...base, csrcs: [5], marker: true });
    const big = new Uint8Array(inner.length + 3);
    big.set(inner, 1);
    const r = parseRtp(big.subarray(1, 1 + inner.length));
    expect(r.ok && r.packet.csrcs).toEqual([5]);
    expect(r.ok && Array.from(r.packet.payload)).toEqual([1, 2, 3]);
  });

  it('accepts an empty payload', () => {
    const r = parseRtp(buildRtp({ ...base, payload: new Uint8Array(0) }));
    expect(r.ok && r.packet.payload.length).toBe(0);
  });

  it('gives typed errors for malformed packets', () => {
    expect(errorCode(new Uint8Array(11))).toBe('too-short');
    const v1 = buildRtp(base);
    v1[0] = (v1[0]! & 0x3f) | 0x40;
    expect(errorCode(v1)).toBe('bad-version');
    const cc = buildRtp(base);
    cc[0] = cc[0]! | 0x0f; // claims 15 CSRCs in a 15-byte packet
    expect(errorCode(cc)).toBe('truncated-csrcs');
    const ext = buildRtp({ ...base, extension: { profile: 0xbede, data: new Uint8Array(4) } });
    ext.writeUInt16BE(100, 14); // extension length lies
    expect(errorCode(ext)).toBe('truncated-extension');
    const noExtRoom = buildRtp({ ...base, payload: new Uint8Array(2) });
    noExtRoom[0] = noExtRoom[0]! | 0x10;
    expect(errorCode(noExtRoom)).toBe('truncated-extension');
    const pad0 = buildRtp({ ...base, paddingBytes: 2 });
    pad0[pad0.length - 1] = 0;
    expect(errorCode(pad0)).toBe('bad-padding');
    const padBig = buildRtp({ ...base, paddingBytes: 2 });
    padBig[padBig.length - 1] = 6; // more than payload + padding
    expect(errorCode(padBig)).toBe('bad-padding');
    expect(errorCode('not bytes' as unknown as Uint8Array)).toBe('not-bytes');
  });

  it('padding may consume the whole payload', () => {
    const r = parseRtp(buildRtp({ ...base, payload: new Uint8Array(0), paddingBytes: 4 }));
    expect(r.ok && r.packet.paddingBytes).toBe(4);
    expect(r.ok && r.packet.payload.length).toBe(0);
  });
});

describe('buildRtp', () => {
  it('round-trips every field', () => {
    const fields = {
      sequenceNumber: 65535,
      timestamp: 0xffffffff,
      ssrc: 0x80000000,
      payloadType: 127,
      marker: true,
      payload: new Uint8Array([9, 8, 7, 6, 5]),
      csrcs: [1, 0xffffffff],
      extension: { profile: 0x1000, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) },
      paddingBytes: 3,
    };
    const r = parseRtp(buildRtp(fields));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const p = r.packet;
    expect({ ...p, payload: Array.from(p.payload), extension: { profile: p.extension!.profile, data: Array.from(p.extension!.data) } }).toMatchObject({
      ...fields,
      payload: [9, 8, 7, 6, 5],
      extension: { profile: 0x1000, data: [1, 2, 3, 4, 5, 6, 7, 8] },
    });
  });

  it('rejects out-of-range fields with RangeErrors', () => {
    expect(() => buildRtp({ ...base, sequenceNumber: 65536 })).toThrow(RangeError);
    expect(() => buildRtp({ ...base, timestamp: -1 })).toThrow(RangeError);
    expect(() => buildRtp({ ...base, ssrc: 2 ** 32 })).toThrow(RangeError);
    expect(() => buildRtp({ ...base, payloadType: 128 })).toThrow(RangeError);
    expect(() => buildRtp({ ...base, paddingBytes: 256 })).toThrow(RangeError);
    expect(() => buildRtp({ ...base, csrcs: new Array(16).fill(1) })).toThrow(/at most 15/);
    expect(() => buildRtp({ ...base, extension: { profile: 1, data: new Uint8Array(3) } })).toThrow(/multiple of 4/);
  });
});
