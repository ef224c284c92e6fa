/**
 * Human join codes, e.g. `purple-otter-lamp-river-42`.
 *
 * Entropy: 4 words from a 256-word list (4 × 8 = 32 bits) plus a number
 * 0..999 (log2(1000) ≈ 9.97 bits) ≈ 42 bits, above the 40-bit floor. The code
 * is a shared secret: it never leaves the client (see room-crypto.ts), so its
 * entropy together with the slow KDF is what keeps the server from
 * brute-forcing the room key from the room id it sees.
 *
 * Normalization makes a code read aloud or retyped still work: case is
 * ignored, and any run of spaces, dashes, underscores, dots, commas or
 * slashes separates words; leading zeros of the number are dropped.
 */
import { randomInt } from './portable.js';
import { JOIN_CODE_WORDS } from './wordlist.js';

export const JOIN_CODE_WORD_COUNT = 4;
export const JOIN_CODE_NUMBER_LIMIT = 1000;

const WORD_SET: ReadonlySet<string> = new Set(JOIN_CODE_WORDS);

/** Bits of entropy of a freshly generated code. */
export const JOIN_CODE_ENTROPY_BITS =
  JOIN_CODE_WORD_COUNT * Math.log2(JOIN_CODE_WORDS.length) + Math.log2(JOIN_CODE_NUMBER_LIMIT);

export class InvalidJoinCodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidJoinCodeError';
  }
}

/** A fresh random code from the CSPRNG. */
export function generateJoinCode(): string {
  const words: string[] = [];
  for (let i = 0; i < JOIN_CODE_WORD_COUNT; i++) words.push(JOIN_CODE_WORDS[randomInt(JOIN_CODE_WORDS.length)]!);
  return `${words.join('-')}-${randomInt(JOIN_CODE_NUMBER_LIMIT)}`;
}

/**
 * Canonical form `word-word-word-word-N`. Throws InvalidJoinCodeError with a
 * message that says what is wrong (for the CLI to print as is).
 */
export function normalizeJoinCode(input: string): string {
  if (typeof input !== 'string') throw new InvalidJoinCodeError('join code must be a string');
  const tokens = input
    .trim()
    .toLowerCase()
    .split(/[\s\-_.,/]+/u)
    .filter((t) => t.length > 0);
  const expected = JOIN_CODE_WORD_COUNT + 1;
  if (tokens.length !== expected) {
    throw new InvalidJoinCodeError(
      `invalid join code "${input.slice(0, 80)}": expected ${JOIN_CODE_WORD_COUNT} words and a number, like purple-otter-lamp-river-42`,
    );
  }
  const words = tokens.slice(0, JOIN_CODE_WORD_COUNT);
  for (const w of words) {
    if (!WORD_SET.has(w)) throw new InvalidJoinCodeError(`invalid join code: "${w.slice(0, 40)}" is not a join-code word`);
  }
  const numberToken = tokens[JOIN_CODE_WORD_COUNT]!;
  if (!/^\d{1,3}$/u.test(numberToken.replace(/^0+(?=\d)/u, ''))) {
    throw new InvalidJoinCodeError(`invalid join code: "${numberToken.slice(0, 40)}" should be a number from 0 to 999`);
  }
  const n = Number.parseInt(numberToken, 10);
  return `${words.join('-')}-${n}`;
}

/** True when `input` normalizes to a valid code. */
export function isValidJoinCode(input: string): boolean {
  try {
    normalizeJoinCode(input);
    return true;
  } catch {
    return false;
  }
}
