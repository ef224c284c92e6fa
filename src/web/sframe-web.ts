/**
 * SFrame (RFC 9605, cipher suite AES_128_GCM_SHA256_128) over WebCrypto, for
 * the web page's encoded transform (sframe-transform.ts): the same wire
 * format, key schedule and nonce as the terminal's node:crypto version
 * (src/engine/sfu/sframe.ts), both read from src/engine/sfu/sframe-format.ts,
 * so a frame sealed by either opens in the other (docs/architecture.md §11).
 *
 * WebCrypto's AES-GCM writes ciphertext ‖ tag, which is SFrame's layout
 * after the header; the header is the associated data (§4.4.3). Every call
 * is asynchronous; the counter is taken before the first await, so frames
 * sealed concurrently never share a nonce.
 */
import {
  counterExhausted,
  keySaltInfos,
  nonceInto,
  readHeader,
  SFRAME_KEY_BYTES,
  SFRAME_MAX_HEADER_BYTES,
  SFRAME_NONCE_BYTES,
  SFRAME_TAG_BYTES,
  writeHeader,
  type SFrameRefusal,
} from '../engine/sfu/sframe-format.js';

interface WebKeySalt {
  readonly key: CryptoKey;
  readonly salt: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** WebCrypto's typings want an ArrayBuffer-backed view; ours always are (never a SharedArrayBuffer). */
const buf = (bytes: Uint8Array): BufferSource => bytes as Uint8Array<ArrayBuffer>;

/** derive_key_salt (RFC 9605 §4.4.2): HKDF-Extract with an empty salt, then Expand with the suite's labels. */
export async function deriveWebKeySalt(baseKey: Uint8Array, kid: bigint): Promise<{ key: Uint8Array; salt: Uint8Array }> {
  const { keyInfo, saltInfo } = keySaltInfos(kid);
  const ikm = await crypto.subtle.importKey('raw', buf(baseKey), 'HKDF', false, ['deriveBits']);
  const expand = async (info: Uint8Array, bytes: number): Promise<Uint8Array> =>
    new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: EMPTY, info: buf(info) }, ikm, bytes * 8));
  return { key: await expand(keyInfo, SFRAME_KEY_BYTES), salt: await expand(saltInfo, SFRAME_NONCE_BYTES) };
}

async function importKeySalt(baseKey: Uint8Array, kid: bigint): Promise<WebKeySalt> {
  const { key, salt } = await deriveWebKeySalt(baseKey, kid);
  return { key: await crypto.subtle.importKey('raw', buf(key), 'AES-GCM', false, ['encrypt', 'decrypt']), salt };
}

function aad(header: Uint8Array, metadata: Uint8Array): Uint8Array {
  if (metadata.length === 0) return header;
  const out = new Uint8Array(header.length + metadata.length);
  out.set(header);
  out.set(metadata, header.length);
  return out;
}

/** One sender's context: one KID, its key, its own counter (keep it as long as the key, §4.4.3). */
export class WebSFrameSender {
  private ctr: bigint;

  private constructor(
    readonly kid: bigint,
    private readonly keySalt: WebKeySalt,
    firstCounter: bigint,
  ) {
    this.ctr = firstCounter;
  }

  static async create(kid: bigint, baseKey: Uint8Array, opts: { firstCounter?: bigint } = {}): Promise<WebSFrameSender> {
    return new WebSFrameSender(kid, await importKeySalt(baseKey, kid), opts.firstCounter ?? 0n);
  }

  get nextCounter(): bigint {
    return this.ctr;
  }

  /** header ‖ AES-GCM(plaintext) ‖ tag; `metadata` is authenticated, not sent. */
  async encrypt(plaintext: Uint8Array, metadata: Uint8Array = EMPTY): Promise<Uint8Array> {
    if (counterExhausted(this.ctr)) throw new RangeError('SFrame counter exhausted: a new key is needed');
    const ctr = this.ctr;
    this.ctr++;
    const headerBuf = new Uint8Array(SFRAME_MAX_HEADER_BYTES);
    const header = headerBuf.subarray(0, writeHeader(this.kid, ctr, headerBuf));
    const iv = nonceInto(this.keySalt.salt, ctr, new Uint8Array(SFRAME_NONCE_BYTES));
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad(header, metadata)), tagLength: SFRAME_TAG_BYTES * 8 }, this.keySalt.key, buf(plaintext)),
    );
    const out = new Uint8Array(header.length + sealed.length);
    out.set(header);
    out.set(sealed, header.length);
    return out;
  }
}

/** The receiving side: the keys of every sender accepted, by KID. */
export class WebSFrameReceiver {
  private readonly keys = new Map<bigint, WebKeySalt>();

  async addKey(kid: bigint, baseKey: Uint8Array): Promise<void> {
    this.keys.set(kid, await importKeySalt(baseKey, kid));
  }

  /** The plaintext, or why the frame is refused; never throws for bad input (what comes from the network is untrusted). */
  async decrypt(bytes: Uint8Array, metadata: Uint8Array = EMPTY): Promise<Uint8Array | SFrameRefusal> {
    const header = readHeader(bytes);
    if (header === null || bytes.length < header.length + SFRAME_TAG_BYTES) return 'malformed';
    const keySalt = this.keys.get(header.kid);
    if (keySalt === undefined) return 'unknown-kid';
    const iv = nonceInto(keySalt.salt, header.ctr, new Uint8Array(SFRAME_NONCE_BYTES));
    try {
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad(bytes.subarray(0, header.length), metadata)), tagLength: SFRAME_TAG_BYTES * 8 },
        keySalt.key,
        buf(bytes.subarray(header.length)),
      );
      return new Uint8Array(plain);
    } catch {
      return 'auth-failed';
    }
  }
}
