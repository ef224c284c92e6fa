/**
 * Signaling messages: JSON text frames over one WebSocket, each with a
 * protocol version `v` and a `type`. Both ends validate every frame with these
 * schemas; anything that does not parse is answered with an `error` message.
 *
 * Client → server: join {relock?}, signal {to, payload}, lock, unlock,
 *   admit / deny {id}, ping, pong.
 * Server → client: joined {selfId, peers, knocks?}, peer-joined, peer-left,
 *   signal {from, payload}, lock / unlock {by}, knocking {timeoutMs},
 *   knock {id, hello}, knock-end {id, outcome, by?}, media-path {sfu?},
 *   error {code, message}, ping, pong.
 *
 * Identity: the client chooses its own random `peerId` and proves ownership
 * across reconnects with a random `token` (only its hash is kept by the
 * server). A client that reconnects after a signaling outage rejoins with the
 * same id, so the mesh recognises it and keeps the existing peer connection.
 * Payloads (`payload`, `hello`) are opaque sealed blobs (room-crypto.ts).
 *
 * A lock outlives a server restart through the members (docs/architecture.md
 * §4): a client that rejoins a room it last saw locked sends `relock` with the
 * ids of the peers it knew there. The server then locks the room in the same
 * step as the join when no peer the client knows is in it (the room is new,
 * or was made after a restart by someone else), and lets those ids back in
 * while it is locked.
 *
 * Knock and admit (docs/architecture.md §4): a newcomer whose join a locked
 * room would refuse is held instead (`knocking` to it, `knock` with its
 * sealed hello to every member: the server never learns its name). The first
 * member to answer `admit` or `deny` decides; the server tells the members
 * (`knock-end`) and either completes the newcomer's join (its id goes into
 * the ids the locked room lets in) or refuses it (`knock-denied`). A knock
 * nobody answers ends with `knock-timeout`; one whose connection drops ends
 * as `withdrawn`.
 */
// zod/mini: the same schemas as zod's classic API, tree-shakable, so the web
// client's bundle carries only what these messages use (measured: the
// classic import made 454 kB of a 508 kB bundle). English messages are
// loaded once below, as the server's error replies quote them.
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { PROTOCOL_VERSION } from './version.js';

export { PROTOCOL_VERSION };

/** Largest sealed blob (base64url chars) a signal may carry: an SDP with many candidates fits easily. */
export const MAX_PAYLOAD_CHARS = 48 * 1024;
/** Largest sealed hello blob (display name and small metadata). */
export const MAX_HELLO_CHARS = 1024;

const base64url = /^[A-Za-z0-9_-]+$/u;
z.config(en());

const base64urlString = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max), z.regex(base64url, 'must be base64url'));
export const peerIdSchema = base64urlString(16, 64);
export const roomIdSchema = base64urlString(16, 128);
const tokenSchema = base64urlString(16, 128);
/** A signal's sealed payload (also what signaling nodes pass each other through Redis). */
export const signalPayloadSchema = base64urlString(1, MAX_PAYLOAD_CHARS);
const helloSchema = base64urlString(1, MAX_HELLO_CHARS);
const v = z.literal(PROTOCOL_VERSION);
// z.number() refuses NaN and ±Infinity (zod 4).
const tsSchema = z.optional(z.number());

export const ERROR_CODES = [
  'bad-json',
  'bad-message',
  'binary-not-supported',
  'unsupported-version',
  'too-large',
  'rate-limited',
  'too-many-connections',
  'join-rate-limited',
  'not-joined',
  'already-joined',
  'room-locked',
  'knock-denied',
  'knock-timeout',
  'knock-rate-limited',
  'room-full',
  'too-many-rooms',
  'peer-id-taken',
  'unknown-peer',
  'shutting-down',
  'internal',
  /** `join {sfu: true}` at a server that coordinates no SFU (docs/architecture.md §11). */
  'sfu-unavailable',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Why a peer left, so the mesh can keep a healthy P2P link through a mere signaling drop. */
export const LEAVE_REASONS = ['left', 'disconnected', 'timeout', 'replaced'] as const;
export type LeaveReason = (typeof LEAVE_REASONS)[number];

// ---- client → server ----

export const joinMessageSchema = z.object({
  v,
  type: z.literal('join'),
  roomId: roomIdSchema,
  peerId: peerIdSchema,
  token: tokenSchema,
  hello: z.optional(helloSchema),
  /** Rejoining a room last seen locked: lock it again (see above), admitting these peers' ids while locked. */
  relock: z.optional(z.array(peerIdSchema).check(z.maxLength(256))),
  /** Creating the room: route its media through the server's SFU (docs/architecture.md §11); an existing room keeps its mode. */
  sfu: z.optional(z.literal(true)),
});
export const signalToMessageSchema = z.object({ v, type: z.literal('signal'), to: peerIdSchema, payload: signalPayloadSchema });
export const lockMessageSchema = z.object({ v, type: z.literal('lock') });
export const unlockMessageSchema = z.object({ v, type: z.literal('unlock') });
/** A member's answer to a knock (the first answer decides). */
export const admitMessageSchema = z.object({ v, type: z.literal('admit'), id: peerIdSchema });
export const denyMessageSchema = z.object({ v, type: z.literal('deny'), id: peerIdSchema });
export const pingMessageSchema = z.object({ v, type: z.literal('ping'), ts: tsSchema });
export const pongMessageSchema = z.object({ v, type: z.literal('pong'), ts: tsSchema });

export const clientMessageSchema = z.discriminatedUnion('type', [
  joinMessageSchema,
  signalToMessageSchema,
  lockMessageSchema,
  unlockMessageSchema,
  admitMessageSchema,
  denyMessageSchema,
  pingMessageSchema,
  pongMessageSchema,
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type JoinMessage = z.infer<typeof joinMessageSchema>;

// ---- server → client ----

/** Where an SFU room's media goes (joined.sfu). */
export function sfuRouteSchema() {
  return z.object({
    v: z.literal(1),
    janus: z.string().check(z.maxLength(512), z.regex(/^wss?:\/\/[^\s]+$/u, 'must be a ws:// or wss:// URL')),
    publishers: z.int().check(z.minimum(2), z.maximum(256)),
    /**
     * The server put the room on the SFU because of its size (it goes back to the mesh when it
     * shrinks); absent when its first member asked for it. A client asks for the SFU again on a
     * rejoin only in the second case.
     */
    auto: z.optional(z.literal(true)),
  });
}
export type SfuRoute = z.infer<ReturnType<typeof sfuRouteSchema>>;

export const peerInfoSchema = z.object({ id: peerIdSchema, hello: z.optional(helloSchema) });
export type PeerInfo = z.infer<typeof peerInfoSchema>;

export const joinedMessageSchema = z.object({
  v,
  type: z.literal('joined'),
  selfId: peerIdSchema,
  peers: z.array(peerInfoSchema).check(z.maxLength(256)),
  locked: z.boolean(),
  /** Server heartbeat period, so the client can tell a dead server from a quiet one. */
  heartbeatMs: z.int().check(z.positive()),
  /** True when this join took over a session the server still held for this id (fast reconnect). */
  resumed: z.boolean(),
  /** Newcomers knocking at the locked room right now (a member who joins or rejoins meanwhile can answer them). */
  knocks: z.optional(z.array(peerInfoSchema).check(z.maxLength(256))),
  /**
   * Present when the room's media goes through an SFU (docs/architecture.md §11): the Janus
   * WebSocket URL and how many publishers its room must allow. Versioned on its own, so a
   * later mode can be told apart; absent means a mesh room.
   */
  sfu: z.optional(sfuRouteSchema()),
});
/**
 * To every member: the room's media path changed (docs/architecture.md §11, "Switching at a
 * size"): `sfu` present, through that SFU from now on; absent, back to the mesh.
 */
export const mediaPathMessageSchema = z.object({ v, type: z.literal('media-path'), sfu: z.optional(sfuRouteSchema()) });
export const peerJoinedMessageSchema = z.object({ v, type: z.literal('peer-joined'), id: peerIdSchema, hello: z.optional(helloSchema) });
export const peerLeftMessageSchema = z.object({ v, type: z.literal('peer-left'), id: peerIdSchema, reason: z.enum(LEAVE_REASONS) });
export const signalFromMessageSchema = z.object({ v, type: z.literal('signal'), from: peerIdSchema, payload: signalPayloadSchema });
export const lockedMessageSchema = z.object({ v, type: z.literal('lock'), by: peerIdSchema });
export const unlockedMessageSchema = z.object({ v, type: z.literal('unlock'), by: peerIdSchema });
/** How a knock ended, as the members are told. */
export const KNOCK_OUTCOMES = ['admitted', 'denied', 'timeout', 'withdrawn'] as const;
export type KnockOutcome = (typeof KNOCK_OUTCOMES)[number];
/** To the newcomer: the room is locked, its members were asked; wait up to `timeoutMs`. */
export const knockingMessageSchema = z.object({ v, type: z.literal('knocking'), timeoutMs: z.int().check(z.positive()) });
/** To the members: a newcomer knocks (its sealed hello carries its name). */
export const knockMessageSchema = z.object({ v, type: z.literal('knock'), id: peerIdSchema, hello: z.optional(helloSchema) });
/** To the members: a knock is over; `by` is the member who answered (admitted, denied). */
export const knockEndMessageSchema = z.object({ v, type: z.literal('knock-end'), id: peerIdSchema, outcome: z.enum(KNOCK_OUTCOMES), by: z.optional(peerIdSchema) });
export const errorMessageSchema = z.object({
  v,
  type: z.literal('error'),
  code: z.enum(ERROR_CODES),
  message: z.string().check(z.maxLength(1000)),
});

export const serverMessageSchema = z.discriminatedUnion('type', [
  joinedMessageSchema,
  peerJoinedMessageSchema,
  peerLeftMessageSchema,
  signalFromMessageSchema,
  lockedMessageSchema,
  unlockedMessageSchema,
  knockingMessageSchema,
  knockMessageSchema,
  knockEndMessageSchema,
  mediaPathMessageSchema,
  errorMessageSchema,
  pingMessageSchema,
  pongMessageSchema,
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
export type JoinedMessage = z.infer<typeof joinedMessageSchema>;
export type ErrorMessage = z.infer<typeof errorMessageSchema>;

/** Distributes Omit over a union so each message keeps its own shape. */
type WithoutV<T> = T extends unknown ? Omit<T, 'v'> : never;
export type ClientMessageBody = WithoutV<ClientMessage>;
export type ServerMessageBody = WithoutV<ServerMessage>;

export type ParseResult<T> = { ok: true; message: T } | { ok: false; code: ErrorCode; error: string };

function parseWith<T>(schema: z.ZodMiniType<T>, raw: string): ParseResult<T> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'bad-json', error: 'frame is not valid JSON' };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, code: 'bad-message', error: 'message must be a JSON object' };
  }
  const version = (data as { v?: unknown }).v;
  if (version !== PROTOCOL_VERSION) {
    return {
      ok: false,
      code: 'unsupported-version',
      error: `protocol version ${describe(version)} not supported (this end speaks v${PROTOCOL_VERSION})`,
    };
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'message';
    return { ok: false, code: 'bad-message', error: `invalid ${where}: ${issue?.message ?? 'does not match any message'}`.slice(0, 300) };
  }
  return { ok: true, message: result.data };
}

function describe(value: unknown): string {
  if (value === undefined) return '(missing)';
  const s = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return s.slice(0, 20);
}

/** Parse one text frame received by the server. */
export function parseClientMessage(raw: string): ParseResult<ClientMessage> {
  return parseWith(clientMessageSchema, raw);
}

/** Parse one text frame received by the client. */
export function parseServerMessage(raw: string): ParseResult<ServerMessage> {
  return parseWith(serverMessageSchema, raw);
}

/** Serialize a message, adding the protocol version. */
export function encodeMessage(body: ClientMessageBody | ServerMessageBody): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, ...body });
}
