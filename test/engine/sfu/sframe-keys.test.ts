/**
 * Sender keys and the Janus room number through WebCrypto, so the terminal
 * and the web page derive the same values: checked against values computed
 * with node:crypto's hkdfSync and createHash (what the terminal used before
 * the page shared the function), so clients of either kind agree in a room.
 */
import { describe, expect, it } from 'vitest';
import { senderKeying } from '../../../src/engine/sfu/sframe-keys.js';
import { janusRoomNumber } from '../../../src/engine/sfu/janus-room.js';

describe('sender keying and room number (WebCrypto)', () => {
  it('match node:crypto HKDF-SHA-256 and SHA-256 on the same inputs', async () => {
    const keying = await senderKeying(new Uint8Array(32).fill(7), 'peer-abc');
    expect(keying.kid).toBe(188664270981902n);
    expect(Buffer.from(keying.baseKey).toString('hex')).toBe('074f135552883d8de07eb2432fe436fc');
    expect(await janusRoomNumber('room-xyz')).toBe(245125751909525);
  });

  it('differ per peer and stay below 2^48 / 2^53', async () => {
    const secret = new Uint8Array(16).fill(1);
    const a = await senderKeying(secret, 'a');
    const b = await senderKeying(secret, 'b');
    expect(a.kid).not.toBe(b.kid);
    expect(a.kid < 1n << 48n).toBe(true);
    expect(Number.isSafeInteger(await janusRoomNumber('x'))).toBe(true);
  });

  it('refuse a media secret shorter than 16 bytes', async () => {
    await expect(senderKeying(new Uint8Array(8), 'a')).rejects.toThrow(/16 bytes/);
  });
});
