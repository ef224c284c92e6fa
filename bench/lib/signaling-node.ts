/**
 * One signaling node sharing rooms through Redis, in a process of its own,
 * for bench/signaling-cluster.ts (which SIGKILLs one of them). All load comes
 * from one loopback address, so the per-address limits are lifted; every
 * other limit is the default. Requests over IPC: start, figures.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { createLogger } from '../../src/core/log.js';
import { startSignalingServer, type SignalingServer } from '../../src/server/index.js';
import { serveRequests } from './bench-child.js';
import { watchGcPauses, type GcPauses } from './gc-pauses.js';

export type NodeRequest = { kind: 'start'; redisUrl: string; nodeId: string; clients: number } | { kind: 'figures' };

export interface NodeStarted {
  url: string;
  pid: number;
}

export interface NodeFigures {
  /** CPU time since start (user + system). */
  cpuMs: number;
  rssPeakMB: number;
  /** How late the event loop ran, since start (monitorEventLoopDelay, 10 ms resolution): p99 and max, ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Its garbage collections since start. */
  gc: GcPauses;
}

let server: SignalingServer | undefined;
let cpu0 = process.cpuUsage();
let rssPeak = 0;
let loopDelay: IntervalHistogram | undefined;
let gcPauses: (() => GcPauses) | undefined;

async function handle(req: NodeRequest): Promise<NodeStarted | NodeFigures> {
  if (req.kind === 'start') {
    server = await startSignalingServer({
      host: '127.0.0.1',
      port: 0,
      webRoot: false,
      limits: { maxConnectionsPerIp: req.clients + 100, joinsPerSecPerIp: 1e6, joinBurstPerIp: 1e6 },
      cluster: { redisUrl: req.redisUrl, nodeId: req.nodeId },
      // ROUNDTABLE_BENCH_NODE_LOG=FILE: the node's log lines (info and up) there, to see what a run did.
      ...(process.env.ROUNDTABLE_BENCH_NODE_LOG !== undefined ? { logger: createLogger({ json: true, destination: `${process.env.ROUNDTABLE_BENCH_NODE_LOG}.${req.nodeId}` }) } : {}),
    });
    cpu0 = process.cpuUsage();
    loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    gcPauses = watchGcPauses();
    rssPeak = process.memoryUsage().rss;
    setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 100).unref();
    return { url: server.url, pid: process.pid };
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    rssPeakMB: Math.round(rssPeak / 1e6),
    loopDelayP99Ms: Math.round((loopDelay?.percentile(99) ?? 0) / 1e5) / 10,
    loopDelayMaxMs: Math.round((loopDelay?.max ?? 0) / 1e5) / 10,
    gc: gcPauses?.() ?? { count: 0, totalMs: 0, maxMs: 0, over10Ms: 0, over10MsMinor: 0 },
  };
}

if (process.send !== undefined && process.env.ROUNDTABLE_BENCH_NODE === '1') {
  serveRequests(handle);
  // The parent going away (or SIGTERM) ends the node gracefully.
  const stop = (): void => void (server?.close() ?? Promise.resolve()).then(() => process.exit(0));
  process.once('disconnect', stop);
  process.once('SIGTERM', stop);
}
