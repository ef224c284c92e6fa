/**
 * The signaling server: HTTP (GET /healthz, GET /metrics, the web client's
 * static files) and a WebSocket endpoint on the same port. It routes sealed
 * blobs between peers of the same room id; it never sees a join code, a room
 * key, an SDP or a name (the page's link carries the code in its fragment,
 * which browsers never send).
 */
import { DEFAULT_SFU_THRESHOLD, defaultMeshThreshold, thresholdsProblem } from './media-mode.js';
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
import type { DirectoryEvents, DirectoryJoin, KnockEnding, RoomDirectory } from './directory.js';
import { clientAddress, normalizeAddress } from './client-address.js';
import { resolveLimits, type ServerLimits } from './limits.js';
import { MemoryDirectory } from './memory-directory.js';
import { ServerCounters, type MetricsSnapshot } from './metrics.js';
import { generateNodeId, isValidNodeId } from './node-id.js';
import { livenessAt, sweepTick, SWEEPS_PER_HEARTBEAT } from './liveness.js';
import { PeerSession } from './peer-session.js';
import { redactRedisUrl, redisUrlProblem } from './redis-url.js';
import { defaultWebRoot, loadWebClient, requestPath, serveWebClient, WEB_NOT_BUILT_MESSAGE } from './static-files.js';
import { TokenBucket } from './token-bucket.js';

export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_MAX_PEERS_PER_ROOM = 8;
/**
 * The room limit of a server that coordinates a Janus (`serve --janus`):
 * rooms past the switching size go through the SFU, where each member sends
 * one stream whatever the room's size (docs/architecture.md §11), so a room
 * may hold a class. VideoRoom is told to allow as many publishers.
 */
export const DEFAULT_MAX_PEERS_PER_SFU_ROOM = 25;

/** The room limit when none is given: larger where rooms can go through an SFU. */
export function defaultRoomLimit(janusUrl: string | undefined): number {
  return janusUrl === undefined ? DEFAULT_MAX_PEERS_PER_ROOM : DEFAULT_MAX_PEERS_PER_SFU_ROOM;
}
/**
 * Heartbeat period. A quiet peer is pinged every 1.6 periods and removed
 * after 2.4 periods of silence (checked ten times a period, liveness.ts), so
 * a dead peer is gone and announced within 2.5 periods = 3.75 s, inside the
 * 5 s the spec allows.
 */
export const DEFAULT_HEARTBEAT_MS = 1500;
/**
 * Connections the kernel may hold for the server before it accepts them
 * (listen's backlog; Linux caps it at net.core.somaxconn, 4096 by default).
 * When a node dies, its clients all reconnect to the others within the
 * first backoff step (125–250 ms, src/core/backoff.ts): 2,000 at once in the
 * cluster benchmark. With Node's default of 511 the queue overflowed while
 * the node's loop was busy, and each handshake the kernel dropped was tried
 * again by its client a second later (TCP's initial retransmission timeout,
 * RFC 6298 §2): a fail-over p99 of 1.66 s in a run with 173 overflows, 1.1 s
 * in runs with none (bench/results.md).
 */
export const LISTEN_BACKLOG = 4096;
/** Minimum spacing of repeated error notices and log lines per connection and code. */
const NOTICE_INTERVAL_MS = 1000;
const SHUTDOWN_GRACE_MS = 1000;
/**
 * Close code and reason for the clients of a node that lost its Redis
 * (1013, "try again later", RFC 6455 §7.4.1 as registered by IANA): they
 * reconnect, to another node when they were given several.
 */
const UNAVAILABLE_CLOSE_CODE = 1013;
const UNAVAILABLE_CLOSE_REASON = 'this signaling node lost its Redis: reconnect, another node if you can';

/** Several signaling nodes sharing rooms through one Redis (docs/architecture.md §5, "Several nodes"). */
export interface ClusterOptions {
  /** redis:// or rediss:// URL. */
  redisUrl: string;
  /** This node's name in logs (default: a generated one). */
  nodeId?: string;
}

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
  /** Share rooms with other nodes through Redis; without it the rooms live in this process. */
  cluster?: ClusterOptions;
  /** Addresses of reverse proxies whose X-Forwarded-For names the client (client-address.ts). */
  trustedProxies?: readonly string[];
  /**
   * WebSocket URL of the Janus this server coordinates (`serve --janus`): rooms created
   * with `join {sfu: true}` send their media through it (docs/architecture.md §11).
   */
  janusUrl?: string;
  /**
   * With janusUrl: a mesh room with more members than this goes through the SFU (default 6,
   * DEFAULT_SFU_THRESHOLD; 0: only rooms created with `sfu` do), and one that switched for its
   * size goes back to the mesh at `meshThreshold` members or fewer (default: defaultMeshThreshold).
   * docs/architecture.md §11, "Switching at a size".
   */
  sfuThreshold?: number;
  meshThreshold?: number;
}

export interface SignalingServer {
  readonly port: number;
  readonly host: string;
  /** ws://host:port */
  readonly url: string;
  /** http://host:port/ when the web client is served, else undefined (turned off or not built). */
  readonly webUrl: string | undefined;
  /** This node's name when it shares rooms through Redis, else undefined. */
  readonly nodeId: string | undefined;
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
  const limits = resolveLimits(opts.limits);
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const maxPeersPerRoom = opts.maxPeersPerRoom ?? DEFAULT_MAX_PEERS_PER_ROOM;
  if (!(heartbeatMs > 0)) throw new RangeError(`heartbeatMs must be > 0, got ${heartbeatMs}`);
  if (!Number.isInteger(maxPeersPerRoom) || maxPeersPerRoom < 2) throw new RangeError(`maxPeersPerRoom must be an integer >= 2, got ${maxPeersPerRoom}`);
  const nodeId = opts.cluster === undefined ? undefined : (opts.cluster.nodeId ?? generateNodeId());
  if (nodeId !== undefined && !isValidNodeId(nodeId)) throw new RangeError(`node id must be 1-64 letters, digits, '.', '_' or '-', got ${JSON.stringify(nodeId)}`);
  const redisProblem = opts.cluster === undefined ? undefined : redisUrlProblem(opts.cluster.redisUrl);
  if (redisProblem !== undefined) throw new RangeError(redisProblem);
  const sfuThreshold = opts.sfuThreshold ?? DEFAULT_SFU_THRESHOLD;
  const thresholds = { sfuThreshold, meshThreshold: opts.meshThreshold ?? defaultMeshThreshold(sfuThreshold) };
  const thresholdProblem = thresholdsProblem(thresholds);
  if (thresholdProblem !== undefined) throw new RangeError(thresholdProblem);
  // Every line of a node that shares rooms says which node it is.
  const log = nodeId === undefined ? (opts.logger ?? silentLogger) : (opts.logger ?? silentLogger).child({ node: nodeId });

  // Read before listening: a bad web root fails the start, and the first request finds the files in memory.
  const web = opts.webRoot === false ? undefined : await loadWebClient(opts.webRoot ?? defaultWebRoot(), opts.janusUrl === undefined ? {} : { janusUrl: opts.janusUrl });
  if (web !== undefined && !web.built) log.warn('web-client-not-built', { dir: web.dir, detail: WEB_NOT_BUILT_MESSAGE });
  if (web !== undefined && web.skipped.length > 0) {
    log.warn('web-files-not-served', { dir: web.dir, files: web.skipped, detail: 'unknown type, unusual name or not a regular file' });
  }

  const startedMs = clock.now();
  const counters = new ServerCounters();
  const sessions = new Map<number, PeerSession>();
  const ips = new Map<string, IpState>();
  let nextConnId = 1;
  let closing: Promise<void> | undefined;
  /** Why this node cannot serve now (its Redis is unreachable), else undefined. */
  let unavailable: string | undefined;

  const send = (s: PeerSession, body: ServerMessageBody): void => s.send(encodeMessage(body));

  /** Count, answer and log one rejected message (answers and logs are throttled for floods). */
  const reject = (s: PeerSession, code: ErrorCode, message: string): void => {
    counters.reject(code);
    const notify = s.mayNotify(code, NOTICE_INTERVAL_MS);
    if (code !== 'rate-limited' || notify) send(s, { type: 'error', code, message });
    if (notify) log.warn('message-rejected', { conn: s.connId, ip: s.ip, peer: s.peerId || undefined, code, detail: message });
  };

  /** What happens to a connection because of someone else, in its own order (serial-queue.ts). */
  const events: DirectoryEvents = {
    replaced: (connId) => {
      const old = sessions.get(connId);
      old?.work.run(() => {
        // Old socket of the same client: dropped without announcing a leave.
        old.endReason = 'replaced';
        old.roomId = undefined;
        old.ws.close(4000, 'replaced by a newer connection');
      });
    },
    knockEnded: (connId, outcome, by, why) => {
      const s = sessions.get(connId);
      s?.work.run(() => knockEnded(s, outcome, by, why));
    },
    evicted: (connId, why) => {
      const s = sessions.get(connId);
      s?.work.run(() => {
        log.warn('peer-evicted', { conn: s.connId, peer: s.peerId || undefined, room: (s.roomId ?? s.knockingAt)?.slice(0, 8), detail: why });
        s.endReason = 'evicted';
        s.roomId = undefined;
        s.knockingAt = undefined;
        s.ws.close(4001, 'lost its place in the room: rejoin');
      });
    },
    outage: (down, detail) => (down ? shed(detail) : restored(detail)),
  };

  const directoryOptions = {
    maxPeersPerRoom,
    maxRooms: limits.maxRooms,
    heartbeatMs,
    knockTimeoutMs: limits.knockTimeoutMs,
    maxKnocksPerRoom: limits.maxKnocksPerRoom,
    clock,
    log,
    events,
    ...(opts.janusUrl !== undefined ? { sfu: { janus: opts.janusUrl, publishers: maxPeersPerRoom, ...thresholds } } : {}),
  };
  // ioredis is loaded only by a node that shares rooms (redis-directory.ts is its one importer).
  const directory: RoomDirectory =
    opts.cluster === undefined || nodeId === undefined
      ? new MemoryDirectory(directoryOptions)
      : await (await import('./redis-directory.js')).startRedisDirectory({ ...directoryOptions, redisUrl: opts.cluster.redisUrl, nodeId });

  /**
   * The node lost its Redis: it cannot tell other nodes anything nor hear
   * from them, and may have missed what they said. Its clients are closed
   * (they rejoin, through another node if they know one, and their calls keep
   * their audio); new ones are refused until Redis is back
   * (docs/architecture.md §5, "Several nodes").
   */
  const shed = (detail: string): void => {
    if (unavailable !== undefined) return;
    unavailable = detail;
    log.error('redis-unavailable', {
      detail,
      connections: sessions.size,
      action: 'closing every client connection (they reconnect, to another node if they know one); refusing new ones until Redis is back',
    });
    for (const s of sessions.values()) {
      s.endReason = 'unavailable';
      s.roomId = undefined;
      s.knockingAt = undefined;
      s.ws.close(UNAVAILABLE_CLOSE_CODE, UNAVAILABLE_CLOSE_REASON);
    }
  };

  const restored = (detail: string): void => {
    if (unavailable === undefined) return;
    unavailable = undefined;
    log.info('redis-restored', { detail, action: 'accepting clients again' });
  };

  const metrics = (): MetricsSnapshot => {
    const mem = process.memoryUsage();
    const counts = directory.localCounts();
    return {
      rooms: counts.rooms,
      peers: counts.peers,
      connections: sessions.size,
      messagesReceived: counters.messagesReceived,
      messagesRelayed: counters.messagesRelayed,
      clientsTooSlow: counters.clientsTooSlow,
      messagesRejected: counters.rejectedObject(),
      uptimeMs: Math.round(clock.now() - startedMs),
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      ...(nodeId !== undefined ? { node: nodeId } : {}),
    };
  };

  const health = (): { status: number; body: { status: string } } => {
    if (closing) return { status: 503, body: { status: 'shutting-down' } };
    if (unavailable !== undefined) return { status: 503, body: { status: 'redis-unavailable' } };
    return { status: 200, body: { status: 'ok' } };
  };

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = requestPath(req);
    if (req.method === 'GET' && path === '/healthz') {
      const h = health();
      res.writeHead(h.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(h.body));
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

  const removeFromRoom = async (s: PeerSession, reason: LeaveReason): Promise<void> => {
    const roomId = s.roomId;
    if (roomId === undefined) return;
    s.roomId = undefined;
    const { left, roomSize } = await directory.leave(s, roomId, reason);
    // Not left: replaced by a newer session for the same id, nothing to announce.
    if (left) log.info('peer-left', { room: roomId.slice(0, 8), peer: s.peerId, reason, roomSize });
  };

  /** The connection of a newcomer still knocking went away: the members' prompt goes too. */
  const withdrawKnock = async (s: PeerSession): Promise<void> => {
    const roomId = s.knockingAt;
    if (roomId === undefined) return;
    s.knockingAt = undefined;
    await directory.withdrawKnock(s, roomId);
  };

  /** Leave whatever the connection was in or knocking at (its close, its timeout). */
  const depart = async (s: PeerSession, reason: LeaveReason): Promise<void> => {
    await withdrawKnock(s);
    await removeFromRoom(s, reason);
  };

  const handleJoin = async (s: PeerSession, msg: Extract<ClientMessage, { type: 'join' }>): Promise<void> => {
    if (s.joined || s.knockingAt !== undefined) return reject(s, 'already-joined', 'this connection already joined a room');
    const ipState = ips.get(s.ip);
    if (ipState !== undefined && !ipState.joins.tryTake()) {
      return reject(s, 'join-rate-limited', 'too many joins from your address; slow down');
    }
    s.peerId = msg.peerId;
    s.tokenHash = hashToken(msg.token);
    s.hello = msg.hello;
    if (msg.sfu === true && opts.janusUrl === undefined) {
      s.peerId = '';
      return reject(s, 'sfu-unavailable', 'this server coordinates no SFU: start it with `roundtable serve --janus ws://HOST:PORT`');
    }
    // A locked room makes the newcomer knock. With rooms shared through Redis
    // the room may open (or empty) between the join and the knock: join again.
    // The first member decides the room's mode (mesh or SFU); everyone after follows it.
    for (let attempt = 1; ; attempt++) {
      const outcome = await directory.join(s, msg.roomId, msg.relock, msg.sfu === true);
      if (outcome.ok || outcome.code !== 'room-locked' || attempt === 3) return entered(s, msg.roomId, outcome, msg.relock?.length ?? 0);
      if ((await knock(s, msg.roomId)) === 'done') return;
    }
  };

  /** The join's outcome: refused, or in (the directory has told it `joined` and the room `peer-joined`). */
  const entered = (s: PeerSession, roomId: string, outcome: DirectoryJoin, relockCount: number): void => {
    if (!outcome.ok) {
      s.peerId = '';
      return reject(s, outcome.code, outcome.message);
    }
    s.roomId = roomId;
    if (outcome.relocked) log.info('room-relocked', { room: roomId.slice(0, 8), by: s.peerId, returning: relockCount });
    log.info('peer-joined', { room: roomId.slice(0, 8), peer: s.peerId, ip: s.ip, resumed: outcome.resumed, roomSize: outcome.roomSize });
  };

  /**
   * A locked room would refuse this newcomer: it knocks instead (rate-limited
   * per connection and per IP), and every member is asked with its sealed
   * hello. The newcomer waits for the first answer, or the timeout.
   * 'retry': the room no longer refuses it; join again.
   */
  const knock = async (s: PeerSession, roomId: string): Promise<'done' | 'retry'> => {
    const ipState = ips.get(s.ip);
    s.knocks ??= new TokenBucket(clock, limits.knocksPerMinPerConnection / 60, limits.knockBurstPerConnection);
    if (!s.knocks.tryTake() || (ipState !== undefined && !ipState.knocks.tryTake())) {
      s.peerId = '';
      reject(s, 'knock-rate-limited', 'the room is locked, and you knocked too often: wait a minute, or ask someone inside to unlock it');
      return 'done';
    }
    // Set first: the knock's outcome (queued behind this task) and the connection's close look for it.
    s.knockingAt = roomId;
    const opened = await directory.knock(s, roomId);
    if (!opened.ok) {
      s.knockingAt = undefined;
      if (opened.reason === 'retry') return 'retry';
      s.peerId = '';
      if (opened.reason === 'id-knocking') reject(s, 'peer-id-taken', 'this peer id is already knocking at the room');
      else reject(s, 'knock-rate-limited', 'the room is locked and too many people are knocking: try again later');
      return 'done';
    }
    send(s, { type: 'knocking', timeoutMs: directory.knockTimeoutMs });
    log.info('knock', { room: roomId.slice(0, 8), peer: s.peerId, ip: s.ip, pending: opened.pending });
    return 'done';
  };

  /** This connection's knock is over: let in (its join completes), or told why not. */
  const knockEnded = async (s: PeerSession, outcome: KnockEnding, _by: string | undefined, why: string | undefined): Promise<void> => {
    const roomId = s.knockingAt;
    if (roomId === undefined) return;
    s.knockingAt = undefined;
    if (outcome === 'admitted') return entered(s, roomId, await directory.join(s, roomId, undefined), 0);
    s.peerId = '';
    if (outcome === 'denied') return reject(s, 'knock-denied', 'the room said no');
    const t = directory.knockTimeoutMs;
    reject(s, 'knock-timeout', why ?? `nobody answered within ${t >= 1000 ? `${Math.round(t / 1000)} s` : `${t} ms`}`);
  };

  const handleMessage = async (s: PeerSession, msg: ClientMessage): Promise<void> => {
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
    const roomId = s.roomId;
    if (roomId === undefined) return reject(s, 'not-joined', `"${msg.type}" needs a joined room; send join first`);
    switch (msg.type) {
      case 'signal': {
        if (msg.to === s.peerId) return reject(s, 'unknown-peer', 'no such peer in your room');
        const relayed = directory.relay(s, roomId, msg.to, msg.payload);
        const counted = (ok: boolean): void => {
          if (ok) counters.messagesRelayed++;
          else reject(s, 'unknown-peer', 'no such peer in your room');
        };
        if (typeof relayed === 'boolean') return counted(relayed);
        // Not waited on (directory.ts, relay): the connection's next signals follow it to Redis at once.
        relayed.then(counted, s.work.onError);
        return;
      }
      case 'lock':
      case 'unlock': {
        if (!(await directory.setLock(s, roomId, msg.type === 'lock'))) return reject(s, 'not-joined', `"${msg.type}" needs a joined room; send join first`);
        log.info(msg.type === 'lock' ? 'room-locked' : 'room-unlocked', { room: roomId.slice(0, 8), by: s.peerId });
        return;
      }
      case 'admit':
      case 'deny': {
        // The first answer decides; later ones find the knock gone.
        if (!(await directory.answerKnock(s, roomId, msg.id, msg.type === 'admit'))) {
          log.debug('knock-already-ended', { room: roomId.slice(0, 8), peer: msg.id, by: s.peerId });
        }
        return;
      }
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
    s.work.run(() => handleMessage(s, parsed.message));
  };

  const trustedProxies = new Set((opts.trustedProxies ?? []).map(normalizeAddress));
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const ip = clientAddress(req, trustedProxies);
    const connId = nextConnId++;
    const s = new PeerSession(ws, ip, connId, clock, limits.messagesPerSec, limits.messageBurst, limits.maxBufferedBytes, (err) => {
      // A bug, or Redis gone mid-operation, must cost one message, not the server.
      counters.reject('internal');
      log.error('message-handler-failed', { conn: connId, error: err instanceof Error ? err.message : String(err) });
    }, req.socket);
    ws.on('error', (err) => log.debug('socket-error', { conn: s.connId, error: err.message }));
    if (closing) {
      send(s, { type: 'error', code: 'shutting-down', message: 'server is shutting down' });
      ws.close(1001, 'server shutting down');
      return;
    }
    if (unavailable !== undefined) {
      ws.close(UNAVAILABLE_CLOSE_CODE, UNAVAILABLE_CLOSE_REASON);
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
    sessions.set(s.connId, s);
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
      sessions.delete(s.connId);
      if (s.endReason === 'too-slow') counters.clientsTooSlow++;
      const st = ips.get(ip);
      if (st) st.connections--;
      const reason: LeaveReason = s.endReason === 'timeout' ? 'timeout' : code === 1000 || code === 1005 ? 'left' : 'disconnected';
      s.work.run(() => depart(s, reason));
      log.debug('connection-closed', { conn: s.connId, code, reason: s.endReason });
    });
  });

  wss.on('error', (err) => log.error('websocket-server-error', { error: err.message }));

  // Heartbeat sweep: ping the quiet, cut off the silent (liveness.ts: each connection is pinged at its own
  // sweep of a cycle, so a node's pings spread evenly over it), forget idle IPs.
  let lastTick = sweepTick(clock.now(), heartbeatMs);
  const sweep = (): void => {
    const now = clock.now();
    const span = { fromTick: lastTick, toTick: sweepTick(now, heartbeatMs) };
    lastTick = span.toTick;
    for (const s of sessions.values()) {
      const verdict = livenessAt(span, now, s.lastSeenMs, heartbeatMs, s.connId);
      if (verdict === 'timeout') {
        s.endReason = 'timeout';
        log.info('peer-timeout', { conn: s.connId, peer: s.peerId || undefined, silentMs: Math.round(now - s.lastSeenMs) });
        // Announce now rather than when the TCP close completes.
        s.work.run(() => depart(s, 'timeout'));
        s.ws.terminate();
      } else if (verdict === 'ping') {
        send(s, { type: 'ping', ts: Math.round(now) });
      }
    }
    for (const [ip, st] of ips) if (st.connections <= 0 && st.joins.isFull() && st.knocks.isFull()) ips.delete(ip);
  };
  const sweepEveryMs = heartbeatMs / SWEEPS_PER_HEARTBEAT;
  let sweepTimer = clock.setTimer(function tick() {
    sweep();
    sweepTimer = clock.setTimer(tick, sweepEveryMs);
  }, sweepEveryMs);

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(new Error(`cannot listen on ${host}:${opts.port ?? DEFAULT_PORT}: ${err.message}`, { cause: err }));
    http.once('error', onError);
    http.listen(opts.port ?? DEFAULT_PORT, host, LISTEN_BACKLOG, () => {
      http.off('error', onError);
      resolve();
    });
  }).catch(async (err: unknown) => {
    clock.clearTimer(sweepTimer);
    wss.close();
    await directory.close();
    throw err;
  });
  http.on('error', (err) => log.error('http-server-error', { error: err.message }));

  const port = (http.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `ws://${urlHost}:${port}`;
  const webUrl = web?.built === true ? `http://${urlHost}:${port}/` : undefined;
  log.info('server-listening', {
    url,
    web: webUrl ?? (web === undefined ? 'off' : 'not-built'),
    maxPeersPerRoom,
    heartbeatMs,
    ...(opts.cluster !== undefined ? { redis: redactRedisUrl(opts.cluster.redisUrl) } : {}),
    janus: opts.janusUrl ?? 'none',
    ...(opts.janusUrl !== undefined ? thresholds : {}),
  });

  const close = (): Promise<void> => {
    if (closing) return closing;
    closing = (async () => {
      clock.clearTimer(sweepTimer);
      log.info('server-shutting-down', { connections: sessions.size, rooms: directory.localCounts().rooms });
      // Pending knocks end; with rooms shared through Redis this node's members
      // keep their places for a presence TTL, so that their clients, moving to
      // another node, resume them (docs/architecture.md §5, "Several nodes").
      await directory.close();
      const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
      const all = [...sessions.values()];
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
      for (const s of sessions.values()) s.ws.terminate();
      http.closeAllConnections();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await httpClosed;
      log.info('server-closed', {});
    })();
    return closing;
  };

  return { port, host, url, webUrl, nodeId, metrics, close };
}
