/**
 * A small client of Janus's WebSocket API (subprotocol `janus-protocol`) and
 * its VideoRoom plugin, audio only (docs/architecture.md §11). Everything
 * Janus sends is untrusted input and is validated with zod before use.
 *
 *   session:  create → attach (one handle per PeerConnection) → message {body, jsep?} / trickle / keepalive
 *   VideoRoom: create room (numeric id, `publishers` ≥ the room limit), join as publisher with our
 *              peer id as `display` (ids only: Janus never learns names), publish (our offer → its answer);
 *              one subscriber handle per remote feed: join {streams:[{feed}]} (its offer) → start (our answer)
 *
 * Requests are answered either at once (`success` / `error`) or, for plugin
 * messages, with `ack` and later an `event` carrying the same transaction.
 * Events without a pending transaction (new publishers, a feed leaving,
 * `webrtcup`, `hangup`) go to the handle's listener. Sessions expire after
 * 60 s without traffic: a keepalive goes every 20 s.
 *
 * The socket is the signaling client's abstraction (signaling/socket.ts),
 * so the terminal (over `ws`) and the web page (over the browser's
 * WebSocket) run this one client.
 */
// zod/mini, as the protocol module (src/protocol/messages.ts): the web page bundles this client too, and classic zod is ~400 kB of it.
import * as z from 'zod/mini';
import { silentLogger, type Logger } from '../../core/logger.js';
import { toBase64Url, webCrypto } from '../../protocol/portable.js';
import type { SignalSocket, SignalSocketOpener } from '../signaling/socket.js';

export const VIDEOROOM_PLUGIN = 'janus.plugin.videoroom';
/** Janus answers 428 "No such feed" when asked for a feed before its PeerConnection is up: ask again this often, this many times. */
export const SUBSCRIBE_RETRY_MS = 250;
export const SUBSCRIBE_ATTEMPTS = 40;
/** How often a participant compares its subscriptions with Janus's list of publishers. */
export const RECONCILE_MS = 2000;
/** How long our uplink may take to come up (Janus's `webrtcup`) before it is built again, and the pause before that. */
export const PUBLISH_UP_TIMEOUT_MS = 5000;
export const REPUBLISH_MS = 500;
const KEEPALIVE_MS = 20_000;
const REQUEST_TIMEOUT_MS = 10_000;

const str = (max: number) => z.string().check(z.maxLength(max));
const jsepSchema = z.object({ type: z.enum(['offer', 'answer']), sdp: str(100_000), e2ee: z.optional(z.boolean()) });
/** An SDP as Janus carries it; `e2ee` tells VideoRoom that the payloads are end-to-end encrypted (it then leaves them alone). */
export type Jsep = z.infer<typeof jsepSchema>;

const errorSchema = z.object({ code: z.number(), reason: z.string() });
const id = z.int().check(z.nonnegative());

/** Every frame Janus sends: the fields we read, validated; the rest ignored. */
const inboundSchema = z.object({
  janus: str(32),
  transaction: z.optional(str(64)),
  session_id: z.optional(id),
  sender: z.optional(id),
  data: z.optional(z.looseObject({ id: z.optional(id) })),
  error: z.optional(errorSchema),
  plugindata: z.optional(z.object({ plugin: z.string(), data: z.record(z.string(), z.unknown()) })),
  jsep: z.optional(jsepSchema),
  /** Why Janus hung up a PeerConnection (`hangup`). */
  reason: z.optional(str(200)),
});
type Inbound = z.infer<typeof inboundSchema>;

/** A publisher as VideoRoom lists it. */
const publisherSchema = z.looseObject({ id: id, display: z.optional(str(256)) });
export type Publisher = z.infer<typeof publisherSchema>;

/** The VideoRoom fields we read from a plugin's reply or event. */
const videoRoomDataSchema = z.looseObject({
  videoroom: str(32),
  room: z.optional(id),
  id: z.optional(id),
  private_id: z.optional(id),
  publishers: z.optional(z.array(publisherSchema).check(z.maxLength(1000))),
  leaving: z.optional(z.union([id, z.literal('ok')])),
  unpublished: z.optional(z.union([id, z.literal('ok')])),
  configured: z.optional(z.string()),
  started: z.optional(z.string()),
  error_code: z.optional(z.number()),
  error: z.optional(str(1000)),
  participants: z.optional(z.array(z.looseObject({ id: id, display: z.optional(str(256)), publisher: z.optional(z.boolean()) })).check(z.maxLength(1000))),
  list: z.optional(z.array(z.looseObject({ room: id, num_participants: z.optional(z.number()), max_publishers: z.optional(z.number()) }))),
});
export type VideoRoomData = z.infer<typeof videoRoomDataSchema>;

/** What Janus answered, or failed with (`code` is Janus's or the VideoRoom's error code). */
export class JanusError extends Error {
  constructor(
    message: string,
    readonly code: number | null = null,
  ) {
    super(message);
    this.name = 'JanusError';
  }
}

export interface PluginReply {
  data: VideoRoomData;
  jsep: Jsep | undefined;
}

/** Unsolicited events on one handle. */
export interface HandleEvents {
  onEvent?(data: VideoRoomData, jsep: Jsep | undefined): void;
  /** The PeerConnection of this handle is up (ICE + DTLS done on Janus's side). */
  onWebrtcUp?(): void;
  onHangup?(reason: string): void;
}

interface Pending {
  resolve(frame: Inbound): void;
  reject(err: Error): void;
  /** Plugin messages: wait past the `ack` for the `event`. */
  awaitEvent: boolean;
  timer: ReturnType<typeof setTimeout>;
}

export class JanusSession {
  private readonly pending = new Map<string, Pending>();
  private readonly handles = new Map<number, HandleEvents>();
  private keepalive: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  /** Frames Janus sent that did not validate (untrusted input, dropped). */
  malformedFrames = 0;

  private constructor(
    private readonly socket: SignalSocket,
    readonly sessionId: number,
    private readonly log: Logger,
  ) {}

  /** Connect and create a session; rejects with a message that says what to check when Janus is unreachable. */
  static async connect(url: string, opts: { openSocket: SignalSocketOpener; logger?: Logger; timeoutMs?: number }): Promise<JanusSession> {
    const log = (opts.logger ?? silentLogger).child({ component: 'janus' });
    const timeoutMs = opts.timeoutMs ?? 5000;
    const unreachable = (why: string): JanusError => new JanusError(`cannot reach Janus at ${url} (${why}): is it running, and is the address the one 'roundtable serve --janus' names?`);
    const pendingCreate = new Map<string, (frame: Inbound) => void>();
    let session: JanusSession | undefined;
    let settleOpen!: (err?: Error) => void;
    const opened = new Promise<void>((resolve, reject) => (settleOpen = (err) => (err === undefined ? resolve() : reject(err))));
    let socket: SignalSocket;
    try {
      socket = opts.openSocket(
        url,
        {
          onOpen: () => settleOpen(),
          onText: (text) => {
            const frame = parseFrame(text);
            if (frame === null) {
              if (session !== undefined && session.malformedFrames++ < 3) log.warn('janus-frame-invalid', { frame: text.slice(0, 300) });
              return;
            }
            if (session === undefined) {
              const waiter = frame.transaction === undefined ? undefined : pendingCreate.get(frame.transaction);
              waiter?.(frame);
              return;
            }
            session.dispatch(frame);
          },
          onBinary: () => {
            if (session !== undefined) session.malformedFrames++;
          },
          onError: (message) => settleOpen(unreachable(message)),
          onClose: () => {
            settleOpen(unreachable('the connection closed'));
            session?.onClosed();
          },
        },
        { handshakeTimeoutMs: timeoutMs, maxPayloadBytes: 1 << 20, protocol: 'janus-protocol' },
      );
    } catch (err) {
      throw unreachable(err instanceof Error ? err.message : String(err));
    }
    await opened;
    const transaction = newTransaction();
    let created: Inbound;
    try {
      created = await new Promise<Inbound>((resolve, reject) => {
        const timer = setTimeout(() => reject(new JanusError(`Janus at ${url} did not answer 'create' within ${timeoutMs / 1000} s`)), timeoutMs);
        pendingCreate.set(transaction, (frame) => {
          clearTimeout(timer);
          resolve(frame);
        });
        socket.send(JSON.stringify({ janus: 'create', transaction }));
      });
    } catch (err) {
      socket.close('no session');
      throw err;
    }
    if (created.janus !== 'success' || created.data?.id === undefined) {
      socket.close('no session');
      throw new JanusError(`Janus refused to create a session: ${created.error?.reason ?? created.janus}`, created.error?.code ?? null);
    }
    const made = new JanusSession(socket, created.data.id, log);
    session = made;
    if (socket.isClosed) made.onClosed();
    made.keepalive = setInterval(() => made.send({ janus: 'keepalive' }), KEEPALIVE_MS);
    // Node: the keepalive alone must not keep a process alive (browsers have no unref).
    (made.keepalive as { unref?: () => void }).unref?.();
    return made;
  }

  /** Attach a VideoRoom handle; `events` receives its unsolicited events. */
  async attach(events: HandleEvents = {}): Promise<number> {
    const reply = await this.request({ janus: 'attach', plugin: VIDEOROOM_PLUGIN }, false);
    const handleId = reply.data?.id;
    if (reply.janus !== 'success' || handleId === undefined) throw new JanusError(`attach failed: ${reply.error?.reason ?? reply.janus}`, reply.error?.code ?? null);
    this.handles.set(handleId, events);
    return handleId;
  }

  async detach(handleId: number): Promise<void> {
    this.handles.delete(handleId);
    if (this.closed) return;
    await this.request({ janus: 'detach', handle_id: handleId }, false).catch(() => undefined);
  }

  /**
   * A plugin request. Synchronous ones (create, list) answer with `success`;
   * asynchronous ones (join, publish, start) with `ack`, then an `event`.
   * A VideoRoom error (`error_code`) rejects with a JanusError carrying it.
   */
  async message(handleId: number, body: Record<string, unknown>, jsep?: Jsep): Promise<PluginReply> {
    const frame = await this.request({ janus: 'message', handle_id: handleId, body, ...(jsep === undefined ? {} : { jsep }) }, true);
    if (frame.janus === 'error') throw new JanusError(`Janus error ${frame.error?.code}: ${frame.error?.reason}`, frame.error?.code ?? null);
    const parsed = videoRoomDataSchema.safeParse(frame.plugindata?.data);
    if (!parsed.success) throw new JanusError(`unexpected VideoRoom reply to '${String(body.request)}'`);
    if (parsed.data.error_code !== undefined) throw new JanusError(`VideoRoom error ${parsed.data.error_code}: ${parsed.data.error ?? ''}`, parsed.data.error_code);
    return { data: parsed.data, jsep: frame.jsep };
  }

  /** Trickle one of our candidates (RFC 8838), or `null` for end-of-candidates. */
  trickle(handleId: number, candidate: { candidate: string; sdpMid: string } | null): void {
    this.send({ janus: 'trickle', handle_id: handleId, candidate: candidate ?? { completed: true } });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Destroy the session (Janus closes its PeerConnections) and the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.request({ janus: 'destroy' }, false).catch(() => undefined);
    this.socket.close('bye');
    this.onClosed();
  }

  private request(frame: Record<string, unknown>, awaitEvent: boolean): Promise<Inbound> {
    if (this.closed) return Promise.reject(new JanusError('the Janus session is closed'));
    const transaction = newTransaction();
    return new Promise<Inbound>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(new JanusError(`Janus did not answer '${String(frame.janus)}' within ${REQUEST_TIMEOUT_MS / 1000} s`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(transaction, { resolve, reject, awaitEvent, timer });
      this.send({ ...frame, transaction });
    });
  }

  private send(frame: Record<string, unknown>): void {
    if (this.closed || !this.socket.isOpen) return;
    const transaction = frame.transaction ?? newTransaction();
    this.socket.send(JSON.stringify({ ...frame, transaction, session_id: this.sessionId }));
  }

  private dispatch(frame: Inbound): void {
    const pending = frame.transaction === undefined ? undefined : this.pending.get(frame.transaction);
    if (pending !== undefined) {
      if (frame.janus === 'ack' && pending.awaitEvent) return;
      if (frame.janus === 'ack' && !pending.awaitEvent) {
        // keepalive/trickle-style requests: an ack is the whole answer.
      }
      this.pending.delete(frame.transaction!);
      clearTimeout(pending.timer);
      pending.resolve(frame);
      return;
    }
    const handle = frame.sender === undefined ? undefined : this.handles.get(frame.sender);
    if (handle === undefined) return;
    try {
      if (frame.janus === 'webrtcup') handle.onWebrtcUp?.();
      else if (frame.janus === 'hangup') handle.onHangup?.(frame.reason ?? 'hangup');
      else if (frame.janus === 'event') {
        const data = videoRoomDataSchema.safeParse(frame.plugindata?.data);
        if (data.success) handle.onEvent?.(data.data, frame.jsep);
        else if (this.malformedFrames++ < 3) this.log.warn('janus-event-invalid', { issues: data.error.issues.slice(0, 3) });
      }
    } catch (err) {
      this.log.warn('janus-listener-threw', { err });
    }
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.keepalive !== undefined) clearInterval(this.keepalive);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new JanusError('the connection to Janus closed'));
    }
    this.pending.clear();
  }
}

function newTransaction(): string {
  return toBase64Url(webCrypto.getRandomValues(new Uint8Array(9)));
}

function parseFrame(text: string): Inbound | null {
  try {
    const parsed = inboundSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Create VideoRoom room `room` for audio only (Opus), with room for
 * `maxPublishers` publishers (VideoRoom allows 3 unless told), listable
 * (not `is_private`). A room that exists already (error 427) is fine: the
 * first participant creates it, the others find it.
 */
export async function ensureAudioRoom(session: JanusSession, handleId: number, room: number, maxPublishers: number): Promise<void> {
  try {
    await session.message(handleId, {
      request: 'create',
      room,
      publishers: maxPublishers,
      audiocodec: 'opus',
      is_private: false,
      // Our frames are SFrame-sealed: Janus must forward them untouched.
      require_e2ee: true,
    });
  } catch (err) {
    if (err instanceof JanusError && err.code === 427) return;
    throw err;
  }
}

/**
 * Join VideoRoom `room` as a subscriber to `feed` and return Janus's offer.
 * Asking for a feed whose PeerConnection is not up yet fails with 428 "No
 * such feed": asked again every SUBSCRIBE_RETRY_MS until `cancelled()`.
 */
export async function subscriberOffer(session: JanusSession, handleId: number, room: number, feed: number, cancelled: () => boolean): Promise<Jsep> {
  for (let attempt = 1; ; attempt++) {
    try {
      const reply = await session.message(handleId, { request: 'join', ptype: 'subscriber', room, streams: [{ feed }] });
      if (reply.jsep?.type !== 'offer') throw new JanusError('Janus answered our subscription without an SDP offer');
      return reply.jsep;
    } catch (err) {
      if (!(err instanceof JanusError && err.code === 428) || attempt >= SUBSCRIBE_ATTEMPTS || cancelled()) throw err;
      await new Promise((r) => setTimeout(r, SUBSCRIBE_RETRY_MS));
    }
  }
}

/** The room's publishers as Janus lists them now (`listparticipants`): what the reconcile compares its subscriptions with. */
export async function listPublishers(session: JanusSession, handleId: number, room: number): Promise<Publisher[]> {
  const reply = await session.message(handleId, { request: 'listparticipants', room });
  return (reply.data.participants ?? []).filter((p) => p.publisher === true);
}

/** The feed a VideoRoom event says is gone (`leaving` or `unpublished` with its id), or null. */
export function feedGone(data: VideoRoomData): number | null {
  return typeof data.leaving === 'number' ? data.leaving : typeof data.unpublished === 'number' ? data.unpublished : null;
}
