/**
 * Join code → room id (sent to the server) + room key (never sent), and the
 * end-to-end encryption of every relayed payload.
 *
 * Only WebCrypto primitives are used (PBKDF2-SHA-256, HKDF-SHA-256,
 * AES-256-GCM) through `globalThis.crypto` (portable.ts), so the web client
 * runs this very module.
 *
 * Derivation (RFC 8018 PBKDF2, RFC 5869 HKDF):
 *   master  = PBKDF2-SHA-256(code, salt = "roundtable/join-code/v1", 200 000 iterations, 256 bits)
 *   roomId  = base64url(HKDF-SHA-256(master, info = "roundtable/room-id/v1", 256 bits))
 *   roomKey = HKDF-SHA-256(master, info = "roundtable/room-key/v1") as an AES-256-GCM key
 *   mediaSecret = HKDF-SHA-256(master, info = "roundtable/media-secret/v1", 256 bits): the root of
 *                 every sender's SFrame key on the SFU path (docs/architecture.md §11), never sent
 * The server sees roomId; the slow PBKDF2 over a ~42-bit code makes guessing
 * the code from roomId cost 2^42 × 200k SHA-256 rounds. A wrong code gives a
 * different roomId, i.e. a different, empty room.
 *
 * Sealed blob (base64url): [format 0x01][IV 12 bytes][AES-GCM ciphertext ‖ 16-byte tag].
 * The associated data binds purpose, room, sender and recipient ids, so the
 * server can neither read nor alter a blob (e.g. swap the DTLS fingerprint in
 * an SDP), nor re-address one peer's blob to another peer, without the
 * recipient's decryption failing.
 */
import { PROTOCOL_VERSION } from './version.js';
import { normalizeJoinCode } from './join-code.js';
import { fromBase64Url, toBase64Url, webCrypto, type RoomCryptoKey as CryptoKey } from './portable.js';

export { toBase64Url } from './portable.js';

const subtle = webCrypto.subtle;

export const KDF_ITERATIONS = 200_000;
const KDF_SALT = 'roundtable/join-code/v1';
const ROOM_ID_INFO = 'roundtable/room-id/v1';
const ROOM_KEY_INFO = 'roundtable/room-key/v1';
const MEDIA_SECRET_INFO = 'roundtable/media-secret/v1';
const BLOB_FORMAT = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export interface RoomSecrets {
  /** 43-char base64url id the server groups peers by. */
  readonly roomId: string;
  /** AES-256-GCM key, non-extractable; never leaves this process. */
  readonly key: CryptoKey;
  /**
   * 32 bytes each sender's SFrame key derives from (sfu/sframe-keys.ts):
   * raw, because the media side (another process) seals with node:crypto.
   * Never sent to the signaling server or the SFU.
   */
  readonly mediaSecret: Uint8Array;
}

export type PayloadPurpose = 'signal' | 'hello';

/** Who a blob is from and to; all of it is authenticated (AEAD associated data). */
export interface PayloadContext {
  readonly purpose: PayloadPurpose;
  readonly roomId: string;
  readonly from: string;
  /** Recipient peer id, or '*' for a blob every room member reads (hello). */
  readonly to: string;
}

export class PayloadDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptError';
  }
}

/** Derive the room id and key from a join code (normalized first; throws on an invalid code). */
export async function deriveRoomSecrets(code: string): Promise<RoomSecrets> {
  const normalized = normalizeJoinCode(code);
  const pbkdfKey = await subtle.importKey('raw', utf8.encode(normalized), 'PBKDF2', false, ['deriveBits']);
  const masterBits = await subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: utf8.encode(KDF_SALT), iterations: KDF_ITERATIONS },
    pbkdfKey,
    256,
  );
  const hkdfKey = await subtle.importKey('raw', masterBits, 'HKDF', false, ['deriveBits', 'deriveKey']);
  const roomIdBits = await subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8.encode(ROOM_ID_INFO) },
    hkdfKey,
    256,
  );
  const key = await subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8.encode(ROOM_KEY_INFO) },
    hkdfKey,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
  const mediaSecretBits = await subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8.encode(MEDIA_SECRET_INFO) },
    hkdfKey,
    256,
  );
  return { roomId: toBase64Url(new Uint8Array(roomIdBits)), key, mediaSecret: new Uint8Array(mediaSecretBits) };
}

function associatedData(ctx: PayloadContext): Uint8Array {
  // A JSON array is an unambiguous encoding of the fields (no separator games).
  return utf8.encode(JSON.stringify(['roundtable', PROTOCOL_VERSION, ctx.purpose, ctx.roomId, ctx.from, ctx.to]));
}

/** Encrypt and authenticate a JSON value for `ctx`. */
export async function sealPayload(key: CryptoKey, ctx: PayloadContext, value: unknown): Promise<string> {
  const iv = webCrypto.getRandomValues(new Uint8Array(IV_BYTES));
  const plaintext = utf8.encode(JSON.stringify(value ?? null));
  const ciphertext = new Uint8Array(
    await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: associatedData(ctx), tagLength: TAG_BYTES * 8 }, key, plaintext),
  );
  const out = new Uint8Array(1 + IV_BYTES + ciphertext.length);
  out[0] = BLOB_FORMAT;
  out.set(iv, 1);
  out.set(ciphertext, 1 + IV_BYTES);
  return toBase64Url(out);
}

/** Decrypt a blob sealed for `ctx`; throws PayloadDecryptError on any tampering, wrong key or wrong context. */
export async function openPayload(key: CryptoKey, ctx: PayloadContext, blob: string): Promise<unknown> {
  if (typeof blob !== 'string' || !/^[A-Za-z0-9_-]*$/u.test(blob)) throw new PayloadDecryptError('payload is not base64url');
  const bytes = fromBase64Url(blob);
  if (bytes.length < 1 + IV_BYTES + TAG_BYTES) throw new PayloadDecryptError('payload too short');
  if (bytes[0] !== BLOB_FORMAT) throw new PayloadDecryptError(`unknown payload format ${bytes[0]}`);
  let plaintext: ArrayBuffer;
  try {
    plaintext = await subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.subarray(1, 1 + IV_BYTES), additionalData: associatedData(ctx), tagLength: TAG_BYTES * 8 },
      key,
      bytes.subarray(1 + IV_BYTES),
    );
  } catch {
    throw new PayloadDecryptError('payload failed authentication (wrong room key, tampered, or re-addressed)');
  }
  try {
    return JSON.parse(utf8Decoder.decode(plaintext)) as unknown;
  } catch {
    throw new PayloadDecryptError('decrypted payload is not JSON');
  }
}
