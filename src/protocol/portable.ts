/**
 * The few primitives the protocol needs that Node and browsers spell
 * differently, written once over what both have: `globalThis.crypto`
 * (WebCrypto; Node 20 has it as a global) and plain typed arrays (no Buffer),
 * so the same protocol module runs in `roundtable` and in the web client
 * (docs/architecture.md §7).
 */

// Type only (erased at build): the WebCrypto interface as @types/node names it.
import type { webcrypto } from 'node:crypto';

export type RoomCryptoKey = webcrypto.CryptoKey;

/** WebCrypto, the same object in Node 20 and in browsers. */
export const webCrypto: webcrypto.Crypto = globalThis.crypto as unknown as webcrypto.Crypto;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** RFC 4648 §5 base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/** Decode RFC 4648 §5 base64url (padding optional); throws on any other character or a dangling sextet. */
export function fromBase64Url(text: string): Uint8Array {
  const clean = text.endsWith('==') ? text.slice(0, -2) : text.endsWith('=') ? text.slice(0, -1) : text;
  if (clean.length % 4 === 1) throw new Error('base64url text has an impossible length');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    const c = clean.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) throw new Error('not base64url text');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** `count` bytes from the CSPRNG. */
export function randomBytes(count: number): Uint8Array {
  return webCrypto.getRandomValues(new Uint8Array(count));
}

/** A uniform integer in [0, limit) from the CSPRNG (rejection sampling, no modulo bias). */
export function randomInt(limit: number): number {
  if (!Number.isInteger(limit) || limit <= 0 || limit > 2 ** 32) throw new RangeError('limit must be an integer in 1..2^32');
  const range = 2 ** 32;
  const ceiling = range - (range % limit);
  const word = new Uint32Array(1);
  for (;;) {
    webCrypto.getRandomValues(word);
    if (word[0]! < ceiling) return word[0]! % limit;
  }
}
