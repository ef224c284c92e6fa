/**
 * SFrame's wire format and key schedule inputs (RFC 9605), for the
 * AES_128_GCM_SHA256_128 cipher suite (0x0004, §4.5), with no platform
 * crypto: the terminal seals frames with node:crypto (sframe.ts), the web
 * page with WebCrypto in an encoded transform (src/web/sframe-transform.ts),
 * and both read the header, the labels and the nonce from here, so the two
 * agree byte for byte (docs/architecture.md §11).
 *
 *   header = config byte X|K|Y|C, then KID and CTR as minimal big-endian integers (§4.3)
 *   nonce  = sframe_salt XOR CTR, left-padded to 12 bytes (§4.4.3)
 *   labels = "SFrame 1.0 Secret key " / "SFrame 1.0 Secret salt " ‖ KID (u64) ‖ suite (u16) (§4.4.2)
 */

export const AES_128_GCM_SHA256_128 = 0x0004;
export const SFRAME_KEY_BYTES = 16;
export const SFRAME_NONCE_BYTES = 12;
export const SFRAME_TAG_BYTES = 16;
/** The longest header: config byte + 8-byte KID + 8-byte CTR. */
export const SFRAME_MAX_HEADER_BYTES = 17;
const MAX_U64 = (1n << 64n) - 1n;

/** Why a frame was refused (counted by the caller; never thrown on the media path). */
export type SFrameRefusal = 'malformed' | 'unknown-kid' | 'auth-failed';

export function checkU64(value: bigint, what: string): void {
  if (value < 0n || value > MAX_U64) throw new RangeError(`${what} must fit in 64 bits, got ${value}`);
}

/** True when a counter can no longer be used (a new key is needed). */
export function counterExhausted(ctr: bigint): boolean {
  return ctr > MAX_U64;
}

function byteLength(value: bigint): number {
  let n = 1;
  while (value >> BigInt(8 * n) !== 0n) n++;
  return n;
}

function writeUint(value: bigint, length: number, out: Uint8Array, offset: number): void {
  for (let i = length - 1; i >= 0; i--) {
    out[offset + i] = Number(value & 0xffn);
    value >>= 8n;
  }
}

function readUint(bytes: Uint8Array, offset: number, length: number): bigint {
  let v = 0n;
  for (let i = 0; i < length; i++) v = (v << 8n) | BigInt(bytes[offset + i]!);
  return v;
}

const encoder = new TextEncoder();

function label(prefix: string, kid: bigint): Uint8Array {
  checkU64(kid, 'KID');
  const text = encoder.encode(prefix);
  const out = new Uint8Array(text.length + 10);
  out.set(text);
  writeUint(kid, 8, out, text.length);
  out[text.length + 8] = AES_128_GCM_SHA256_128 >> 8;
  out[text.length + 9] = AES_128_GCM_SHA256_128 & 0xff;
  return out;
}

/**
 * The HKDF-Expand infos of derive_key_salt (§4.4.2): sframe_secret =
 * HKDF-Extract("", base_key), then key = Expand(secret, keyInfo, 16) and
 * salt = Expand(secret, saltInfo, 12).
 */
export function keySaltInfos(kid: bigint): { keyInfo: Uint8Array; saltInfo: Uint8Array } {
  return { keyInfo: label('SFrame 1.0 Secret key ', kid), saltInfo: label('SFrame 1.0 Secret salt ', kid) };
}

/**
 * Write the SFrame header for (KID, CTR) at `out[offset]` (§4.3): a value
 * below 8 sits in the config byte itself, a larger one follows in as few
 * bytes as it needs. Returns the header's length.
 */
export function writeHeader(kid: bigint, ctr: bigint, out: Uint8Array, offset = 0): number {
  checkU64(kid, 'KID');
  checkU64(ctr, 'CTR');
  let config = 0;
  let at = offset + 1;
  if (kid < 8n) config |= Number(kid) << 4;
  else {
    const n = byteLength(kid);
    config |= 0x80 | ((n - 1) << 4);
    writeUint(kid, n, out, at);
    at += n;
  }
  if (ctr < 8n) config |= Number(ctr);
  else {
    const n = byteLength(ctr);
    config |= 0x08 | (n - 1);
    writeUint(ctr, n, out, at);
    at += n;
  }
  out[offset] = config;
  return at - offset;
}

export interface SFrameHeader {
  kid: bigint;
  ctr: bigint;
  /** Bytes the header takes. */
  length: number;
}

/** Parse the header at `bytes[offset]`, or null when the bytes end inside it. */
export function readHeader(bytes: Uint8Array, offset = 0): SFrameHeader | null {
  if (offset >= bytes.length) return null;
  const config = bytes[offset]!;
  let at = offset + 1;
  let kid: bigint;
  let ctr: bigint;
  if ((config & 0x80) === 0) kid = BigInt((config >> 4) & 7);
  else {
    const n = ((config >> 4) & 7) + 1;
    if (at + n > bytes.length) return null;
    kid = readUint(bytes, at, n);
    at += n;
  }
  if ((config & 0x08) === 0) ctr = BigInt(config & 7);
  else {
    const n = (config & 7) + 1;
    if (at + n > bytes.length) return null;
    ctr = readUint(bytes, at, n);
    at += n;
  }
  return { kid, ctr, length: at - offset };
}

/** nonce = salt XOR CTR (left-padded to 12 bytes), written into `out` (§4.4.3). */
export function nonceInto(salt: Uint8Array, ctr: bigint, out: Uint8Array): Uint8Array {
  out.set(salt.subarray(0, SFRAME_NONCE_BYTES));
  for (let i = SFRAME_NONCE_BYTES - 1; i >= 4 && ctr !== 0n; i--) {
    out[i]! ^= Number(ctr & 0xffn);
    ctr >>= 8n;
  }
  return out;
}
