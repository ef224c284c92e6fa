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
 * The header, labels and nonce are sframe-format.ts, which the web page's
 * WebCrypto transform shares (src/web/sframe-transform.ts).
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import {
  checkU64,
  counterExhausted,
  keySaltInfos,
  nonceInto,
  readHeader,
  SFRAME_KEY_BYTES,
  SFRAME_NONCE_BYTES,
  SFRAME_TAG_BYTES,
  writeHeader,
  type SFrameRefusal,
} from './sframe-format.js';

export { AES_128_GCM_SHA256_128, readHeader, SFRAME_MAX_HEADER_BYTES, SFRAME_TAG_BYTES, writeHeader, type SFrameHeader, type SFrameRefusal } from './sframe-format.js';

export interface SFrameKeySalt {
  readonly key: Buffer;
  readonly salt: Buffer;
}

/**
 * derive_key_salt (RFC 9605 §4.4.2) with node:crypto: Node's hkdfSync
 * extracts with an empty salt and expands with the given info, which is
 * exactly sframe_secret = HKDF-Extract("", base_key) then Expand.
 */
export function deriveKeySalt(baseKey: Uint8Array, kid: bigint): SFrameKeySalt {
  const { keyInfo, saltInfo } = keySaltInfos(kid);
  const key = Buffer.from(hkdfSync('sha256', baseKey, new Uint8Array(0), keyInfo, SFRAME_KEY_BYTES));
  const salt = Buffer.from(hkdfSync('sha256', baseKey, new Uint8Array(0), saltInfo, SFRAME_NONCE_BYTES));
  return { key, salt };
}

const EMPTY = new Uint8Array(0);

/** One sender's SFrame context: one KID, its key, its own counter. */
export class SFrameSender {
  private readonly keySalt: SFrameKeySalt;
  private readonly nonce = Buffer.alloc(SFRAME_NONCE_BYTES);
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
    if (counterExhausted(this.ctr)) throw new RangeError('SFrame counter exhausted: a new key is needed');
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

/** The receiving side: the keys of every sender we accept, by KID. */
export class SFrameReceiver {
  private readonly keys = new Map<bigint, SFrameKeySalt>();
  private readonly nonce = Buffer.alloc(SFRAME_NONCE_BYTES);
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
