/**
 * Why joining failed, in words a person can act on. Each message says what
 * went wrong and each hint what to try, ending in the step that brings them
 * back (usually "press Join again"), because the page keeps the Join button
 * there for exactly that.
 */
import type { SessionError } from '../../engine/api.js';
import { SignalingError } from '../../engine/signaling/client.js';
import { InvalidJoinCodeError } from '../../protocol/join-code.js';

/** A failure as the page shows it: always with something to try. */
export type Failure = Required<SessionError>;

const AGAIN = 'then press Join again.';

/**
 * getUserMedia rejects with a DOMException whose name says why
 * (https://w3c.github.io/mediacapture-main/#dom-mediadevices-getusermedia).
 * Matched by name rather than instanceof: some browsers reject with plain
 * objects carrying the name, and Node (the tests) has its own DOMException.
 */
const MICROPHONE_FAILURES: Readonly<Record<string, Failure>> = {
  NotAllowedError: {
    message: 'The browser was not allowed to use your microphone.',
    hint: `Allow the microphone for this site in the browser's site settings (the icon beside the address), ${AGAIN}`,
  },
  SecurityError: {
    message: 'The browser allows the microphone only on secure pages.',
    hint: 'Open the link over https, or on this computer as http://localhost, then press Join.',
  },
  NotFoundError: {
    message: 'No microphone was found.',
    hint: `Connect a microphone (or enable it in your system's sound settings), ${AGAIN}`,
  },
  OverconstrainedError: {
    message: 'Your microphone cannot record the way this page needs.',
    hint: `Choose another microphone in the browser's site settings, ${AGAIN}`,
  },
  NotReadableError: {
    message: 'Your microphone is busy or could not be started.',
    hint: `Close other apps or tabs that use the microphone, ${AGAIN}`,
  },
  AbortError: {
    message: 'Starting the microphone was interrupted.',
    hint: `Press Join again.`,
  },
};

type SignalingCode = SignalingError['code'];

const VERSION_MISMATCH: Failure = {
  message: 'This page and the server do not understand each other.',
  hint: `Reload the page (the server may have been updated), ${AGAIN}`,
};

const TOO_MANY_ATTEMPTS: Failure = {
  message: 'The server is refusing more attempts for now.',
  hint: `Wait a minute, ${AGAIN}`,
};

const SERVER_FAILURES: Partial<Readonly<Record<SignalingCode, Failure>>> = {
  unreachable: {
    message: 'Cannot reach the Roundtable server.',
    hint: `Check that the computer running "roundtable serve" is still on and that you can reach it (same network, no VPN in the way), ${AGAIN}`,
  },
  'room-full': {
    message: 'The room is full.',
    hint: 'Ask someone in the room to leave and press Join again, or create a new room and share its link.',
  },
  'room-locked': {
    message: 'The room is locked: nobody new may join.',
    hint: `Ask someone in the room to unlock it, ${AGAIN}`,
  },
  'knock-denied': {
    message: 'The room said no.',
    hint: 'Someone inside turned you away.',
  },
  'knock-timeout': {
    message: 'Nobody answered: nobody in the locked room let you in.',
    hint: `Ask someone in the room to let you in or to unlock it, ${AGAIN}`,
  },
  'knock-rate-limited': {
    message: 'The room is locked, and you knocked too often.',
    hint: `Wait a minute, ${AGAIN}`,
  },
  protocol: VERSION_MISMATCH,
  'unsupported-version': VERSION_MISMATCH,
  'bad-json': VERSION_MISMATCH,
  'bad-message': VERSION_MISMATCH,
  'binary-not-supported': VERSION_MISMATCH,
  'rate-limited': TOO_MANY_ATTEMPTS,
  'join-rate-limited': TOO_MANY_ATTEMPTS,
  'too-many-connections': TOO_MANY_ATTEMPTS,
  'too-many-rooms': {
    message: 'The server has too many rooms open.',
    hint: 'Try again later, or ask whoever runs the server.',
  },
  'shutting-down': {
    message: 'The server is shutting down.',
    hint: 'Wait until it is back, reload the page, then press Join.',
  },
};

const MALFORMED_CODE_HINT =
  'A code is four words and a number, like purple-otter-lamp-river-42. Check it, or ask for the link again.';

function nameOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const name = (err as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null) {
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return String(err);
}

/** Words for an error from join() (or anything else thrown while joining). */
export function describeFailure(err: unknown): Failure {
  if (err instanceof InvalidJoinCodeError) {
    return { message: capitalize(err.message), hint: MALFORMED_CODE_HINT };
  }
  if (err instanceof SignalingError) {
    const known = SERVER_FAILURES[err.code];
    if (known !== undefined) return known;
    return { message: `The server could not add you to the room: ${err.message}`, hint: 'Press Join again.' };
  }
  const name = nameOf(err);
  if (name !== undefined && Object.hasOwn(MICROPHONE_FAILURES, name)) return MICROPHONE_FAILURES[name]!;
  const message = messageOf(err).trim();
  return { message: message === '' ? 'Joining failed for an unknown reason.' : capitalize(message), hint: 'Press Join again.' };
}

/** A problem with the display name field, or null when the name will do. */
export function nameProblem(name: string): Failure | null {
  const trimmed = name.trim();
  if (trimmed.length === 0) return { message: 'Type a display name first.', hint: 'Others in the room see this name.' };
  if (Array.from(trimmed).length > MAX_NAME_CHARS) {
    return { message: `That name is too long.`, hint: `Use at most ${MAX_NAME_CHARS} characters.` };
  }
  return null;
}

/** The CLI's limit too (config/schema.ts `name`). */
export const MAX_NAME_CHARS = 32;

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
