/**
 * Load generator for bench/signaling-cluster.ts, run as a SEPARATE PROCESS:
 * light WebSocket clients speaking the signaling protocol (no media, no
 * encryption: the servers only relay blobs), half of each room on node A and
 * half on node B. Requests over IPC:
 *
 * - load: connect and join every client (join → joined latency), then let
 *   every room exchange a burst of signals (each peer `burst` signals to each
 *   other peer, rooms spread over `spreadMs`); relay latency is measured
 *   here (sender and receiver are both in this process, the send time rides
 *   in the payload), apart for pairs across nodes and on one node.
 * - kill: SIGKILL node A (its pid) and measure what its death costs. Of A's
 *   clients in each room, one fails over: it reconnects to B after the
 *   signaling client's first backoff (src/core/backoff.ts) and rejoins with
 *   its id and token (time until `joined`, resumed or not); the other stays
 *   dead: the time until B's clients in its room see its `peer-left` (its
 *   presence expiring). B's clients must see no leave of a client that failed
 *   over in time.
 * - close: close every client.
 */
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { backoffDelayMs, DEFAULT_BACKOFF } from '../src/core/backoff.js';
import { encodeMessage, parseServerMessage, type ServerMessage } from '../src/protocol/index.js';
import { serveRequests } from './lib/bench-child.js';
import { burstRooms, closeSockets, sentAtMs } from './signaling-loadgen.js';

export type ClusterLoadgenRequest =
  | { kind: 'load'; urls: [string, string]; clients: number; roomSize: number; burst: number; spreadMs: number; connectConcurrency: number }
  | { kind: 'kill'; pid: number; timeoutMs: number }
  | { kind: 'close' };

export interface ClusterLoadResult {
  joinMs: number[];
  relayAcrossMs: number[];
  relayWithinMs: number[];
  expectedRelays: number;
  connectFailures: number;
  errors: Record<string, number>;
  connectPhaseMs: number;
  burstPhaseMs: number;
  cpuMs: number;
  /** How late the generator's own event loop ran during the load (it stamps arrivals): p99 and max, ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

export interface ClusterDeathResult {
  /** Kill → `joined` again through node B, per client that failed over. */
  rejoinMs: number[];
  resumed: number;
  movers: number;
  /** Kill → `peer-left` of a dead client, as each of B's clients in its room saw it. */
  peerLeftMs: number[];
  expectedPeerLeft: number;
  /** Leaves B's clients saw of clients that failed over (should be none). */
  moverLeaves: number;
  errors: Record<string, number>;
}

type Role = 'survivor' | 'mover' | 'stayer';

interface ClusterClient {
  ws: WebSocket;
  readonly peerId: string;
  readonly token: string;
  readonly room: number;
  /** 0: node A, 1: node B. */
  node: 0 | 1;
  readonly role: Role;
  joinSentMs: number;
}

let clients: ClusterClient[] = [];
const byId = new Map<string, ClusterClient>();
let roomIds: string[] = [];
let urls: [string, string] = ['', ''];
let errors: Record<string, number> = {};
let phase: 'load' | 'death' = 'load';
const load = { joinMs: [] as number[], relayAcrossMs: [] as number[], relayWithinMs: [] as number[] };
const death = { t0: 0, rejoinMs: [] as number[], resumed: 0, peerLeftMs: [] as number[], moverLeaves: 0 };
const joinedWaiters = new Map<ClusterClient, (ok?: boolean) => void>();

const count = (what: string): void => void (errors[what] = (errors[what] ?? 0) + 1);

function onMessage(c: ClusterClient, text: string): void {
  // Hot path: relayed signals are only JSON-parsed (the generator must not be
  // the bottleneck); everything else is schema-validated.
  let m: ServerMessage;
  const raw = JSON.parse(text) as ServerMessage;
  if (raw.type === 'signal' && typeof raw.payload === 'string') m = raw;
  else {
    const parsed = parseServerMessage(text);
    if (!parsed.ok) return count('invalid-server-message');
    m = parsed.message;
  }
  const now = performance.now();
  switch (m.type) {
    case 'joined':
      if (phase === 'load') load.joinMs.push(now - c.joinSentMs);
      else {
        death.rejoinMs.push(now - death.t0);
        if (m.resumed) death.resumed++;
      }
      joinedWaiters.get(c)?.();
      return;
    case 'signal': {
      const from = byId.get(m.from);
      (from !== undefined && from.node !== c.node ? load.relayAcrossMs : load.relayWithinMs).push(now - sentAtMs(m.payload));
      return;
    }
    case 'peer-left': {
      if (phase !== 'death') return;
      const who = byId.get(m.id);
      // What B's own clients saw (a client that failed over hears of its room's dead too).
      if (c.role !== 'survivor') return;
      if (who?.role === 'stayer') death.peerLeftMs.push(now - death.t0);
      else if (who?.role === 'mover') death.moverLeaves++;
      return;
    }
    case 'ping':
      c.ws.send(encodeMessage({ type: 'pong', ts: m.ts }));
      return;
    case 'error':
      count(m.code);
      return;
    default:
      return;
  }
}

/** Open `c`'s socket to its node and join; resolves once the join is sent (the `joined` is awaited apart). */
function connect(c: ClusterClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(urls[c.node]);
    c.ws = ws;
    ws.on('error', (err) => reject(err));
    ws.on('message', (data) => onMessage(c, String(data)));
    ws.on('close', () => {
      // Closed before its join was answered (refused, or timed out by a loaded node): not a hang.
      joinedWaiters.get(c)?.(false);
      if (phase === 'load') count('closed-during-load');
      if (phase === 'death' && c.role === 'mover' && c.node === 0) {
        // Like the signaling client: the next node, after the first backoff step.
        c.node = 1;
        setTimeout(() => void connect(c).catch(() => count('failover-connect-failed')), backoffDelayMs(0, DEFAULT_BACKOFF, Math.random));
      }
    });
    ws.on('open', () => {
      c.joinSentMs = performance.now();
      ws.send(encodeMessage({ type: 'join', roomId: roomIds[c.room]!, peerId: c.peerId, token: c.token }));
      resolve();
    });
  });
}

/** Resolves true on the client's next `joined`, false if its socket closes first. */
function joinedOnce(c: ClusterClient): Promise<boolean> {
  return new Promise((resolve) =>
    joinedWaiters.set(c, (ok = true) => {
      joinedWaiters.delete(c);
      resolve(ok);
    }),
  );
}

async function runLoad(req: Extract<ClusterLoadgenRequest, { kind: 'load' }>): Promise<ClusterLoadResult> {
  const cpu0 = process.cpuUsage();
  urls = req.urls;
  errors = {};
  const rooms = Math.ceil(req.clients / req.roomSize);
  roomIds = Array.from({ length: rooms }, () => randomBytes(32).toString('base64url'));
  const half = Math.floor(req.roomSize / 2);
  clients = Array.from({ length: req.clients }, (_, i) => {
    const pos = i % req.roomSize;
    const node: 0 | 1 = pos < half ? 0 : 1;
    const role: Role = node === 1 ? 'survivor' : pos === 0 ? 'mover' : 'stayer';
    const c: ClusterClient = { ws: undefined as unknown as WebSocket, peerId: randomBytes(16).toString('base64url'), token: randomBytes(24).toString('base64url'), room: Math.floor(i / req.roomSize), node, role, joinSentMs: 0 };
    byId.set(c.peerId, c);
    return c;
  });

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  // Phase 1: connect and join, a bounded number of handshakes in flight.
  const t0 = performance.now();
  let next = 0;
  let connectFailures = 0;
  await Promise.all(
    Array.from({ length: req.connectConcurrency }, async () => {
      while (next < clients.length) {
        const c = clients[next++]!;
        try {
          const joined = joinedOnce(c);
          await connect(c);
          if (!(await joined)) connectFailures++;
        } catch {
          connectFailures++;
        }
      }
    }),
  );
  const connectPhaseMs = performance.now() - t0;

  // Phase 2: each room bursts once, rooms spread over spreadMs.
  const members: ClusterClient[][] = Array.from({ length: rooms }, () => []);
  for (const c of clients) members[c.room]!.push(c);
  const t1 = performance.now();
  const expectedRelays = await burstRooms(members, req.burst, req.spreadMs);
  const relayed = (): number => load.relayAcrossMs.length + load.relayWithinMs.length;
  const deadline = performance.now() + 30_000;
  while (relayed() < expectedRelays && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const burstPhaseMs = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  loopDelay.disable();
  return {
    ...load,
    expectedRelays,
    connectFailures,
    errors,
    connectPhaseMs,
    burstPhaseMs,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    loopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e5) / 10,
    loopDelayMaxMs: Math.round(loopDelay.max / 1e5) / 10,
  };
}

async function runKill(req: Extract<ClusterLoadgenRequest, { kind: 'kill' }>): Promise<ClusterDeathResult> {
  errors = {};
  phase = 'death';
  const movers = clients.filter((c) => c.role === 'mover').length;
  const survivorsPerRoom = new Map<number, number>();
  for (const c of clients) if (c.role === 'survivor') survivorsPerRoom.set(c.room, (survivorsPerRoom.get(c.room) ?? 0) + 1);
  const expectedPeerLeft = clients.filter((c) => c.role === 'stayer').reduce((n, c) => n + (survivorsPerRoom.get(c.room) ?? 0), 0);
  death.t0 = performance.now();
  process.kill(req.pid, 'SIGKILL');
  const deadline = death.t0 + req.timeoutMs;
  while ((death.rejoinMs.length < movers || death.peerLeftMs.length < expectedPeerLeft) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  // A leave of a mover would come after its presence expired: wait that long before counting them.
  await new Promise((r) => setTimeout(r, 1000));
  return { rejoinMs: death.rejoinMs, resumed: death.resumed, movers, peerLeftMs: death.peerLeftMs, expectedPeerLeft, moverLeaves: death.moverLeaves, errors };
}

async function closeAll(): Promise<Record<string, never>> {
  await closeSockets(clients.map((c) => c.ws));
  return {};
}

if (process.send !== undefined && process.env.ROUNDTABLE_CLUSTER_LOADGEN === '1') {
  serveRequests<ClusterLoadgenRequest, ClusterLoadResult | ClusterDeathResult | Record<string, never>>((req) =>
    req.kind === 'load' ? runLoad(req) : req.kind === 'kill' ? runKill(req) : closeAll(),
  );
}
