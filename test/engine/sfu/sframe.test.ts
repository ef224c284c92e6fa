/**
 * SFrame (RFC 9605): the header encodings of Appendix C.1, the full
 * encryption vector of Appendix C.3 for cipher suite 0x0004
 * (AES_128_GCM_SHA256_128), tampering, unknown keys, and the cost per frame.
 */
import { describe, expect, it } from 'vitest';
import { OpusEncoder } from '@discordjs/opus';
import { deriveKeySalt, readHeader, SFRAME_MAX_HEADER_BYTES, SFRAME_TAG_BYTES, SFrameReceiver, SFrameSender, writeHeader } from '../../../src/engine/sfu/sframe.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('SFrame header (RFC 9605 §4.3, Appendix C.1)', () => {
  const cases: Array<[bigint, bigint, string]> = [
    [0n, 0n, '00'],
    [7n, 7n, '77'],
    [0x123n, 0x4567n, '9901234567'],
    [0x00ffffffffffffffn, 0n, 'e0ffffffffffffff'],
    [0x00ffffffffffffffn, 0x100n, 'e9ffffffffffffff0100'],
    [0x0001000000000000n, 0x0000ffffffffffffn, 'ed01000000000000ffffffffffff'],
    [0x0100000000000000n, 0x0100000000000000n, 'ff01000000000000000100000000000000'],
    [0xffffffffffffffffn, 0n, 'f0ffffffffffffffff'],
    [0xffffffffffffffffn, 0xffffffffffffffffn, 'ffffffffffffffffffffffffffffffffff'],
  ];
  it.each(cases)('kid %s ctr %s', (kid, ctr, expected) => {
    const out = new Uint8Array(SFRAME_MAX_HEADER_BYTES);
    const n = writeHeader(kid, ctr, out);
    expect(Buffer.from(out.subarray(0, n)).toString('hex')).toBe(expected);
    expect(readHeader(hex(expected))).toEqual({ kid, ctr, length: n });
  });

  it('a header cut short is refused, not misread', () => {
    expect(readHeader(hex('99012345'))).toBeNull();
    expect(readHeader(new Uint8Array(0))).toBeNull();
  });
});

describe('SFrame encryption (RFC 9605 Appendix C.3, cipher suite 0x0004)', () => {
  const baseKey = hex('000102030405060708090a0b0c0d0e0f');
  const metadata = hex('4945544620534672616d65205747');
  const pt = hex('64726166742d696574662d736672616d652d656e63');
  const ct = hex('9901234567b7412c2513a1b66dbb48841bbaf17f598751176ad847681a69c6d0b091c07018ce4adb34eb');

  it('derives the RFC key and salt', () => {
    const { key, salt } = deriveKeySalt(baseKey, 0x123n);
    expect(key.toString('hex')).toBe('d34f547f4ca4f9a7447006fe7fcbf768');
    expect(salt.toString('hex')).toBe('75234edefe07819026751816');
  });

  it('encrypt(ctr, kid, metadata, pt) == ct and decrypt(metadata, ct) == pt', () => {
    const sender = new SFrameSender(0x123n, baseKey, { firstCounter: 0x4567n });
    const out = new Uint8Array(SFRAME_MAX_HEADER_BYTES + pt.length + SFRAME_TAG_BYTES);
    const n = sender.encrypt(pt, out, 0, metadata);
    expect(Buffer.from(out.subarray(0, n)).toString('hex')).toBe(ct.toString('hex'));
    expect(sender.nextCounter).toBe(0x4568n);

    const receiver = new SFrameReceiver();
    receiver.addKey(0x123n, baseKey);
    const plain = new Uint8Array(64);
    const m = receiver.decrypt(ct, plain, 0, metadata);
    expect(Buffer.from(plain.subarray(0, m)).toString('hex')).toBe(pt.toString('hex'));
  });

  it('refuses a flipped bit, a wrong key, an unknown KID and a truncated frame', () => {
    const receiver = new SFrameReceiver();
    receiver.addKey(0x123n, baseKey);
    const out = new Uint8Array(64);
    const flipped = Buffer.from(ct);
    flipped[8]! ^= 1;
    expect(receiver.decrypt(flipped, out, 0, metadata)).toBe(-1);
    expect(receiver.lastRefusal).toBe('auth-failed');
    expect(receiver.decrypt(ct, out, 0, hex('00'))).toBe(-1);
    expect(receiver.lastRefusal).toBe('auth-failed');
    const other = new SFrameReceiver();
    other.addKey(0x124n, baseKey);
    expect(other.decrypt(ct, out, 0, metadata)).toBe(-1);
    expect(other.lastRefusal).toBe('unknown-kid');
    expect(receiver.decrypt(ct.subarray(0, 12), out, 0, metadata)).toBe(-1);
    expect(receiver.lastRefusal).toBe('malformed');
    const wrongKey = new SFrameReceiver();
    wrongKey.addKey(0x123n, hex('ff0102030405060708090a0b0c0d0e0f'));
    expect(wrongKey.decrypt(ct, out, 0, metadata)).toBe(-1);
  });
});

describe('SFrame on Opus frames', () => {
  it('a sealed Opus frame does not decode as Opus; opened, it decodes as before; cost per frame', () => {
    const encoder = new OpusEncoder(48_000, 1);
    const pcm = Buffer.alloc(960 * 2);
    for (let i = 0; i < 960; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48_000)), i * 2);
    const frame = encoder.encode(pcm);
    const baseKey = hex('0f0e0d0c0b0a09080706050403020100');
    const sender = new SFrameSender(42n, baseKey);
    const receiver = new SFrameReceiver();
    receiver.addKey(42n, baseKey);
    const sealed = new Uint8Array(SFRAME_MAX_HEADER_BYTES + frame.length + SFRAME_TAG_BYTES);
    const opened = new Uint8Array(frame.length);

    const n = sender.encrypt(frame, sealed);
    expect(Buffer.from(sealed.subarray(0, n)).includes(frame.subarray(1, 17))).toBe(false);
    expect(receiver.decrypt(sealed.subarray(0, n), opened)).toBe(frame.length);
    expect(Buffer.from(opened).equals(frame)).toBe(true);

    // Without the key the bytes are noise to a decoder: either refused, or a
    // frame whose audio has nothing to do with the tone.
    const decoder = new OpusEncoder(48_000, 1);
    let decodedAsTone = false;
    try {
      const out = decoder.decode(Buffer.from(sealed.subarray(0, n)));
      let dot = 0;
      for (let i = 0; i < Math.min(out.length, pcm.length) / 2; i++) dot += out.readInt16LE(i * 2) * pcm.readInt16LE(i * 2);
      decodedAsTone = dot > 0 && out.length === pcm.length;
    } catch {
      decodedAsTone = false;
    }
    expect(decodedAsTone).toBe(false);

    const frames = 5000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < frames; i++) {
      const len = sender.encrypt(frame, sealed);
      receiver.decrypt(sealed.subarray(0, len), opened);
    }
    const usPerFrame = Number(process.hrtime.bigint() - t0) / 1000 / frames;
    console.log(`SFrame seal + open of a ${frame.length}-byte Opus frame: ${usPerFrame.toFixed(1)} µs`);
    // A 20 ms frame budget is 20 000 µs; this bounds a regression, not the machine.
    expect(usPerFrame).toBeLessThan(500);
  });
});
