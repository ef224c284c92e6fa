/**
 * Load generator for bench/signaling-cluster.ts, run as TWO SEPARATE
 * PROCESSES, one per node: light WebSocket clients speaking the signaling
 * protocol (no media, no encryption: the servers only relay blobs), half of
 * each room on node A (generator 0's clients) and half on node B (generator
 * 1's). Both generators derive the same clients, ids and rooms from one seed,
 * so each knows every peer; each connects and drives only its own side.
 * Two processes, not one: a single process holding all 8,000 clients was
 * itself late by 44 ms at p99 (monitorEventLoopDelay) when a room's burst
 * of 120 signals left and arrived in single turns of its loop, and every
 * arrival is stamped in that loop (bench/results.md).
 *
 * Requests over IPC:
 * - connect: connect and join this side's clients on a schedule, from
 *   `startAtEpochMs` at `joinsPerSec` (an open loop: a stalled node delays the
 *   joins already due instead of holding back the next ones, so its stall is
 *   in the figures); join → joined latency from sending the join.
 * - burst: from `startAtEpochMs`, every room exchanges a burst of signals
 *   (each peer `burst` signals to each other peer, rooms spread over
 *   `spreadMs`); relay latency is measured where a signal arrives, from the
 *   send time (epoch ms, the same in both processes) the payload carries,
 *   apart for pairs across nodes and on one node.
 * - kill: at `atEpochMs`, generator 0 SIGKILLs node A (its pid) and measures
 *   what its death costs its clients: of A's clients in each room, one fails
 *   over (it reconnects to B after the signaling client's first backoff,
 *   src/core/backoff.ts, and rejoins with its id and token: time until
 *   `joined`, resumed or not); the other stays dead. Generator 1 measures
 *   the time until B's clients see each dead one's `peer-left` (its presence
 *   expiring), and counts leaves of clients that failed over (there must be
 *   none).
 * - close: close this side's clients.
 */
import { createHmac } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { watchGcPauses, type GcPauses } from './lib/gc-pauses.js';
import { WebSocket } from 'ws';
import { backoffDelayMs, DEFAULT_BACKOFF } from '../src/core/backoff.js';
import { encodeMessage, parseServerMessage, type ServerMessage } from '../src/protocol/index.js';
import { serveRequests } from './lib/bench-child.js';
import { burstRooms, closeSockets, epochMs, sentAtMs } from './signaling-loadgen.js';

export type Side = 0 | 1;

export type ClusterLoadgenRequest =
  | { kind: 'connect'; side: Side; seed: string; urls: [string, string]; clients: number; roomSize: number; joinsPerSec: number; startAtEpochMs: number }
  | { kind: 'burst'; burst: number; spreadMs: number; startAtEpochMs: number }
  | { kind: 'kill'; pid: number; atEpochMs: number; timeoutMs: number }
  | { kind: 'close' };

export interface ClusterConnectResult {
  joinMs: number[];
  connectFailures: number;
  connectPhaseMs: number;
  errors: Record<string, number>;
}

export interface ClusterBurstResult {
  relayAcrossMs: number[];
  relayWithinMs: number[];
  /** Signals this side's clients should receive. */
  expectedRelays: number;
  burstPhaseMs: number;
  /** CPU of this generator since it began connecting. */
  cpuMs: number;
  /** How late this generator's own event loop ran from connecting to the end of the bursts (it stamps arrivals): p99 and max, ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Its garbage collections over the same span. */
  gc: GcPauses;
  errors: Record<string, number>;
}

/** One side's share of what node A's death cost; bench/signaling-cluster.ts adds the two up. */
export interface ClusterDeathResult {
  /** Kill → `joined` again through node B, per client of this side that failed over. */
  rejoinMs: number[];
  resumed: number;
  movers: number;
  /** Kill → `peer-left` of a dead client, as each of this side's clients on B saw it. */
  peerLeftMs: number[];
  expectedPeerLeft: number;
  /** Leaves this side's clients on B saw of clients that failed over (should be none). */
  moverLeaves: number;
  errors: Record<string, number>;
}

type Role = 'survivor' | 'mover' | 'stayer';

interface ClusterClient {
  ws: WebSocket | undefined;
  readonly peerId: string;
  readonly token: string;
  readonly room: number;
  /** 0: node A, 1: node B (a mover moves to B). */
  node: Side;
  /** Which generator drives it: the node it starts on. */
  readonly side: Side;
  readonly role: Role;
  joinSentMs: number;
}

let side: Side = 0;
let clients: ClusterClient[] = [];
let own: ClusterClient[] = [];
const byId = new Map<string, ClusterClient>();
let roomIds: string[] = [];
let urls: [string, string] = ['', ''];
let errors: Record<string, number> = {};
let phase: 'load' | 'death' = 'load';
const load = { joinMs: [] as number[], relayAcrossMs: [] as number[], relayWithinMs: [] as number[] };
const death = { t0: 0, rejoinMs: [] as number[], resumed: 0, peerLeftMs: [] as number[], moverLeaves: 0 };
const joinedWaiters = new Map<ClusterClient, (ok?: boolean) => void>();
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
let gcPauses: (() => GcPauses) | undefined;
let cpu0 = process.cpuUsage();

const count = (what: string): void => void (errors[what] = (errors[what] ?? 0) + 1);

/** The same bytes in both generators: HMAC of the run's seed. */
function derived(seed: string, label: string, bytes: number): string {
  return createHmac('sha256', seed).update(label).digest().subarray(0, bytes).toString('base64url');
}

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
  switch (m.type) {
    case 'joined':
      if (phase === 'load') load.joinMs.push(performance.now() - c.joinSentMs);
      else {
        death.rejoinMs.push(epochMs() - death.t0);
        if (m.resumed) death.resumed++;
      }
      joinedWaiters.get(c)?.();
      return;
    case 'signal': {
      const from = byId.get(m.from);
      (from !== undefined && from.node !== c.node ? load.relayAcrossMs : load.relayWithinMs).push(epochMs() - sentAtMs(m.payload));
      return;
    }
    case 'peer-left': {
      if (phase !== 'death') return;
      const who = byId.get(m.id);
      // What B's own clients saw (a client that failed over hears of its room's dead too).
      if (c.role !== 'survivor') return;
      if (who?.role === 'stayer') death.peerLeftMs.push(epochMs() - death.t0);
      else if (who?.role === 'mover') death.moverLeaves++;
      return;
    }
    case 'ping':
      c.ws?.send(encodeMessage({ type: 'pong', ts: m.ts }));
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

async function runConnect(req: Extract<ClusterLoadgenRequest, { kind: 'connect' }>): Promise<ClusterConnectResult> {
  cpu0 = process.cpuUsage();
  loopDelay.enable();
  gcPauses = watchGcPauses();
  side = req.side;
  urls = req.urls;
  errors = {};
  const rooms = Math.ceil(req.clients / req.roomSize);
  roomIds = Array.from({ length: rooms }, (_, r) => derived(req.seed, `room ${r}`, 32));
  const half = Math.floor(req.roomSize / 2);
  clients = Array.from({ length: req.clients }, (_, i) => {
    const pos = i % req.roomSize;
    const node: Side = pos < half ? 0 : 1;
    const role: Role = node === 1 ? 'survivor' : pos === 0 ? 'mover' : 'stayer';
    const c: ClusterClient = {
      ws: undefined,
      peerId: derived(req.seed, `peer ${i}`, 16),
      token: derived(req.seed, `token ${i}`, 24),
      room: Math.floor(i / req.roomSize),
      node,
      side: node,
      role,
      joinSentMs: 0,
    };
    byId.set(c.peerId, c);
    return c;
  });
  own = clients.filter((c) => c.side === side);

  // Connect and join on schedule: client k of this side opens its socket at start + k / rate.
  await new Promise((r) => setTimeout(r, Math.max(0, req.startAtEpochMs - epochMs())));
  const t0 = performance.now();
  let connectFailures = 0;
  await Promise.all(
    own.map(
      (c, k) =>
        new Promise<void>((resolve) => {
          setTimeout(
            () => {
              const joined = joinedOnce(c);
              connect(c)
                .then(() => joined)
                .then(
                  (ok) => void (ok || connectFailures++),
                  () => void connectFailures++,
                )
                .finally(resolve);
            },
            Math.max(0, t0 + (k * 1000) / req.joinsPerSec - performance.now()),
          );
        }),
    ),
  );
  return { joinMs: load.joinMs, connectFailures, connectPhaseMs: performance.now() - t0, errors };
}

async function runBurst(req: Extract<ClusterLoadgenRequest, { kind: 'burst' }>): Promise<ClusterBurstResult> {
  errors = {};
  const members: ClusterClient[][] = Array.from({ length: roomIds.length }, () => []);
  for (const c of clients) members[c.room]!.push(c);
  const bursts = members.map((m) => ({ from: m.filter((c) => c.side === side && c.ws !== undefined) as Array<ClusterClient & { ws: WebSocket }>, to: m }));
  // What this side's clients receive: every other member's signals to each of them.
  let expectedRelays = 0;
  for (const m of members) expectedRelays += m.filter((c) => c.side === side).length * (m.length - 1) * req.burst;
  const t1 = performance.now();
  await burstRooms(bursts, req.burst, req.spreadMs, req.startAtEpochMs - epochMs());
  const relayed = (): number => load.relayAcrossMs.length + load.relayWithinMs.length;
  const deadline = performance.now() + 30_000;
  while (relayed() < expectedRelays && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const burstPhaseMs = performance.now() - t1;
  loopDelay.disable();
  const cpu = process.cpuUsage(cpu0);
  return {
    relayAcrossMs: load.relayAcrossMs,
    relayWithinMs: load.relayWithinMs,
    expectedRelays,
    burstPhaseMs,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    loopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e5) / 10,
    loopDelayMaxMs: Math.round(loopDelay.max / 1e5) / 10,
    gc: gcPauses?.() ?? { count: 0, totalMs: 0, maxMs: 0, over10Ms: 0, over10MsMinor: 0 },
    errors,
  };
}

async function runKill(req: Extract<ClusterLoadgenRequest, { kind: 'kill' }>): Promise<ClusterDeathResult> {
  errors = {};
  const movers = own.filter((c) => c.role === 'mover').length;
  const survivorsPerRoom = new Map<number, number>();
  for (const c of own) if (c.role === 'survivor') survivorsPerRoom.set(c.room, (survivorsPerRoom.get(c.room) ?? 0) + 1);
  const expectedPeerLeft = clients.filter((c) => c.role === 'stayer').reduce((n, c) => n + (survivorsPerRoom.get(c.room) ?? 0), 0);
  await new Promise((r) => setTimeout(r, Math.max(0, req.atEpochMs - epochMs())));
  phase = 'death';
  death.t0 = epochMs();
  if (side === 0) process.kill(req.pid, 'SIGKILL');
  const deadline = performance.now() + req.timeoutMs;
  while ((death.rejoinMs.length < movers || death.peerLeftMs.length < expectedPeerLeft) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  // A leave of a mover would come after its presence expired: wait that long before counting them.
  await new Promise((r) => setTimeout(r, 1000));
  return { rejoinMs: death.rejoinMs, resumed: death.resumed, movers, peerLeftMs: death.peerLeftMs, expectedPeerLeft, moverLeaves: death.moverLeaves, errors };
}

async function closeAll(): Promise<Record<string, never>> {
  await closeSockets(own.flatMap((c) => (c.ws === undefined ? [] : [c.ws])));
  return {};
}

if (process.send !== undefined && process.env.ROUNDTABLE_CLUSTER_LOADGEN === '1') {
  serveRequests<ClusterLoadgenRequest, ClusterConnectResult | ClusterBurstResult | ClusterDeathResult | Record<string, never>>((req) =>
    req.kind === 'connect' ? runConnect(req) : req.kind === 'burst' ? runBurst(req) : req.kind === 'kill' ? runKill(req) : closeAll(),
  );
}
