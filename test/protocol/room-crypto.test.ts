import { describe, expect, it } from 'vitest';
import { deriveRoomSecrets, openPayload, PayloadDecryptError, sealPayload, type PayloadContext } from '../../src/protocol/room-crypto.js';

const CODE = 'purple-otter-lamp-river-42';

describe('room secrets', () => {
  it('derives the same room id for any spelling of the same code, and a different one for another code', async () => {
    const a = await deriveRoomSecrets(CODE);
    const b = await deriveRoomSecrets('Purple Otter Lamp River 042');
    const c = await deriveRoomSecrets('purple-otter-lamp-river-43');
    expect(a.roomId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.roomId).toBe(a.roomId);
    expect(c.roomId).not.toBe(a.roomId);
    // The room id must not reveal the code.
    expect(a.roomId.toLowerCase()).not.toContain('otter');
  });

  it('keeps the key non-extractable', async () => {
    const { key } = await deriveRoomSecrets(CODE);
    expect(key.extractable).toBe(false);
    expect(key.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
  });

  it('derives a 32-byte media secret (root of the SFU path SFrame keys), the same for any spelling of the code, unrelated to the room id', async () => {
    const a = await deriveRoomSecrets(CODE);
    const b = await deriveRoomSecrets('Purple Otter Lamp River 042');
    const c = await deriveRoomSecrets('purple-otter-lamp-river-43');
    expect(a.mediaSecret).toHaveLength(32);
    expect(Buffer.from(b.mediaSecret).equals(Buffer.from(a.mediaSecret))).toBe(true);
    expect(Buffer.from(c.mediaSecret).equals(Buffer.from(a.mediaSecret))).toBe(false);
    // The server sees the room id: the secret must not be it, nor part of it.
    expect(Buffer.from(a.roomId, 'base64url').includes(Buffer.from(a.mediaSecret.subarray(0, 8)))).toBe(false);
  });

  it('rejects an invalid code', async () => {
    await expect(deriveRoomSecrets('not a code')).rejects.toThrow(/invalid join code/);
  });
});

describe('sealed payloads', () => {
  const ctx = (over: Partial<PayloadContext> = {}): PayloadContext => ({
    purpose: 'signal',
    roomId: 'room-id-0123456789',
    from: 'alice-0123456789ab',
    to: 'bob-0123456789abcd',
    ...over,
  });

  it('round-trips JSON and hides the plaintext', async () => {
    const { key } = await deriveRoomSecrets(CODE);
    const sdp = { type: 'offer', sdp: 'v=0\r\na=fingerprint:sha-256 AB:CD\r\n' };
    const blob = await sealPayload(key, ctx(), sdp);
    expect(blob).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(blob, 'base64url').toString('latin1')).not.toContain('fingerprint');
    expect(await openPayload(key, ctx(), blob)).toEqual(sdp);
    // Fresh IV each time.
    expect(await sealPayload(key, ctx(), sdp)).not.toBe(blob);
  });

  it('detects any flipped bit, a wrong key, and a re-addressed blob', async () => {
    const { key } = await deriveRoomSecrets(CODE);
    const other = await deriveRoomSecrets('purple-otter-lamp-river-43');
    const blob = await sealPayload(key, ctx(), { sdp: 'a=fingerprint:sha-256 AB:CD' });
    const bytes = Buffer.from(blob, 'base64url');
    for (const index of [1, 13, 20, bytes.length - 1]) {
      const tampered = Buffer.from(bytes);
      tampered[index]! ^= 0x01;
      await expect(openPayload(key, ctx(), tampered.toString('base64url'))).rejects.toBeInstanceOf(PayloadDecryptError);
    }
    await expect(openPayload(other.key, ctx(), blob)).rejects.toThrow(/failed authentication/);
    await expect(openPayload(key, ctx({ to: 'carol-0123456789ab' }), blob)).rejects.toThrow(PayloadDecryptError);
    await expect(openPayload(key, ctx({ from: 'mallory-0123456789' }), blob)).rejects.toThrow(PayloadDecryptError);
    await expect(openPayload(key, ctx({ purpose: 'hello' }), blob)).rejects.toThrow(PayloadDecryptError);
    await expect(openPayload(key, ctx(), 'AAAA')).rejects.toThrow(/too short/);
    await expect(openPayload(key, ctx(), 'not base64!')).rejects.toThrow(/base64url/);
  });
});
