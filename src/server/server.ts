/**
 * The signaling server: HTTP (GET /healthz, GET /metrics, the web client's
 * static files) and a WebSocket endpoint on the same port. It routes sealed
 * blobs between peers of the same room id; it never sees a join code, a room
 * key, an SDP or a name (the page's link carries the code in its fragment,
 * which browsers never send).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { monotonicClock, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/logger.js';
import {
  encodeMessage,
  parseClientMessage,
  type ClientMessage,
  type ErrorCode,
  type LeaveReason,
  type ServerMessageBody,
} from '../protocol/index.js';
import { resolveLimits, type ServerLimits } from './limits.js';
import { ServerCounters, type MetricsSnapshot } from './metrics.js';
import { PeerSession } from './peer-session.js';
import { KnockDesk, type Knock } from './knocks.js';
import type { Room } from './room.js';
import { RoomManager, type JoinOutcome } from './room-manager.js';
import { defaultWebRoot, loadWebClient, requestPath, serveWebClient, WEB_NOT_BUILT_MESSAGE } from './static-files.js';
import { TokenBucket } from './token-bucket.js';

export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_MAX_PEERS_PER_ROOM = 8;
/**
 * Heartbeat period. A quiet peer is pinged after one period of silence and
 * removed after two (checked every half period), so a dead peer is gone and
 * announced within 2.5 periods = 3.75 s, inside the 5 s the spec allows.
 */
export const DEFAULT_HEARTBEAT_MS = 1500;
/** Minimum spacing of repeated error notices and log lines per connection and code. */
const NOTICE_INTERVAL_MS = 1000;
const SHUTDOWN_GRACE_MS = 1000;

export interface SignalingServerOptions {
  host?: string;
  port?: number;
  maxPeersPerRoom?: number;
  limits?: Partial<ServerLimits>;
  logger?: Logger;
  heartbeatMs?: number;
  clock?: Clock;
  /**
   * Directory of the built web client to serve on the same port (default:
   * dist/web of the package), or false to serve no page.
   */
  webRoot?: string | false;
  /**
   * WebSocket URL of the Janus this server coordinates (`serve --janus`): rooms created
   * with `join {sfu: true}` send their media through it (docs/architecture.md §11).
   */
  janusUrl?: string;
}

export interface SignalingServer {
  readonly port: number;
  readonly host: string;
  /** ws://host:port */
  readonly url: string;
  /** http://host:port/ when the web client is served, else undefined (turned off or not built). */
  readonly webUrl: string | undefined;
  metrics(): MetricsSnapshot;
  /** Tell every peer, close every socket, stop listening. Idempotent. */
  close(): Promise<void>;
}

interface IpState {
  connections: number;
  joins: TokenBucket;
  knocks: TokenBucket;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function rawByteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  if (data instanceof ArrayBuffer) return data.byteLength;
  return data.length;
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

export async function startSignalingServer(opts: SignalingServerOptions = {}): Promise<SignalingServer> {
  const host = opts.host ?? DEFAULT_HOST;
  const clock = opts.clock ?? monotonicClock;
  const log = opts.logger ?? silentLogger;
  const limits = resolveLimits(opts.limits);
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const maxPeersPerRoom = opts.maxPeersPerRoom ?? DEFAULT_MAX_PEERS_PER_ROOM;
  if (!(heartbeatMs > 0)) throw new RangeError(`heartbeatMs must be > 0, got ${heartbeatMs}`);
  if (!Number.isInteger(maxPeersPerRoom) || maxPeersPerRoom < 2) throw new RangeError(`maxPeersPerRoom must be an integer >= 2, got ${maxPeersPerRoom}`);

  // Read before listening: a bad web root fails the start, and the first request finds the files in memory.
  const web = opts.webRoot === false ? undefined : await loadWebClient(opts.webRoot ?? defaultWebRoot());
  if (web !== undefined && !web.built) log.warn('web-client-not-built', { dir: web.dir, detail: WEB_NOT_BUILT_MESSAGE });
  if (web !== undefined && web.skipped.length > 0) {
    log.warn('web-files-not-served', { dir: web.dir, files: web.skipped, detail: 'unknown type, unusual name or not a regular file' });
  }

  const startedMs = clock.now();
  const rooms = new RoomManager(maxPeersPerRoom, limits.maxRooms);
  const counters = new ServerCounters();
  const sessions = new Set<PeerSession>();
  const knocks = new KnockDesk<PeerSession>(clock, limits.knockTimeoutMs, limits.maxKnocksPerRoom, (k) => endKnock(k, 'timeout'));
  const ips = new Map<string, IpState>();
  let nextConnId = 1;
  let closing: Promise<void> | undefined;

  const metrics = (): MetricsSnapshot => {
    const mem = process.memoryUsage();
    return {
      rooms: rooms.roomCount,
      peers: rooms.peerCount,
      connections: sessions.size,
      messagesReceived: counters.messagesReceived,
      messagesRelayed: counters.messagesRelayed,
      messagesRejected: counters.rejectedObject(),
      uptimeMs: Math.round(clock.now() - startedMs),
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
    };
  };

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = requestPath(req);
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(closing ? 503 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: closing ? 'shutting-down' : 'ok' }));
    } else if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(metrics()));
    } else if (web !== undefined) {
      serveWebClient(web, req, res);
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found; WebSocket clients connect to /' }));
    }
  });
  // Never let a socket-level error (client reset mid-request) take the process down.
  http.on('clientError', (_err, socket) => socket.destroy());

  const wss = new WebSocketServer({ server: http, maxPayload: limits.hardMaxFrameBytes, clientTracking: false });

  const send = (s: PeerSession, body: ServerMessageBody): void => s.send(encodeMessage(body));

  /** Count, answer and log one rejected message (answers and logs are throttled for floods). */
  const reject = (s: PeerSession, code: ErrorCode, message: string): void => {
    counters.reject(code);
    const notify = s.mayNotify(code, NOTICE_INTERVAL_MS);
    if (code !== 'rate-limited' || notify) send(s, { type: 'error', code, message });
    if (notify) log.warn('message-rejected', { conn: s.connId, ip: s.ip, peer: s.peerId || undefined, code, detail: message });
  };

  const removeFromRoom = (s: PeerSession, reason: LeaveReason): void => {
    const roomId = s.roomId;
    if (roomId === undefined) return;
    s.roomId = undefined;
    const room = rooms.get(roomId);
    // A dropped connection (not a 'left') may come back into its locked room.
    if (!rooms.leave(roomId, s, reason === 'left')) return; // replaced by a newer session for the same id: nothing to announce
    room?.broadcast({ type: 'peer-left', id: s.peerId, reason });
    log.info('peer-left', { room: roomId.slice(0, 8), peer: s.peerId, reason, roomSize: room?.size ?? 0 });
    if (rooms.get(roomId) === undefined) {
      for (const k of knocks.takeAll(roomId)) endKnock(k, 'timeout', undefined, 'nobody is left in the room to answer');
    }
  };

  /** The connection of a newcomer still knocking went away: the members' prompt goes too. */
  const withdrawKnock = (s: PeerSession): void => {
    const roomId = s.knockingAt;
    if (roomId === undefined) return;
    const k = knocks.take(roomId, s.peerId);
    if (k !== undefined) endKnock(k, 'withdrawn');
  };

  const handleJoin = (s: PeerSession, msg: Extract<ClientMessage, { type: 'join' }>): void => {
    if (s.joined || s.knockingAt !== undefined) return reject(s, 'already-joined', 'this connection already joined a room');
    const ipState = ips.get(s.ip);
    if (ipState !== undefined && !ipState.joins.tryTake()) {
      return reject(s, 'join-rate-limited', 'too many joins from your address; slow down');
    }
    s.peerId = msg.peerId;
    s.tokenHash = hashToken(msg.token);
    s.hello = msg.hello;
    if (msg.sfu === true && opts.janusUrl === undefined && rooms.get(msg.roomId) === undefined) {
      s.peerId = '';
      return reject(s, 'sfu-unavailable', 'this server coordinates no SFU: start it with `roundtable serve --janus ws://HOST:PORT`');
    }
    const outcome = rooms.join(msg.roomId, s, msg.relock);
    // The first member decides the room's mode; everyone after follows it.
    if (outcome.ok && outcome.room.size === 1 && !outcome.resumed) outcome.room.viaSfu = msg.sfu === true;
    if (!outcome.ok && outcome.code === 'room-locked') return knock(s, msg.roomId);
    enterRoom(s, msg.roomId, outcome, msg.relock?.length ?? 0);
  };

  /** The join's outcome: refused, or in (told `joined`, the room told `peer-joined`). */
  const enterRoom = (s: PeerSession, roomId: string, outcome: JoinOutcome, relockCount: number): void => {
    if (!outcome.ok) {
      s.peerId = '';
      return reject(s, outcome.code, outcome.message);
    }
    s.roomId = roomId;
    const { room, resumed, replaced, relocked } = outcome;
    if (replaced instanceof PeerSession && replaced !== s) {
      // Old socket of the same client: drop it without announcing a leave.
      replaced.endReason = 'replaced';
      replaced.roomId = undefined;
      replaced.ws.close(4000, 'replaced by a newer connection');
    }
    const pending = knocks.pending(roomId).map((k) => (k.hello === undefined ? { id: k.id } : { id: k.id, hello: k.hello }));
    const sfu = room.viaSfu && opts.janusUrl !== undefined ? { sfu: { v: 1 as const, janus: opts.janusUrl, publishers: maxPeersPerRoom } } : {};
    send(s, { type: 'joined', selfId: s.peerId, peers: room.peerInfos(s.peerId), locked: room.locked, heartbeatMs, resumed, ...(pending.length > 0 ? { knocks: pending } : {}), ...sfu });
    if (!resumed) room.broadcast(s.hello === undefined ? { type: 'peer-joined', id: s.peerId } : { type: 'peer-joined', id: s.peerId, hello: s.hello }, s.peerId);
    if (relocked) {
      // Whoever got in before this member (a newcomer at a restarted server) learns the room is locked again.
      room.broadcast({ type: 'lock', by: s.peerId }, s.peerId);
      log.info('room-relocked', { room: roomId.slice(0, 8), by: s.peerId, returning: relockCount });
    }
    log.info('peer-joined', { room: roomId.slice(0, 8), peer: s.peerId, ip: s.ip, resumed, roomSize: room.size });
  };

  /**
   * A locked room would refuse this newcomer: it knocks instead (rate-limited
   * per connection and per IP), and every member is asked with its sealed
   * hello. The newcomer waits for the first answer, or the timeout.
   */
  const knock = (s: PeerSession, roomId: string): void => {
    const room = rooms.get(roomId);
    const ipState = ips.get(s.ip);
    s.knocks ??= new TokenBucket(clock, limits.knocksPerMinPerConnection / 60, limits.knockBurstPerConnection);
    if (room === undefined || !s.knocks.tryTake() || (ipState !== undefined && !ipState.knocks.tryTake())) {
      s.peerId = '';
      return reject(s, 'knock-rate-limited', 'the room is locked, and you knocked too often: wait a minute, or ask someone inside to unlock it');
    }
    const opened = knocks.open(roomId, s.peerId, s.hello, s);
    if (!opened.ok) {
      s.peerId = '';
      if (opened.reason === 'id-knocking') return reject(s, 'peer-id-taken', 'this peer id is already knocking at the room');
      return reject(s, 'knock-rate-limited', 'the room is locked and too many people are knocking: try again later');
    }
    s.knockingAt = roomId;
    send(s, { type: 'knocking', timeoutMs: knocks.timeout });
    room.broadcast(s.hello === undefined ? { type: 'knock', id: s.peerId } : { type: 'knock', id: s.peerId, hello: s.hello });
    log.info('knock', { room: roomId.slice(0, 8), peer: s.peerId, ip: s.ip, pending: knocks.pending(roomId).length });
  };

  /**
   * A knock is over: the members are told how, then the newcomer is let in
   * (its id joins the ids the locked room admits, and its join completes) or
   * told why not.
   */
  const endKnock = (k: Knock<PeerSession>, outcome: 'admitted' | 'denied' | 'timeout' | 'withdrawn', by?: string, why?: string): void => {
    const s = k.who;
    s.knockingAt = undefined;
    const room = rooms.get(k.roomId);
    room?.broadcast(by === undefined ? { type: 'knock-end', id: k.id, outcome } : { type: 'knock-end', id: k.id, outcome, by });
    log.info('knock-end', { room: k.roomId.slice(0, 8), peer: k.id, outcome, by, waitedMs: Math.round(clock.now() - k.sinceMs) });
    if (outcome === 'withdrawn') return;
    if (outcome === 'admitted') {
      room?.allowBack(s.peerId, s.tokenHash);
      return enterRoom(s, k.roomId, rooms.join(k.roomId, s), 0);
    }
    s.peerId = '';
    if (outcome === 'denied') return reject(s, 'knock-denied', 'the room said no');
    const t = knocks.timeout;
    reject(s, 'knock-timeout', why ?? `nobody answered within ${t >= 1000 ? `${Math.round(t / 1000)} s` : `${t} ms`}`);
  };

  /** A member answers a knock; the first answer decides, later ones find it gone. */
  const answerKnock = (s: PeerSession, room: Room, id: string, admit: boolean): void => {
    const k = knocks.take(room.roomId, id);
    if (k === undefined) {
      log.debug('knock-already-ended', { room: room.roomId.slice(0, 8), peer: id, by: s.peerId });
      return;
    }
    endKnock(k, admit ? 'admitted' : 'denied', s.peerId);
  };

  const handleMessage = (s: PeerSession, msg: ClientMessage): void => {
    switch (msg.type) {
      case 'join':
        return handleJoin(s, msg);
      case 'ping':
        return send(s, msg.ts === undefined ? { type: 'pong' } : { type: 'pong', ts: msg.ts });
      case 'pong':
        return; // liveness already recorded
      default:
        break;
    }
    const room = s.roomId === undefined ? undefined : rooms.get(s.roomId);
    if (room === undefined) return reject(s, 'not-joined', `"${msg.type}" needs a joined room; send join first`);
    switch (msg.type) {
      case 'signal': {
        const target = room.members.get(msg.to);
        if (target === undefined || msg.to === s.peerId) return reject(s, 'unknown-peer', 'no such peer in your room');
        target.send(encodeMessage({ type: 'signal', from: s.peerId, payload: msg.payload }));
        counters.messagesRelayed++;
        return;
      }
      case 'lock':
      case 'unlock': {
        room.setLocked(msg.type === 'lock');
        room.broadcast({ type: msg.type, by: s.peerId });
        log.info(msg.type === 'lock' ? 'room-locked' : 'room-unlocked', { room: room.roomId.slice(0, 8), by: s.peerId });
        // An open room lets everyone waiting at the door in.
        if (msg.type === 'unlock') for (const k of knocks.takeAll(room.roomId)) endKnock(k, 'admitted', s.peerId);
        return;
      }
      case 'admit':
      case 'deny':
        return answerKnock(s, room, msg.id, msg.type === 'admit');
    }
  };

  const onFrame = (s: PeerSession, data: RawData, isBinary: boolean): void => {
    s.lastSeenMs = clock.now();
    counters.messagesReceived++;
    if (!s.bucket.tryTake()) return reject(s, 'rate-limited', 'too many messages; slow down');
    const bytes = rawByteLength(data);
    if (bytes > limits.maxMessageBytes) return reject(s, 'too-large', `message of ${bytes} bytes exceeds the ${limits.maxMessageBytes}-byte limit`);
    if (isBinary) return reject(s, 'binary-not-supported', 'binary frames are not part of the protocol; send JSON text');
    const parsed = parseClientMessage(rawToString(data));
    if (!parsed.ok) return reject(s, parsed.code, parsed.error);
    handleMessage(s, parsed.message);
  };

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const ip = req.socket.remoteAddress ?? 'unknown';
    const s = new PeerSession(ws, ip, nextConnId++, clock, limits.messagesPerSec, limits.messageBurst, limits.maxBufferedBytes);
    ws.on('error', (err) => log.debug('socket-error', { conn: s.connId, error: err.message }));
    if (closing) {
      send(s, { type: 'error', code: 'shutting-down', message: 'server is shutting down' });
      ws.close(1001, 'server shutting down');
      return;
    }
    let ipState = ips.get(ip);
    if (ipState === undefined) {
      ipState = {
        connections: 0,
        joins: new TokenBucket(clock, limits.joinsPerSecPerIp, limits.joinBurstPerIp),
        knocks: new TokenBucket(clock, limits.knocksPerMinPerIp / 60, limits.knockBurstPerIp),
      };
      ips.set(ip, ipState);
    }
    if (ipState.connections >= limits.maxConnectionsPerIp) {
      counters.reject('too-many-connections');
      log.warn('connection-rejected', { ip, code: 'too-many-connections', limit: limits.maxConnectionsPerIp });
      send(s, { type: 'error', code: 'too-many-connections', message: `too many connections from your address (${limits.maxConnectionsPerIp} max)` });
      ws.close(1008, 'too many connections');
      return;
    }
    ipState.connections++;
    sessions.add(s);
    log.debug('connection-open', { conn: s.connId, ip });
    ws.on('message', (data, isBinary) => {
      try {
        onFrame(s, data, isBinary);
      } catch (err) {
        // A bug must cost one message, not the server.
        counters.reject('internal');
        log.error('message-handler-failed', { conn: s.connId, error: err instanceof Error ? err.message : String(err) });
      }
    });
    ws.on('close', (code) => {
      sessions.delete(s);
      const st = ips.get(ip);
      if (st) st.connections--;
      const reason: LeaveReason = s.endReason === 'timeout' ? 'timeout' : code === 1000 || code === 1005 ? 'left' : 'disconnected';
      withdrawKnock(s);
      removeFromRoom(s, reason);
      log.debug('connection-closed', { conn: s.connId, code, reason: s.endReason });
    });
  });

  wss.on('error', (err) => log.error('websocket-server-error', { error: err.message }));

  // Heartbeat sweep: ping the quiet, cut off the silent, forget idle IPs.
  const sweep = (): void => {
    const now = clock.now();
    for (const s of sessions) {
      const silentMs = now - s.lastSeenMs;
      if (silentMs > 2 * heartbeatMs) {
        s.endReason = 'timeout';
        log.info('peer-timeout', { conn: s.connId, peer: s.peerId || undefined, silentMs: Math.round(silentMs) });
        // Announce now rather than when the TCP close completes.
        withdrawKnock(s);
        removeFromRoom(s, 'timeout');
        s.ws.terminate();
      } else if (silentMs >= heartbeatMs) {
        send(s, { type: 'ping', ts: Math.round(now) });
      }
    }
    for (const [ip, st] of ips) if (st.connections <= 0 && st.joins.isFull() && st.knocks.isFull()) ips.delete(ip);
  };
  let sweepTimer = clock.setTimer(function tick() {
    sweep();
    sweepTimer = clock.setTimer(tick, heartbeatMs / 2);
  }, heartbeatMs / 2);

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(new Error(`cannot listen on ${host}:${opts.port ?? DEFAULT_PORT}: ${err.message}`, { cause: err }));
    http.once('error', onError);
    http.listen(opts.port ?? DEFAULT_PORT, host, () => {
      http.off('error', onError);
      resolve();
    });
  }).catch((err: unknown) => {
    clock.clearTimer(sweepTimer);
    wss.close();
    throw err;
  });
  http.on('error', (err) => log.error('http-server-error', { error: err.message }));

  const port = (http.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `ws://${urlHost}:${port}`;
  const webUrl = web?.built === true ? `http://${urlHost}:${port}/` : undefined;
  log.info('server-listening', { url, web: webUrl ?? (web === undefined ? 'off' : 'not-built'), maxPeersPerRoom, heartbeatMs, janus: opts.janusUrl ?? 'none' });

  const close = (): Promise<void> => {
    if (closing) return closing;
    closing = (async () => {
      clock.clearTimer(sweepTimer);
      knocks.clear();
      log.info('server-shutting-down', { connections: sessions.size, rooms: rooms.roomCount });
      const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
      const all = [...sessions];
      const socketsClosed = Promise.all(
        all.map((s) => new Promise<void>((resolve) => {
          if (s.ws.readyState === s.ws.CLOSED) return resolve();
          s.ws.once('close', () => resolve());
        })),
      );
      for (const s of all) {
        s.endReason = 'shutdown';
        send(s, { type: 'error', code: 'shutting-down', message: 'server is shutting down' });
        s.ws.close(1001, 'server shutting down');
      }
      let graceTimer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([socketsClosed, new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, SHUTDOWN_GRACE_MS)))]);
      clearTimeout(graceTimer);
      for (const s of sessions) s.ws.terminate();
      http.closeAllConnections();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await httpClosed;
      log.info('server-closed', {});
    })();
    return closing;
  };

  return { port, host, url, webUrl, metrics, close };
}
