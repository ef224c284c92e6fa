/**
 * The impairment harness's UDP relay: a user-space middlebox on loopback
 * between clients and one target (in the tests, the front of a coturn that
 * both clients use relay-only), impairing what it forwards with the seeded
 * model of `network.ts` (docs/architecture.md §10: kernel netem is not
 * available here).
 *
 *   client ──► 127.0.0.1:relayPort ─[toTarget]─► per-client socket ──► target
 *   client ◄── 127.0.0.1:relayPort ◄─[toClient]─ per-client socket ◄── target
 *
 * Each client source address gets an upstream socket of its own, so the
 * target sees one distinct address per client (a TURN server keys its
 * allocations on the 5-tuple, RFC 8656 §2.2) and its replies map back to the
 * right client. Each direction of each client is its own `SimulatedNetwork`
 * (its own seed, derived from the relay's seed and the order clients
 * appeared); one `OutageSchedule` cuts all of them at once.
 *
 * Safety: it binds 127.0.0.1 only and forwards only to a 127.0.0.0/8 target,
 * refusing anything else; it closes by itself after an idle time and a
 * maximum lifetime; its sockets and timers are unref'd, so it never keeps a
 * process alive (whoever uses it has its own reasons to stay up).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { monotonicClock, type Clock } from '../../core/clock.js';
import { CLEAN_LINK, emptyNetworkStats, OutageSchedule, SimulatedNetwork, type NetworkImpairment, type NetworkStats, type Outage } from './network.js';

/** An impairment without its seed: the relay derives one per client and direction. */
export type PathImpairment = Partial<Omit<NetworkImpairment, 'seed'>>;

export interface UdpRelayOptions {
  /** Where clients' packets go; must be on loopback (127.0.0.0/8). */
  target: { address: string; port: number };
  /** Only 127.0.0.1 is accepted (the default). */
  bindAddress?: string;
  /** 0 (default): any free port. */
  port?: number;
  /** Impairment of packets from clients to the target. */
  toTarget?: PathImpairment;
  /** Impairment of packets from the target back to clients. */
  toClient?: PathImpairment;
  /** Same seed, same decisions for the same packets in the same order (default 1). */
  seed?: number;
  /** Scripted outages, relative to when the relay started listening. */
  outages?: readonly Outage[];
  /** Close after this long without a packet (default 60 s). */
  idleTimeoutMs?: number;
  /** Close after this long whatever happens (default 10 min). */
  maxLifetimeMs?: number;
  /** Packets from further client addresses are dropped (default 64). */
  maxClients?: number;
  clock?: Clock;
}

export type RelayCloseReason = 'closed' | 'idle' | 'lifetime';

export interface RelayStats {
  /** Client addresses seen (one upstream socket each). */
  clients: number;
  toTarget: NetworkStats;
  toClient: NetworkStats;
  /** Packets from client addresses beyond maxClients, or from anything but the target on an upstream socket. */
  refused: number;
  /** Socket send errors (the packet is counted as delivered by the model but did not leave). */
  sendErrors: number;
}

export interface UdpRelay {
  readonly address: string;
  readonly port: number;
  /** A snapshot of the counters (sums over clients). */
  stats(): RelayStats;
  /** Stop forwarding in both directions for `forMs`, starting now; times on the relay's clock (ms). */
  outage(forMs: number): { startMs: number; endMs: number };
  /** Every outage, scripted or started, on the relay's clock (ms; monotonic by default, as `process.hrtime`). */
  outages(): ReadonlyArray<{ startMs: number; endMs: number }>;
  close(): Promise<void>;
  /** Resolves when the relay has closed, with why. */
  readonly closed: Promise<RelayCloseReason>;
}

const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** True for a dotted IPv4 address in 127.0.0.0/8 (RFC 1122 §3.2.1.3). */
export function isLoopbackIpv4(address: string): boolean {
  const m = IPV4_LOOPBACK.exec(address);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}

interface ClientPath {
  readonly upstream: Socket;
  readonly toTarget: SimulatedNetwork;
  readonly toClient: SimulatedNetwork;
}

export async function startUdpRelay(options: UdpRelayOptions): Promise<UdpRelay> {
  const bindAddress = options.bindAddress ?? '127.0.0.1';
  if (bindAddress !== '127.0.0.1') throw new RangeError(`the relay binds 127.0.0.1 only; refused ${bindAddress}`);
  const target = options.target;
  if (!isLoopbackIpv4(target.address)) throw new RangeError(`the relay forwards to loopback (127.0.0.0/8) only; refused ${target.address}`);
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) throw new RangeError(`bad target port ${target.port}`);
  const clock = options.clock ?? monotonicClock;
  const seed = options.seed ?? 1;
  const maxClients = options.maxClients ?? 64;
  const toTarget = { ...CLEAN_LINK, ...options.toTarget };
  const toClient = { ...CLEAN_LINK, ...options.toClient };

  const front = createSocket({ type: 'udp4' });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.bind(options.port ?? 0, bindAddress, () => {
      front.off('error', reject);
      resolve();
    });
  });
  front.unref();
  const schedule = new OutageSchedule(clock, options.outages ?? []);
  const paths = new Map<string, ClientPath>();
  const counters = { refused: 0, sendErrors: 0 };
  let isClosed = false;
  let resolveClosed: (reason: RelayCloseReason) => void = () => undefined;
  const closed = new Promise<RelayCloseReason>((resolve) => (resolveClosed = resolve));
  const onSendError = (error: Error | null): void => {
    if (error !== null) counters.sendErrors++;
  };

  const openPath = (client: RemoteInfo): ClientPath | undefined => {
    // The client's address came in on a 127.0.0.1 socket; check anyway, since
    // return traffic is sent to it.
    if (paths.size >= maxClients || !isLoopbackIpv4(client.address)) return undefined;
    const n = paths.size;
    const upstream = createSocket({ type: 'udp4' });
    upstream.bind(0, '127.0.0.1');
    upstream.unref();
    upstream.on('error', () => counters.sendErrors++);
    const path: ClientPath = {
      upstream,
      toTarget: new SimulatedNetwork(clock, { ...toTarget, seed: seed + 2 * n }, (p) => upstream.send(p, target.port, target.address, onSendError), schedule),
      toClient: new SimulatedNetwork(clock, { ...toClient, seed: seed + 2 * n + 1 }, (p) => front.send(p, client.port, client.address, onSendError), schedule),
    };
    upstream.on('message', (msg, from) => {
      idle.refresh();
      if (from.address !== target.address || from.port !== target.port) {
        counters.refused++;
        return;
      }
      path.toClient.send(msg);
    });
    paths.set(`${client.address}:${client.port}`, path);
    return path;
  };

  front.on('error', () => counters.sendErrors++);
  front.on('message', (msg, from) => {
    idle.refresh();
    const path = paths.get(`${from.address}:${from.port}`) ?? openPath(from);
    if (path === undefined) {
      counters.refused++;
      return;
    }
    path.toTarget.send(msg);
  });

  const shutdown = (reason: RelayCloseReason): Promise<void> => {
    if (isClosed) return closed.then(() => undefined);
    isClosed = true;
    clearTimeout(idle);
    clearTimeout(lifetime);
    const sockets = [front];
    for (const p of paths.values()) {
      p.toTarget.close();
      p.toClient.close();
      sockets.push(p.upstream);
    }
    return Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => resolveClosed(reason));
  };
  const idle = setTimeout(() => void shutdown('idle'), options.idleTimeoutMs ?? 60_000);
  idle.unref();
  const lifetime = setTimeout(() => void shutdown('lifetime'), options.maxLifetimeMs ?? 600_000);
  lifetime.unref();

  const sum = (pick: (p: ClientPath) => NetworkStats): NetworkStats => {
    const total = emptyNetworkStats();
    for (const p of paths.values()) {
      const s = pick(p);
      total.sent += s.sent;
      total.dropped += s.dropped;
      total.delivered += s.delivered;
      total.duplicated += s.duplicated;
      total.reordered += s.reordered;
      for (const cause of Object.keys(total.droppedBy) as Array<keyof NetworkStats['droppedBy']>) total.droppedBy[cause] += s.droppedBy[cause];
    }
    return total;
  };

  return {
    address: bindAddress,
    port: front.address().port,
    stats: () => ({ clients: paths.size, toTarget: sum((p) => p.toTarget.stats), toClient: sum((p) => p.toClient.stats), ...counters }),
    outage: (forMs) => schedule.start(forMs),
    outages: () => schedule.all.map((w) => ({ ...w })),
    close: () => shutdown('closed'),
    closed,
  };
}
