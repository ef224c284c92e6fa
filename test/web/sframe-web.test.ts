/**
 * The page's SFrame over WebCrypto (src/web/sframe-web.ts): the RFC 9605
 * Appendix C.3 vector for cipher suite 0x0004, and frames that cross
 * between it and the terminal's node:crypto SFrame in both directions (a
 * browser and a terminal in one SFU room must open each other's frames).
 */
import { describe, expect, it } from 'vitest';
import { SFRAME_MAX_HEADER_BYTES, SFRAME_TAG_BYTES, SFrameReceiver, SFrameSender } from '../../src/engine/sfu/sframe.js';
import { deriveWebKeySalt, WebSFrameReceiver, WebSFrameSender } from '../../src/web/sframe-web.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('SFrame over WebCrypto', () => {
  const baseKey = hex('000102030405060708090a0b0c0d0e0f');
  const metadata = hex('4945544620534672616d65205747');
  const pt = hex('64726166742d696574662d736672616d652d656e63');
  const ct = '9901234567b7412c2513a1b66dbb48841bbaf17f598751176ad847681a69c6d0b091c07018ce4adb34eb';

  it('derives the RFC key and salt (Appendix C.3)', async () => {
    const { key, salt } = await deriveWebKeySalt(baseKey, 0x123n);
    expect(toHex(key)).toBe('d34f547f4ca4f9a7447006fe7fcbf768');
    expect(toHex(salt)).toBe('75234edefe07819026751816');
  });

  it('encrypt(ctr, kid, metadata, pt) == ct and decrypt(metadata, ct) == pt', async () => {
    const sender = await WebSFrameSender.create(0x123n, baseKey, { firstCounter: 0x4567n });
    expect(toHex(await sender.encrypt(pt, metadata))).toBe(ct);
    expect(sender.nextCounter).toBe(0x4568n);
    const receiver = new WebSFrameReceiver();
    await receiver.addKey(0x123n, baseKey);
    const plain = await receiver.decrypt(hex(ct), metadata);
    expect(plain).toBeInstanceOf(Uint8Array);
    expect(toHex(plain as Uint8Array)).toBe(toHex(pt));
  });

  it('frames cross between the page (WebCrypto) and the terminal (node:crypto) both ways', async () => {
    const kid = 0x1234_5678_9abcn;
    const key = hex('00112233445566778899aabbccddeeff');
    const frame = hex('fc'.repeat(60));
    // Terminal → page.
    const nodeSender = new SFrameSender(kid, key);
    const sealed = new Uint8Array(SFRAME_MAX_HEADER_BYTES + frame.length + SFRAME_TAG_BYTES);
    const n = nodeSender.encrypt(frame, sealed);
    const webReceiver = new WebSFrameReceiver();
    await webReceiver.addKey(kid, key);
    expect(toHex((await webReceiver.decrypt(sealed.subarray(0, n))) as Uint8Array)).toBe(toHex(frame));
    // Page → terminal.
    const webSender = await WebSFrameSender.create(kid, key, { firstCounter: 9n });
    const fromPage = await webSender.encrypt(frame);
    const nodeReceiver = new SFrameReceiver();
    nodeReceiver.addKey(kid, key);
    const out = new Uint8Array(frame.length);
    expect(nodeReceiver.decrypt(fromPage, out)).toBe(frame.length);
    expect(toHex(out)).toBe(toHex(frame));
  });

  it('refuses a tampered frame, an unknown key and a frame cut inside its header or tag', async () => {
    const sender = await WebSFrameSender.create(5n, baseKey);
    const sealed = await sender.encrypt(pt);
    const receiver = new WebSFrameReceiver();
    expect(await receiver.decrypt(sealed)).toBe('unknown-kid');
    await receiver.addKey(5n, baseKey);
    const tampered = sealed.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(await receiver.decrypt(tampered)).toBe('auth-failed');
    expect(await receiver.decrypt(sealed.subarray(0, 10))).toBe('malformed');
    expect(await receiver.decrypt(new Uint8Array(0))).toBe('malformed');
    expect(toHex((await receiver.decrypt(sealed)) as Uint8Array)).toBe(toHex(pt));
  });

  it('frames sealed at once never share a counter', async () => {
    const sender = await WebSFrameSender.create(3n, baseKey);
    const frames = await Promise.all(Array.from({ length: 20 }, () => sender.encrypt(pt)));
    expect(new Set(frames.map((f) => toHex(f.subarray(0, 2)))).size).toBe(20);
    expect(sender.nextCounter).toBe(20n);
  });
});
