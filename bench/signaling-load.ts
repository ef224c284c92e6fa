/**
 * Signaling server load: 4,000 clients in 1,000 rooms of 4, each room
 * exchanging a burst of signal messages. The server runs in this process;
 * the load generator (bench/signaling-loadgen.ts) runs in a separate process
 * on loopback. Reports join → joined and relay latency (p50/p99/max), and the
 * server's CPU time and peak RSS.
 *
 * Both processes share this machine's cores (2 on the project box), so the
 * latencies include the generator competing with the server for CPU.
 *
 * Run: `npx tsx bench/signaling-load.ts [clients] [roomSize] [burst] [spreadMs]`,
 * or import { run } from a bench runner.
 */
import { cpus } from 'node:os';
import { startSignalingServer } from '../src/server/index.js';
import { ask, forkSibling } from './lib/bench-child.js';
import { runWhenMain } from './lib/main.js';
import type { LoadgenConfig, LoadgenResult } from './signaling-loadgen.js';

export interface SignalingLoadOptions {
  clients?: number;
  roomSize?: number;
  /** Signals each peer sends to each other peer of its room. */
  burst?: number;
  /** Rooms start their bursts spread over this window. */
  spreadMs?: number;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface SignalingLoadResult {
  clients: number;
  rooms: number;
  cores: number;
  join: LatencySummary;
  relay: LatencySummary & { expected: number; perSec: number };
  serverCpuMs: number;
  /** Server CPU time over wall time of the run, in % of one core. */
  serverCpuPercentOfCore: number;
  serverRssPeakMB: number;
  loadgenCpuMs: number;
  connectFailures: number;
  errors: Record<string, number>;
  wallMs: number;
}

export function summarize(values: number[]): LatencySummary {
  if (values.length === 0) return { count: 0, p50Ms: NaN, p99Ms: NaN, maxMs: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const round = (x: number): number => Math.round(x * 100) / 100;
  return { count: sorted.length, p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), maxMs: round(sorted[sorted.length - 1]!) };
}

function runLoadgen(cfg: LoadgenConfig): Promise<LoadgenResult> {
  const child = forkSibling(import.meta.url, 'signaling-loadgen', 'ROUNDTABLE_LOADGEN');
  return ask<LoadgenResult>(child, cfg, 'load generator').finally(() => child.disconnect());
}

export async function run(opts: SignalingLoadOptions = {}): Promise<SignalingLoadResult> {
  const clients = opts.clients ?? 4000;
  const roomSize = opts.roomSize ?? 4;
  const burst = opts.burst ?? 10;
  const spreadMs = opts.spreadMs ?? 5000;
  const server = await startSignalingServer({
    host: '127.0.0.1',
    port: 0,
    // All load comes from one loopback address: lift the per-IP limits.
    limits: { maxConnectionsPerIp: clients + 100, joinsPerSecPerIp: 1e6, joinBurstPerIp: 1e6 },
  });
  let rssPeak = process.memoryUsage().rss;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const r = await runLoadgen({ url: server.url, clients, roomSize, burst, spreadMs, connectConcurrency: 64 });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const serverCpuMs = (cpu.user + cpu.system) / 1000;
    const relay = summarize(r.relayMs);
    return {
      clients,
      rooms: Math.ceil(clients / roomSize),
      cores: cpus().length,
      join: summarize(r.joinMs),
      relay: { ...relay, expected: r.expectedRelays, perSec: Math.round(relay.count / (r.burstPhaseMs / 1000)) },
      serverCpuMs: Math.round(serverCpuMs),
      serverCpuPercentOfCore: Math.round((serverCpuMs / wallMs) * 100),
      serverRssPeakMB: Math.round(rssPeak / 1e6),
      loadgenCpuMs: Math.round(r.cpuUserMs + r.cpuSystemMs),
      connectFailures: r.connectFailures,
      errors: r.errors,
      wallMs: Math.round(wallMs),
    };
  } finally {
    clearInterval(sampler);
    await server.close();
  }
}

function print(r: SignalingLoadResult): void {
  const goal = (ms: number): string => (ms <= 50 ? 'meets ≤50 ms goal' : 'MISSES ≤50 ms goal');
  console.log(`signaling load: ${r.clients} clients in ${r.rooms} rooms, ${r.cores} cores shared by server and load generator`);
  console.log(`  join→joined  p50 ${r.join.p50Ms} ms  p99 ${r.join.p99Ms} ms  max ${r.join.maxMs} ms  (n=${r.join.count}) ${goal(r.join.p99Ms)}`);
  console.log(`  relay        p50 ${r.relay.p50Ms} ms  p99 ${r.relay.p99Ms} ms  max ${r.relay.maxMs} ms  (n=${r.relay.count}/${r.relay.expected}, ${r.relay.perSec}/s) ${goal(r.relay.p99Ms)}`);
  console.log(`  server CPU ${r.serverCpuMs} ms (${r.serverCpuPercentOfCore}% of one core over ${r.wallMs} ms), RSS peak ${r.serverRssPeakMB} MB; load generator CPU ${r.loadgenCpuMs} ms`);
  if (r.connectFailures > 0 || Object.keys(r.errors).length > 0) console.log(`  connect failures ${r.connectFailures}, errors ${JSON.stringify(r.errors)}`);
}

runWhenMain(import.meta.url, ([clients, roomSize, burst, spreadMs]) => run({ clients: clients || undefined, roomSize: roomSize || undefined, burst: burst || undefined, spreadMs: spreadMs || undefined }), print);
