/**
 * What signaling nodes tell each other through Redis, and what Redis's
 * scripts answer (redis-lua.ts), as zod schemas. Everything read from Redis
 * is untrusted input, like a client's frame: anyone who can reach the Redis
 * can publish on a node's channel or write its keys, so a message that does
 * not parse is counted, logged and dropped, and a frame to deliver must be a
 * valid server message (docs/architecture.md §5, "Several nodes").
 *
 * Channel messages (JSON, one per PUBLISH on `<prefix>node:<instance>`):
 * - deliver {r, c, f}: send frame `f` to this node's connections `c`, if
 *   they are in room `r`;
 * - signals {s: [[r, c, from, payload], …]}: the signals one relay batch
 *   (a turn of the sending node's loop) sends to this node's connections, in
 *   the order they were relayed: each is sent to connection `c`, if it is in
 *   room `r`, as `signal {from, payload}`. One message per batch and node
 *   instead of one per signal, and the frame is built here, so a signal is
 *   parsed once (not as a channel message and again as a frame);
 * - replaced {r, c}: connection `c`'s client took its place back through
 *   a newer connection (maybe on another node): close `c` without a leave;
 * - knock-ended {r, c, outcome, by?, why?}: connection `c`'s knock at `r`
 *   is over.
 */
import * as z from 'zod/mini';
import { KNOCK_OUTCOMES, MAX_HELLO_CHARS, MAX_PAYLOAD_CHARS, parseServerMessage, peerIdSchema, roomIdSchema, sfuRouteSchema, signalPayloadSchema, type ServerMessage, type SfuRoute } from '../protocol/index.js';
import type { JoinRefusal } from './room-manager.js';

/** A connection's id on its node. */
const connIdSchema = z.int().check(z.gte(1), z.lte(Number.MAX_SAFE_INTEGER));
/** A frame is one server message: a signal's payload plus its envelope. */
const MAX_FRAME_CHARS = MAX_PAYLOAD_CHARS + 1024;
const helloOrEmpty = z.string().check(z.maxLength(MAX_HELLO_CHARS), z.regex(/^[A-Za-z0-9_-]*$/u));

export const KNOCK_ENDINGS = ['admitted', 'denied', 'timeout'] as const;

/** Signals in one relay batch at most (one script run, one channel message per node): Redis runs a script alone, so it stays short. */
export const MAX_RELAYS_PER_BATCH = 256;

const busMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('deliver'), r: roomIdSchema, c: z.array(connIdSchema).check(z.minLength(1), z.maxLength(256)), f: z.string().check(z.maxLength(MAX_FRAME_CHARS)) }),
  z.object({ t: z.literal('signals'), s: z.array(z.tuple([roomIdSchema, connIdSchema, peerIdSchema, signalPayloadSchema])).check(z.minLength(1), z.maxLength(MAX_RELAYS_PER_BATCH)) }),
  z.object({ t: z.literal('replaced'), r: roomIdSchema, c: connIdSchema }),
  z.object({
    t: z.literal('knock-ended'),
    r: roomIdSchema,
    c: connIdSchema,
    outcome: z.enum(KNOCK_ENDINGS),
    by: z.optional(peerIdSchema),
    why: z.optional(z.string().check(z.maxLength(200))),
  }),
]);

type RawBusMessage = z.infer<typeof busMessageSchema>;
/** A channel message, its frame (for deliver) already parsed. */
export type BusMessage = Exclude<RawBusMessage, { t: 'deliver' }> | (Extract<RawBusMessage, { t: 'deliver' }> & { frame: ServerMessage });
/** What a channel message holds for one connection: a message as it came, or one signal of a `signals` batch. */
export type ConnMessage = Exclude<BusMessage, { t: 'signals' }> | { t: 'signal'; r: string; from: string; payload: string };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function fail<T>(error: string): Parsed<T> {
  return { ok: false, error: error.slice(0, 300) };
}

function firstIssue(error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }): string {
  const issue = error.issues[0];
  const where = issue !== undefined && issue.path.length > 0 ? issue.path.map(String).join('.') : 'message';
  return `invalid ${where}: ${issue?.message ?? 'does not match'}`;
}

export function parseBusMessage(raw: string): Parsed<BusMessage> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return fail('not JSON');
  }
  const result = busMessageSchema.safeParse(data);
  if (!result.success) return fail(firstIssue(result.error));
  const msg = result.data;
  if (msg.t !== 'deliver') return { ok: true, value: msg };
  const frame = parseServerMessage(msg.f);
  if (!frame.ok) return fail(`frame: ${frame.error}`);
  return { ok: true, value: { ...msg, frame: frame.message } };
}

// ---- script replies (redis-lua.ts says what each returns) ----

const flag = z.union([z.literal(0), z.literal(1)]);
const count = z.int().check(z.gte(0));
const seqSchema = z.string().check(z.regex(/^\d{1,15}$/u));

/** Knocks the script ended, for this node's log: room, knocker, outcome, waited ms, by ('' if nobody). */
const endedSchema = z.array(z.tuple([roomIdSchema, peerIdSchema, z.enum(KNOCK_OUTCOMES), z.string().check(z.regex(/^-?\d{1,15}$/u)), z.union([z.literal(''), peerIdSchema])])).check(z.maxLength(10_000));
export type EndedKnock = { roomId: string; id: string; outcome: (typeof KNOCK_OUTCOMES)[number]; waitedMs: number; by: string | undefined };

function ended(list: z.infer<typeof endedSchema>): EndedKnock[] {
  return list.map(([roomId, id, outcome, waited, by]) => ({ roomId, id, outcome, waitedMs: Number(waited), by: by === '' ? undefined : by }));
}

/** The path a room moved to in this script ('' when it did not move). */
const switchedSchema = z.enum(['', 'sfu', 'mesh']);

const routeSchema = sfuRouteSchema();

const joinReplySchema = z.union([
  z.tuple([z.literal('refused'), z.enum(['peer-id-taken', 'room-locked', 'room-full', 'too-many-rooms'])]),
  z.tuple([
    z.literal('joined'),
    flag,
    flag,
    flag,
    count,
    z.array(z.tuple([peerIdSchema, helloOrEmpty, seqSchema])).check(z.maxLength(1024)),
    z.array(z.tuple([peerIdSchema, helloOrEmpty])).check(z.maxLength(1024)),
    // A route that does not parse fails the reply (untrusted input), rather than put the newcomer on the mesh.
    z.string().check(z.maxLength(1024), z.refine((json) => json === '' || parseRoute(json) !== undefined, 'an SFU route as JSON, or empty')),
    switchedSchema,
  ]),
]);

export type JoinReply =
  | { kind: 'refused'; code: JoinRefusal }
  | {
      kind: 'joined';
      resumed: boolean;
      relocked: boolean;
      locked: boolean;
      roomSize: number;
      /** Oldest member first. */
      peers: { id: string; hello: string | undefined }[];
      /** Oldest knock first. */
      knocks: { id: string; hello: string | undefined }[];
      /** Where the room's media goes: the SFU's route, undefined for the mesh. */
      sfu: SfuRoute | undefined;
      /** The path this join moved the room to, if it did. */
      switched: 'sfu' | 'mesh' | undefined;
    };

const optionalHello = (h: string): string | undefined => (h === '' ? undefined : h);

function parseWith<S extends z.ZodMiniType, T>(schema: S, reply: unknown, map: (v: z.infer<S>) => T): Parsed<T> {
  const result = schema.safeParse(reply);
  return result.success ? { ok: true, value: map(result.data) } : fail(firstIssue(result.error));
}

export function parseJoinReply(reply: unknown): Parsed<JoinReply> {
  return parseWith(joinReplySchema, reply, (v): JoinReply => {
    if (v[0] === 'refused') return { kind: 'refused', code: v[1] };
    const [, resumed, relocked, locked, roomSize, peers, knocks, route, switched] = v;
    return {
      sfu: parseRoute(route),
      switched: switched === '' ? undefined : switched,
      kind: 'joined',
      resumed: resumed === 1,
      relocked: relocked === 1,
      locked: locked === 1,
      roomSize,
      peers: [...peers].sort((a, b) => Number(a[2]) - Number(b[2])).map(([id, hello]) => ({ id, hello: optionalHello(hello) })),
      knocks: knocks.map(([id, hello]) => ({ id, hello: optionalHello(hello) })),
    };
  });
}

/** The route a script returned as JSON ('' for the mesh); undefined where it does not parse. */
function parseRoute(json: string): SfuRoute | undefined {
  if (json === '') return undefined;
  try {
    const r = routeSchema.safeParse(JSON.parse(json));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** leave: [left, room size after, ended knocks, the path the room moved to or '']. */
export function parseLeaveReply(reply: unknown): Parsed<{ left: boolean; roomSize: number; ended: EndedKnock[]; switched: 'sfu' | 'mesh' | undefined }> {
  return parseWith(z.tuple([flag, count, endedSchema, switchedSchema]), reply, ([left, roomSize, e, switched]) => ({ left: left === 1, roomSize, ended: ended(e), switched: switched === '' ? undefined : switched }));
}

/** lock, answer, end-knock: [done, ended knocks]. */
export function parseDoneReply(reply: unknown): Parsed<{ done: boolean; ended: EndedKnock[] }> {
  return parseWith(z.tuple([flag, endedSchema]), reply, ([done, e]) => ({ done: done === 1, ended: ended(e) }));
}

const relayBatchReplySchema = z.string().check(z.regex(/^[01]+$/u));

/** relay (a batch of `count` signals): one character per signal, in order, '1' relayed, '0' no such peer. */
export function parseRelayReply(reply: unknown, count: number): Parsed<string> {
  const parsed = parseWith(relayBatchReplySchema, reply, (v) => v);
  if (parsed.ok && parsed.value.length !== count) return fail(`${parsed.value.length} answers for ${count} signals`);
  return parsed;
}

const knockReplySchema = z.union([
  z.tuple([z.literal('retry')]),
  z.tuple([z.literal('refused'), z.enum(['too-many-knocks', 'id-knocking'])]),
  z.tuple([z.literal('knocking'), count]),
]);

export type KnockReply = { kind: 'retry' } | { kind: 'refused'; reason: 'too-many-knocks' | 'id-knocking' } | { kind: 'knocking'; pending: number };

export function parseKnockReply(reply: unknown): Parsed<KnockReply> {
  return parseWith(knockReplySchema, reply, (v): KnockReply => (v[0] === 'retry' ? { kind: 'retry' } : v[0] === 'refused' ? { kind: 'refused', reason: v[1] } : { kind: 'knocking', pending: v[1] }));
}

/** refresh: the presence entries that were gone. */
export function parseRefreshReply(reply: unknown): Parsed<string[]> {
  return parseWith(z.array(z.string().check(z.maxLength(512))).check(z.maxLength(100_000)), reply, (v) => v);
}

/** A presence entry: `m|k room peer instance conn` (redis-lua.ts). */
export interface PresenceEntry {
  kind: 'm' | 'k';
  roomId: string;
  peerId: string;
  /** The node (instance) that held it. */
  instance: string;
}

const reapedSchema = z.tuple([
  z.array(z.tuple([z.enum(['m', 'k']), roomIdSchema, peerIdSchema, z.string().check(z.maxLength(200))])).check(z.maxLength(100_000)),
  endedSchema,
]);

/** reap: the entries that expired (with their node) and the knocks that ended with them. */
export function parseReapReply(reply: unknown): Parsed<{ reaped: PresenceEntry[]; ended: EndedKnock[] }> {
  return parseWith(reapedSchema, reply, ([r, e]) => ({ reaped: r.map(([kind, roomId, peerId, instance]) => ({ kind, roomId, peerId, instance })), ended: ended(e) }));
}
