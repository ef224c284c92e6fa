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
 */
import { WebSocket } from 'ws';
import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import { silentLogger, type Logger } from '../../core/logger.js';

export const VIDEOROOM_PLUGIN = 'janus.plugin.videoroom';
const KEEPALIVE_MS = 20_000;
const REQUEST_TIMEOUT_MS = 10_000;

const jsepSchema = z.object({ type: z.enum(['offer', 'answer']), sdp: z.string().max(100_000), e2ee: z.boolean().optional() });
/** An SDP as Janus carries it; `e2ee` tells VideoRoom that the payloads are end-to-end encrypted (it then leaves them alone). */
export type Jsep = z.infer<typeof jsepSchema>;

const errorSchema = z.object({ code: z.number(), reason: z.string() });
const id = z.number().int().nonnegative();

/** Every frame Janus sends: the fields we read, validated; the rest ignored. */
const inboundSchema = z.object({
  janus: z.string().max(32),
  transaction: z.string().max(64).optional(),
  session_id: id.optional(),
  sender: id.optional(),
  data: z.object({ id: id }).partial().passthrough().optional(),
  error: errorSchema.optional(),
  plugindata: z.object({ plugin: z.string(), data: z.record(z.string(), z.unknown()) }).optional(),
  jsep: jsepSchema.optional(),
  /** Why Janus hung up a PeerConnection (`hangup`). */
  reason: z.string().max(200).optional(),
});
type Inbound = z.infer<typeof inboundSchema>;

/** A publisher as VideoRoom lists it. */
const publisherSchema = z.object({ id: id, display: z.string().max(256).optional() }).passthrough();
export type Publisher = z.infer<typeof publisherSchema>;

/** The VideoRoom fields we read from a plugin's reply or event. */
const videoRoomDataSchema = z
  .object({
    videoroom: z.string().max(32),
    room: id.optional(),
    id: id.optional(),
    private_id: id.optional(),
    publishers: z.array(publisherSchema).max(1000).optional(),
    leaving: z.union([id, z.literal('ok')]).optional(),
    unpublished: z.union([id, z.literal('ok')]).optional(),
    configured: z.string().optional(),
    started: z.string().optional(),
    error_code: z.number().optional(),
    error: z.string().max(1000).optional(),
    participants: z.array(z.object({ id: id, display: z.string().max(256).optional(), publisher: z.boolean().optional() }).passthrough()).max(1000).optional(),
    list: z.array(z.object({ room: id, num_participants: z.number().optional(), max_publishers: z.number().optional() }).passthrough()).optional(),
  })
  .passthrough();
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
  timer: NodeJS.Timeout;
}

export class JanusSession {
  private readonly pending = new Map<string, Pending>();
  private readonly handles = new Map<number, HandleEvents>();
  private keepalive: NodeJS.Timeout | undefined;
  private closed = false;
  /** Frames Janus sent that did not validate (untrusted input, dropped). */
  malformedFrames = 0;

  private constructor(
    private readonly ws: WebSocket,
    readonly sessionId: number,
    private readonly log: Logger,
  ) {}

  /** Connect and create a session; rejects with a message that says what to check when Janus is unreachable. */
  static async connect(url: string, opts: { logger?: Logger; timeoutMs?: number } = {}): Promise<JanusSession> {
    const log = (opts.logger ?? silentLogger).child({ component: 'janus' });
    const ws = new WebSocket(url, 'janus-protocol', { handshakeTimeout: opts.timeoutMs ?? 5000, maxPayload: 1 << 20 });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', (err) =>
        reject(new JanusError(`cannot reach Janus at ${url} (${err.message}): is it running, and is the address the one 'roundtable serve --janus' names?`)),
      );
    });
    const pendingCreate = new Map<string, (frame: Inbound) => void>();
    let session: JanusSession | undefined;
    ws.on('message', (raw) => {
      const frame = parseFrame(raw);
      if (frame === null) {
        if (session !== undefined && session.malformedFrames++ < 3) log.warn('janus-frame-invalid', { frame: String(raw).slice(0, 300) });
        return;
      }
      if (session === undefined) {
        const waiter = frame.transaction === undefined ? undefined : pendingCreate.get(frame.transaction);
        waiter?.(frame);
        return;
      }
      session.dispatch(frame);
    });
    const transaction = newTransaction();
    const created = await new Promise<Inbound>((resolve, reject) => {
      const timer = setTimeout(() => reject(new JanusError(`Janus at ${url} did not answer 'create' within 5 s`)), 5000);
      pendingCreate.set(transaction, (frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
      ws.send(JSON.stringify({ janus: 'create', transaction }));
    });
    if (created.janus !== 'success' || created.data?.id === undefined) {
      ws.close();
      throw new JanusError(`Janus refused to create a session: ${created.error?.reason ?? created.janus}`, created.error?.code ?? null);
    }
    session = new JanusSession(ws, created.data.id, log);
    ws.on('close', () => session!.onClosed());
    session.keepalive = setInterval(() => session!.send({ janus: 'keepalive' }), KEEPALIVE_MS);
    session.keepalive.unref();
    return session;
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
    this.ws.close();
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
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    const transaction = frame.transaction ?? newTransaction();
    this.ws.send(JSON.stringify({ ...frame, transaction, session_id: this.sessionId }));
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
  return randomBytes(9).toString('base64url');
}

function parseFrame(raw: unknown): Inbound | null {
  try {
    const text = Array.isArray(raw) ? Buffer.concat(raw as Buffer[]).toString('utf8') : Buffer.from(raw as Buffer).toString('utf8');
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
