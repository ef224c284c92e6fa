/**
 * Each sender's SFrame key (docs/architecture.md §11, RFC 9605 §4.4.2):
 * from the room's media secret (derived from the join code next to the room
 * key, src/protocol/room-crypto.ts, never sent to any server) and the
 * sender's peer id, HKDF-SHA-256 (RFC 5869) gives a 16-byte base_key and a
 * 48-bit KID. Every member can derive every other member's key from the id
 * Janus shows as the feed's `display`, so no key travels; a frame under
 * another member's KID is refused on a subscription (a receiver holds only
 * the key of the feed it subscribed to).
 *
 * WebCrypto (src/protocol/portable.ts), so the terminal and the web page
 * derive the same keys with one function; it runs once per sender, never
 * per frame.
 */
import { webCrypto } from '../../protocol/portable.js';

export interface SenderKeying {
  readonly kid: bigint;
  readonly baseKey: Uint8Array;
}

const KEYING_BYTES = 22;

export async function senderKeying(mediaSecret: Uint8Array, peerId: string): Promise<SenderKeying> {
  if (mediaSecret.length < 16) throw new RangeError('the room media secret must have at least 16 bytes');
  const secret = await webCrypto.subtle.importKey('raw', mediaSecret, 'HKDF', false, ['deriveBits']);
  const info = new TextEncoder().encode(`roundtable/sframe-sender/v1 ${peerId}`);
  const bits = await webCrypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info }, secret, KEYING_BYTES * 8);
  const bytes = new Uint8Array(bits);
  let kid = 0n;
  for (let i = 16; i < KEYING_BYTES; i++) kid = (kid << 8n) | BigInt(bytes[i]!);
  return { kid, baseKey: bytes.slice(0, 16) };
}
