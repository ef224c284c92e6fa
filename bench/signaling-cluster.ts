/**
 * Signaling across two nodes sharing rooms through Redis (issue 14;
 * docs/architecture.md §5, "Several nodes"): 2 nodes × 4,000 clients in
 * 2,000 rooms of 4, each room split 2 + 2 across the nodes. Each node is a
 * process of its own (bench/lib/signaling-node.ts), Redis is Debian's
 * redis-server on loopback (bench/lib/redis.ts), and the light clients run
 * in two more processes, one per node's half of each room
 * (bench/signaling-cluster-loadgen.ts: one process for all of them was
 * itself the tail). Reports join →
 * joined and relay latency (p50/p99/max; relays across nodes apart from
 * those on one node), each process's CPU and the nodes' peak RSS, then what
 * node A's death costs: A is SIGKILLed, one of its two clients per room
 * fails over to B (time until it is back in, its place resumed or not), the
 * other stays dead (time until B's clients see it leave: its presence
 * expiring, limit 2.5 heartbeats = 3.75 s).
 *
 * Everything shares this machine's cores (2 on the project box): the nodes,
 * Redis and the load generators compete for CPU, so latencies include that.
 *
 * Run: `npx tsx bench/signaling-cluster.ts [clients] [roomSize] [burst] [spreadMs] [joinsPerSec]`,
 * or through bench/run.ts.
 */
import { cpus } from 'node:os';
import { DEFAULT_HEARTBEAT_MS } from '../src/server/index.js';
import { ask, forkSibling } from './lib/bench-child.js';
import { runWhenMain } from './lib/main.js';
import { cpuMsOf } from './lib/proc-cpu.js';
import { redisMissingReason, startRedis } from './lib/redis.js';
import type { GcPauses } from './lib/gc-pauses.js';
import type { NodeFigures, NodeStarted } from './lib/signaling-node.js';
import type { ClusterBurstResult, ClusterConnectResult, ClusterDeathResult } from './signaling-cluster-loadgen.js';
import { epochMs } from './signaling-loadgen.js';
import { randomBytes } from 'node:crypto';
import { summarize, type LatencySummary } from './signaling-load.js';

export interface SignalingClusterOptions {
  /** Clients on both nodes together. */
  clients?: number;
  roomSize?: number;
  /** Signals each peer sends to each other peer of its room. */
  burst?: number;
  /** Rooms start their bursts spread over this window. */
  spreadMs?: number;
  /** Joins a second, both nodes together, on a fixed schedule. */
  joinsPerSec?: number;
}

export interface SignalingClusterResult {
  skipped?: string;
  clients: number;
  clientsPerNode: number;
  rooms: number;
  cores: number;
  join: LatencySummary;
  relayAcross: LatencySummary;
  relayWithin: LatencySummary;
  relayExpected: number;
  relayPerSec: number;
  /** The joins' schedule (both nodes together) and how long the slower generator took to have all its clients in. */
  joinsPerSec: number;
  joinPhaseMs: number;
  nodeCpuMs: [number, number];
  nodeCpuPercentOfCore: [number, number];
  nodeRssPeakMB: [number, number];
  redisCpuMs: number;
  loadgenCpuMs: number;
  /** How late each event loop ran during the load (monitorEventLoopDelay): what a relay waited for beyond its own work. */
  loopDelayMs: { nodes: Array<{ p99: number; max: number }>; loadgens: Array<{ p99: number; max: number }> };
  /** Garbage collections of the nodes (since start) and the generators (during the load). */
  gc: { nodes: GcPauses[]; loadgens: GcPauses[] };
  loadWallMs: number;
  connectFailures: number;
  errors: Record<string, number>;
  death: {
    movers: number;
    rejoin: LatencySummary;
    resumed: number;
    stayerLeft: LatencySummary & { expected: number };
    moverLeaves: number;
    presenceLimitMs: number;
    errors: Record<string, number>;
  };
}

/** Error counts of several processes, added up by name. */
function mergeCounts(all: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const counts of all) for (const [k, v] of Object.entries(counts)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export async function run(opts: SignalingClusterOptions = {}): Promise<SignalingClusterResult> {
  const missing = redisMissingReason();
  if (missing !== null) return { skipped: missing } as SignalingClusterResult;
  const clients = opts.clients ?? 8000;
  const roomSize = opts.roomSize ?? 4;
  const burst = opts.burst ?? 10;
  // 2,000 room set-ups in a minute: about 4,000 relays a second, what this 2-core box sustains with both nodes,
  // Redis and the generator on it (at 6,000/s it saturates: bench/results.md).
  const spreadMs = opts.spreadMs ?? 60_000;
  // Every client of both nodes in 16 s (250 joins a second per node), far above a day's peak. Joins used to come from 32
  // handshakes kept in flight per generator, as fast as the machine went (about 1,650/s): that measured the queue it
  // built, not the server. On a schedule, 1,000/s is already past what this box keeps up with when a collection or the
  // host holds a process up (bench/results.md has the figures of each).
  const joinsPerSec = opts.joinsPerSec ?? 500;
  const clientsPerNode = Math.ceil(clients / 2);
  const redis = await startRedis();
  const nodes = [forkSibling(import.meta.url, 'lib/signaling-node', 'ROUNDTABLE_BENCH_NODE'), forkSibling(import.meta.url, 'lib/signaling-node', 'ROUNDTABLE_BENCH_NODE')] as const;
  const gens = [0, 1].map(() => forkSibling(import.meta.url, 'signaling-cluster-loadgen', 'ROUNDTABLE_CLUSTER_LOADGEN'));
  const exited = [...nodes, ...gens].map((p) => new Promise<void>((resolve) => (p.exitCode !== null ? resolve() : p.once('exit', () => resolve()))));
  const both = <R>(req: (side: 0 | 1) => unknown): Promise<R[]> => Promise.all(gens.map((g, i) => ask<R>(g, req(i as 0 | 1), `load generator ${i}`)));
  try {
    const started = await Promise.all(
      // Every client may end up on one node (B, after A's death): the per-address limit allows them all.
      nodes.map((n, i) => ask<NodeStarted>(n, { kind: 'start', redisUrl: redis.url, nodeId: i === 0 ? 'node-a' : 'node-b', clients }, `node ${i === 0 ? 'A' : 'B'}`)),
    );
    const redisCpu0 = cpuMsOf(redis.pid);
    const t0 = performance.now();
    const seed = randomBytes(16).toString('hex');
    const urls: [string, string] = [started[0]!.url, started[1]!.url];
    const joinsAt = epochMs() + 200;
    const connected = await both<ClusterConnectResult>((side) => ({ kind: 'connect', side, seed, urls, clients, roomSize, joinsPerSec: joinsPerSec / 2, startAtEpochMs: joinsAt }));
    // Both generators start the bursts at one moment, so each room's halves send together.
    const bursts = await both<ClusterBurstResult>(() => ({ kind: 'burst', burst, spreadMs, startAtEpochMs: epochMs() + 200 }));
    const load = {
      joinMs: connected.flatMap((c) => c.joinMs),
      connectFailures: connected.reduce((n, c) => n + c.connectFailures, 0),
      relayAcrossMs: bursts.flatMap((b) => b.relayAcrossMs),
      relayWithinMs: bursts.flatMap((b) => b.relayWithinMs),
      expectedRelays: bursts.reduce((n, b) => n + b.expectedRelays, 0),
      burstPhaseMs: Math.max(...bursts.map((b) => b.burstPhaseMs)),
      cpuMs: bursts.reduce((n, b) => n + b.cpuMs, 0),
      errors: mergeCounts([...connected.map((c) => c.errors), ...bursts.map((b) => b.errors)]),
    };
    const loadWallMs = performance.now() - t0;
    const figures = await Promise.all(nodes.map((n, i) => ask<NodeFigures>(n, { kind: 'figures' }, `node ${i === 0 ? 'A' : 'B'}`)));
    const redisCpuMs = cpuMsOf(redis.pid) - redisCpu0;
    const deaths = await both<ClusterDeathResult>(() => ({ kind: 'kill', pid: started[0]!.pid, atEpochMs: epochMs() + 200, timeoutMs: 30_000 }));
    const death = {
      rejoinMs: deaths.flatMap((d) => d.rejoinMs),
      resumed: deaths.reduce((n, d) => n + d.resumed, 0),
      movers: deaths.reduce((n, d) => n + d.movers, 0),
      peerLeftMs: deaths.flatMap((d) => d.peerLeftMs),
      expectedPeerLeft: deaths.reduce((n, d) => n + d.expectedPeerLeft, 0),
      moverLeaves: deaths.reduce((n, d) => n + d.moverLeaves, 0),
      errors: mergeCounts(deaths.map((d) => d.errors)),
    };
    await both(() => ({ kind: 'close' }));
    const relays = load.relayAcrossMs.length + load.relayWithinMs.length;
    const cpuPct = (ms: number): number => Math.round((ms / loadWallMs) * 100);
    return {
      clients,
      clientsPerNode,
      rooms: Math.ceil(clients / roomSize),
      cores: cpus().length,
      join: summarize(load.joinMs),
      relayAcross: summarize(load.relayAcrossMs),
      relayWithin: summarize(load.relayWithinMs),
      relayExpected: load.expectedRelays,
      relayPerSec: Math.round(relays / (load.burstPhaseMs / 1000)),
      joinsPerSec,
      joinPhaseMs: Math.round(Math.max(...connected.map((c) => c.connectPhaseMs))),
      nodeCpuMs: [figures[0]!.cpuMs, figures[1]!.cpuMs],
      nodeCpuPercentOfCore: [cpuPct(figures[0]!.cpuMs), cpuPct(figures[1]!.cpuMs)],
      nodeRssPeakMB: [figures[0]!.rssPeakMB, figures[1]!.rssPeakMB],
      redisCpuMs,
      loadgenCpuMs: load.cpuMs,
      loopDelayMs: {
        nodes: [
          { p99: figures[0]!.loopDelayP99Ms, max: figures[0]!.loopDelayMaxMs },
          { p99: figures[1]!.loopDelayP99Ms, max: figures[1]!.loopDelayMaxMs },
        ],
        loadgens: bursts.map((b) => ({ p99: b.loopDelayP99Ms, max: b.loopDelayMaxMs })),
      },
      gc: { nodes: [figures[0]!.gc, figures[1]!.gc], loadgens: bursts.map((b) => b.gc) },
      loadWallMs: Math.round(loadWallMs),
      connectFailures: load.connectFailures,
      errors: load.errors,
      death: {
        movers: death.movers,
        rejoin: summarize(death.rejoinMs),
        resumed: death.resumed,
        stayerLeft: { ...summarize(death.peerLeftMs), expected: death.expectedPeerLeft },
        moverLeaves: death.moverLeaves,
        presenceLimitMs: 2.5 * DEFAULT_HEARTBEAT_MS,
        errors: death.errors,
      },
    };
  } finally {
    for (const p of [...nodes, ...gens]) if (p.connected) p.disconnect();
    await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 5000))]);
    for (const p of [...nodes, ...gens]) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await redis.stop();
  }
}

const ms = (s: LatencySummary): string => `p50 ${s.p50Ms} ms  p99 ${s.p99Ms} ms  max ${s.maxMs} ms  (n=${s.count})`;

function print(r: SignalingClusterResult): void {
  if (r.skipped !== undefined) return console.log(`signaling cluster: skipped (${r.skipped})`);
  console.log(`signaling cluster: 2 nodes × ${r.clientsPerNode} clients in ${r.rooms} rooms through one Redis; ${r.cores} cores shared by both nodes, Redis and the load generator`);
  console.log(`  join→joined       ${ms(r.join)}  (${r.joinsPerSec}/s scheduled, all in after ${r.joinPhaseMs} ms)`);
  console.log(`  relay, across     ${ms(r.relayAcross)}`);
  console.log(`  relay, same node  ${ms(r.relayWithin)}  (${r.relayAcross.count + r.relayWithin.count}/${r.relayExpected}, ${r.relayPerSec}/s)`);
  const l = r.loopDelayMs;
  console.log(`  event loops late by (p99 / max): node A ${l.nodes[0]!.p99} / ${l.nodes[0]!.max} ms, node B ${l.nodes[1]!.p99} / ${l.nodes[1]!.max} ms, load generators ${l.loadgens.map((g) => `${g.p99} / ${g.max}`).join(', ')} ms`);
  const gc = (g: GcPauses): string => `${g.count} (${g.totalMs} ms, longest ${g.maxMs} ms, ${g.over10Ms} of ≥ 10 ms, ${g.over10MsMinor} of them scavenges)`;
  console.log(`  garbage collections: node A ${gc(r.gc.nodes[0]!)}, node B ${gc(r.gc.nodes[1]!)}; load generators ${r.gc.loadgens.map(gc).join(', ')}`);
  console.log(`  CPU over ${r.loadWallMs} ms: node A ${r.nodeCpuMs[0]} ms, node B ${r.nodeCpuMs[1]} ms, Redis ${r.redisCpuMs} ms, load generator ${r.loadgenCpuMs} ms; node RSS peaks ${r.nodeRssPeakMB.join(' / ')} MB`);
  const d = r.death;
  console.log(`  node A killed: ${d.movers} clients failed over, back in ${ms(d.rejoin)}, ${d.resumed} resumed their place`);
  console.log(`  dead clients seen leaving by B's clients: ${ms(d.stayerLeft)} of ${d.stayerLeft.expected} (presence limit ${d.presenceLimitMs} ms); leaves of clients that failed over: ${d.moverLeaves}`);
  if (r.connectFailures > 0 || Object.keys(r.errors).length > 0 || Object.keys(d.errors).length > 0) console.log(`  connect failures ${r.connectFailures}, errors ${JSON.stringify(r.errors)}, after the kill ${JSON.stringify(d.errors)}`);
}

runWhenMain(
  import.meta.url,
  ([clients, roomSize, burst, spreadMs, joinsPerSec]) =>
    run({ clients: clients || undefined, roomSize: roomSize || undefined, burst: burst || undefined, spreadMs: spreadMs || undefined, joinsPerSec: joinsPerSec || undefined }),
  print,
);
