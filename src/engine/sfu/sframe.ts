/**
 * SFrame (RFC 9605) with the AES_128_GCM_SHA256_128 cipher suite (0x0004,
 * RFC 9605 §4.5), for Opus frames that cross an SFU (docs/architecture.md
 * §11): Janus terminates DTLS-SRTP, so SRTP alone would let it hear the
 * audio; each frame's payload is therefore sealed end to end before it
 * enters SRTP, and the SFU forwards bytes it cannot read.
 *
 *   ciphertext = header ‖ AES-GCM(sframe_key, nonce, aad = header ‖ metadata, plaintext) ‖ tag(16)
 *   header     = config byte X|K|Y|C, then KID and CTR as minimal big-endian integers (RFC 9605 §4.3)
 *   nonce      = sframe_salt XOR CTR, left-padded to 12 bytes (RFC 9605 §4.4.3)
 *   sframe_key, sframe_salt = HKDF-SHA256 from base_key, labelled with KID and the suite (RFC 9605 §4.4.2)
 *
 * The counter is the sender's own (one per KID), so a nonce never repeats
 * under one key as long as a sender never resets it: a sender object lives
 * as long as its key. Receivers reject KIDs they do not know.
 *
 * Per frame this allocates what node:crypto allocates (one cipher object,
 * its tag) plus a few small BigInts; the header and the ciphertext are
 * written into the caller's buffer. Measured cost: test/engine/sfu/sframe.test.ts.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';

export const AES_128_GCM_SHA256_128 = 0x0004;
const KEY_BYTES = 16;
const NONCE_BYTES = 12;
export const SFRAME_TAG_BYTES = 16;
/** The longest header: config byte + 8-byte KID + 8-byte CTR. */
export const SFRAME_MAX_HEADER_BYTES = 17;
const MAX_U64 = (1n << 64n) - 1n;

export interface SFrameKeySalt {
  readonly key: Buffer;
  readonly salt: Buffer;
}

function u64(value: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(value);
  return out;
}

function label(prefix: string, kid: bigint): Buffer {
  const suite = Buffer.alloc(2);
  suite.writeUInt16BE(AES_128_GCM_SHA256_128);
  return Buffer.concat([Buffer.from(prefix, 'ascii'), u64(kid), suite]);
}

/**
 * derive_key_salt (RFC 9605 §4.4.2): sframe_secret = HKDF-Extract("", base_key);
 * key and salt are HKDF-Expand of it with the labels "SFrame 1.0 Secret key "
 * / "SFrame 1.0 Secret salt " ‖ KID (u64) ‖ cipher suite (u16). Node's
 * hkdfSync extracts with an empty salt and expands, which is exactly that.
 */
export function deriveKeySalt(baseKey: Uint8Array, kid: bigint): SFrameKeySalt {
  checkU64(kid, 'KID');
  const key = Buffer.from(hkdfSync('sha256', baseKey, new Uint8Array(0), label('SFrame 1.0 Secret key ', kid), KEY_BYTES));
  const salt = Buffer.from(hkdfSync('sha256', baseKey, new Uint8Array(0), label('SFrame 1.0 Secret salt ', kid), NONCE_BYTES));
  return { key, salt };
}

function checkU64(value: bigint, what: string): void {
  if (value < 0n || value > MAX_U64) throw new RangeError(`${what} must fit in 64 bits, got ${value}`);
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

/**
 * Write the SFrame header for (KID, CTR) at `out[offset]` (RFC 9605 §4.3):
 * a value below 8 sits in the config byte itself, a larger one follows in
 * as few bytes as it needs. Returns the header's length.
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

function readUint(bytes: Uint8Array, offset: number, length: number): bigint {
  let v = 0n;
  for (let i = 0; i < length; i++) v = (v << 8n) | BigInt(bytes[offset + i]!);
  return v;
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

/** nonce = salt XOR CTR (left-padded to 12 bytes), written into `out` (RFC 9605 §4.4.3). */
function nonceInto(salt: Buffer, ctr: bigint, out: Buffer): Buffer {
  salt.copy(out);
  for (let i = NONCE_BYTES - 1; i >= 4 && ctr !== 0n; i--) {
    out[i]! ^= Number(ctr & 0xffn);
    ctr >>= 8n;
  }
  return out;
}

const EMPTY = new Uint8Array(0);

/** One sender's SFrame context: one KID, its key, its own counter. */
export class SFrameSender {
  private readonly keySalt: SFrameKeySalt;
  private readonly nonce = Buffer.alloc(NONCE_BYTES);
  private ctr: bigint;

  constructor(
    readonly kid: bigint,
    baseKey: Uint8Array,
    opts: { firstCounter?: bigint } = {},
  ) {
    this.keySalt = deriveKeySalt(baseKey, kid);
    this.ctr = opts.firstCounter ?? 0n;
    checkU64(this.ctr, 'CTR');
  }

  /** The counter the next frame will carry. */
  get nextCounter(): bigint {
    return this.ctr;
  }

  /**
   * Seal `plaintext` into `out` at `offset` (header ‖ ciphertext ‖ tag) and
   * return the bytes written. `out` must hold SFRAME_MAX_HEADER_BYTES +
   * plaintext + SFRAME_TAG_BYTES. `metadata` is authenticated, not sent.
   */
  encrypt(plaintext: Uint8Array, out: Uint8Array, offset = 0, metadata: Uint8Array = EMPTY): number {
    if (this.ctr > MAX_U64) throw new RangeError('SFrame counter exhausted: a new key is needed');
    const ctr = this.ctr;
    this.ctr++;
    const headerLength = writeHeader(this.kid, ctr, out, offset);
    const header = out.subarray(offset, offset + headerLength);
    const cipher = createCipheriv('aes-128-gcm', this.keySalt.key, nonceInto(this.keySalt.salt, ctr, this.nonce), { authTagLength: SFRAME_TAG_BYTES });
    cipher.setAAD(metadata.length === 0 ? header : Buffer.concat([header, metadata]));
    let at = offset + headerLength;
    const body = cipher.update(plaintext);
    out.set(body, at);
    at += body.length;
    const final = cipher.final();
    out.set(final, at);
    at += final.length;
    out.set(cipher.getAuthTag(), at);
    return at + SFRAME_TAG_BYTES - offset;
  }
}

/** Why a frame was refused (counted by the caller; never thrown on the media path). */
export type SFrameRefusal = 'malformed' | 'unknown-kid' | 'auth-failed';

/** The receiving side: the keys of every sender we accept, by KID. */
export class SFrameReceiver {
  private readonly keys = new Map<bigint, SFrameKeySalt>();
  private readonly nonce = Buffer.alloc(NONCE_BYTES);
  /** Why the last decrypt returned -1. */
  lastRefusal: SFrameRefusal | null = null;

  addKey(kid: bigint, baseKey: Uint8Array): void {
    this.keys.set(kid, deriveKeySalt(baseKey, kid));
  }

  removeKey(kid: bigint): void {
    this.keys.delete(kid);
  }

  /**
   * Open the SFrame ciphertext `bytes` into `out` at `offset`; returns the
   * plaintext's length, or -1 (reason in `lastRefusal`) when the header is
   * malformed, the KID unknown or authentication fails. Never throws for
   * bad input: what comes from the network is untrusted.
   */
  decrypt(bytes: Uint8Array, out: Uint8Array, offset = 0, metadata: Uint8Array = EMPTY): number {
    const header = readHeader(bytes);
    if (header === null || bytes.length < header.length + SFRAME_TAG_BYTES) return this.refuse('malformed');
    const keySalt = this.keys.get(header.kid);
    if (keySalt === undefined) return this.refuse('unknown-kid');
    const headerBytes = bytes.subarray(0, header.length);
    const tagAt = bytes.length - SFRAME_TAG_BYTES;
    try {
      const decipher = createDecipheriv('aes-128-gcm', keySalt.key, nonceInto(keySalt.salt, header.ctr, this.nonce), { authTagLength: SFRAME_TAG_BYTES });
      decipher.setAAD(metadata.length === 0 ? headerBytes : Buffer.concat([headerBytes, metadata]));
      decipher.setAuthTag(bytes.subarray(tagAt));
      const body = decipher.update(bytes.subarray(header.length, tagAt));
      const final = decipher.final();
      if (offset + body.length + final.length > out.length) return this.refuse('malformed');
      out.set(body, offset);
      out.set(final, offset + body.length);
      this.lastRefusal = null;
      return body.length + final.length;
    } catch {
      return this.refuse('auth-failed');
    }
  }

  private refuse(reason: SFrameRefusal): number {
    this.lastRefusal = reason;
    return -1;
  }
}
