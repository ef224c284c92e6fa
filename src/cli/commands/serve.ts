/**
 * `roundtable serve [--host 127.0.0.1] [--port 8787] [--max-peers 8 (25 with --janus)] [--web-root DIR | --no-web] [--redis URL [--node-id ID]] [--janus ws://HOST:PORT [--sfu-threshold N] [--mesh-threshold N]] [--json]`
 * Runs the signaling server, and the web client's page on the same port, in
 * the foreground until SIGTERM/SIGINT, then shuts down gracefully (peers are
 * told, sockets closed). With --redis (or `serve.redis` in the config file)
 * it is one node of several sharing rooms through that Redis
 * (docs/architecture.md §5, "Several nodes").
 */
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { createLogger } from '../../core/log.js';
import { loadConfigFromArgv } from '../options.js';
import { RuntimeError, UsageError } from '../../core/errors.js';
import {
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_HOST,
  DEFAULT_LIMITS,
  DEFAULT_MAX_PEERS_PER_ROOM,
  DEFAULT_MAX_PEERS_PER_SFU_ROOM,
  DEFAULT_PORT,
  defaultRoomLimit,
  isValidNodeId,
  redactRedisUrl,
  redisUrlProblem,
  startSignalingServer,
  WebRootError,
} from '../../server/index.js';
import { DEFAULT_SFU_THRESHOLD, defaultMeshThreshold, thresholdsProblem } from '../../server/media-mode.js';

export interface ServeArgs {
  host: string;
  port: number;
  'max-peers'?: number;
  'max-connections-per-ip': number;
  'heartbeat-ms': number;
  web: boolean;
  'web-root'?: string;
  redis?: string;
  'node-id'?: string;
  'trusted-proxy'?: string[];
  json: boolean;
  janus?: string;
  'sfu-threshold'?: number;
  'mesh-threshold'?: number;
  /** The global --config (only its `serve` section is read here). */
  config?: string;
}

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Run the signaling server (peers meet here; audio never passes through it)',
  builder: (y: Argv<object>) =>
    y
      .option('host', { type: 'string', default: DEFAULT_HOST, describe: 'Address to listen on (0.0.0.0 for all interfaces)' })
      .option('port', { type: 'number', default: DEFAULT_PORT, describe: 'TCP port (0 = any free port)' })
      .option('max-peers', { type: 'number', describe: `Peers allowed per room (default ${DEFAULT_MAX_PEERS_PER_ROOM}; ${DEFAULT_MAX_PEERS_PER_SFU_ROOM} with --janus, where large rooms go through the SFU)` })
      .option('max-connections-per-ip', { type: 'number', default: DEFAULT_LIMITS.maxConnectionsPerIp, describe: 'Concurrent connections per client IP' })
      .option('heartbeat-ms', { type: 'number', default: DEFAULT_HEARTBEAT_MS, describe: 'Heartbeat period; a quiet peer is pinged every 1.6 periods and dropped after 2.4 of silence' })
      .option('web', { type: 'boolean', default: true, describe: 'Serve the browser client on the same port (--no-web: signaling only)' })
      .option('web-root', { type: 'string', normalize: true, requiresArg: true, describe: 'Directory of the built web client (default: dist/web of the package)' })
      .option('redis', {
        type: 'string',
        requiresArg: true,
        describe: 'Share rooms with other `serve` nodes through this Redis (redis://host:port); config serve.redis',
      })
      .option('node-id', { type: 'string', requiresArg: true, describe: "This node's name in logs (default: generated); config serve.nodeId" })
      .option('trusted-proxy', {
        type: 'string',
        array: true,
        requiresArg: true,
        describe: 'Address of a reverse proxy whose X-Forwarded-For names the client (for the per-address limits); repeatable',
      })
      .option('sfu-threshold', {
        type: 'number',
        requiresArg: true,
        describe: `With --janus: a mesh room with more members than this goes through the SFU (default ${DEFAULT_SFU_THRESHOLD}; 0: only rooms created with --sfu); config serve.sfuThreshold`,
      })
      .option('mesh-threshold', {
        type: 'number',
        requiresArg: true,
        describe: 'With --janus: a room that switched for its size goes back to the mesh at this many members or fewer (default: 2 below --sfu-threshold, at least 1); config serve.meshThreshold',
      })
      .option('json', { type: 'boolean', default: false, describe: 'Log JSON lines instead of text' })
      .option('janus', { type: 'string', requiresArg: true, describe: 'WebSocket URL of a Janus (VideoRoom) that rooms created with --sfu send their media through (config: janus)' })
      .example('$0 serve', 'Listen on 127.0.0.1:8787 (peers on this machine)')
      .example('$0 serve --host 0.0.0.0 --port 9000 --json', 'Listen on all interfaces, JSON log lines')
      .example('$0 serve --no-web', 'Signaling only: no page for browsers')
      .example('$0 serve --port 8788 --redis redis://127.0.0.1:6379 --node-id b', 'One of several nodes sharing rooms through Redis')
      .example('$0 serve --host 10.0.0.11 --trusted-proxy 10.0.0.2', 'Behind a TLS reverse proxy at 10.0.0.2 (see README, Deployment)')
      .example('$0 serve --janus ws://127.0.0.1:8188', 'Also coordinate rooms through this Janus (`create --sfu`)')
      .check((a) => {
        if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) throw new Error(`--port must be 0..65535, got ${a.port}`);
        const maxPeers = a['max-peers'];
        if (maxPeers !== undefined && (!Number.isInteger(maxPeers) || maxPeers < 2)) throw new Error(`--max-peers must be an integer >= 2, got ${maxPeers}`);
        if (!(a['max-connections-per-ip'] >= 1)) throw new Error('--max-connections-per-ip must be >= 1');
        if (!(a['heartbeat-ms'] >= 100)) throw new Error('--heartbeat-ms must be >= 100');
        checkWebRoot(a.web, a['web-root']);
        if (a.redis !== undefined) {
          const problem = redisUrlProblem(a.redis);
          if (problem !== undefined) throw new Error(`--redis: ${problem}`);
        }
        for (const proxy of a['trusted-proxy'] ?? []) if (isIP(proxy) === 0) throw new Error(`--trusted-proxy takes an IP address, got ${JSON.stringify(proxy)}`);
        if (a['node-id'] !== undefined && !isValidNodeId(a['node-id'])) throw new Error(`--node-id must be 1-64 letters, digits, '.', '_' or '-', got ${JSON.stringify(a['node-id'])}`);
        if (a.janus !== undefined && !/^wss?:\/\/\S+$/u.test(a.janus)) throw new Error(`--janus must be a ws:// or wss:// URL (Janus's WebSocket transport), got ${a.janus}`);
        for (const name of ['sfu-threshold', 'mesh-threshold'] as const) {
          const n = a[name];
          if (n !== undefined && !(Number.isInteger(n) && n >= 0)) throw new Error(`--${name} must be a whole number >= 0, got ${String(n)}`);
        }
        return true;
      }) as unknown as Argv<ServeArgs>,
  handler: async (args: ArgumentsCamelCase<ServeArgs>) => {
    // Flags win over the config file (its `serve` section, and `janus`).
    const { config } = await loadConfigFromArgv(args.config === undefined ? {} : { config: args.config });
    const redis = args.redis ?? config.serve?.redis;
    const nodeId = args['node-id'] ?? config.serve?.nodeId;
    const janus = args.janus ?? config.janus;
    const sfuThreshold = args['sfu-threshold'] ?? config.serve?.sfuThreshold ?? DEFAULT_SFU_THRESHOLD;
    const meshThreshold = args['mesh-threshold'] ?? config.serve?.meshThreshold ?? defaultMeshThreshold(sfuThreshold);
    const thresholdProblem = thresholdsProblem({ sfuThreshold, meshThreshold });
    if (thresholdProblem !== undefined) throw new UsageError(`--sfu-threshold / --mesh-threshold: ${thresholdProblem}`);
    const logger = createLogger({ json: args.json });
    let server;
    try {
      server = await startSignalingServer({
        host: args.host,
        port: args.port,
        // A mesh beyond ~8 costs every member too much upload; through the SFU a room may grow.
        maxPeersPerRoom: args['max-peers'] ?? defaultRoomLimit(janus),
        heartbeatMs: args['heartbeat-ms'],
        limits: { maxConnectionsPerIp: args['max-connections-per-ip'] },
        webRoot: args.web ? args['web-root'] : false, // undefined: the package's dist/web
        ...(redis !== undefined ? { cluster: { redisUrl: redis, ...(nodeId !== undefined ? { nodeId } : {}) } } : {}),
        ...(args['trusted-proxy'] !== undefined ? { trustedProxies: args['trusted-proxy'] } : {}),
        ...(janus !== undefined ? { janusUrl: janus, sfuThreshold, meshThreshold } : {}),
        logger,
      });
    } catch (err) {
      await logger.close();
      if (err instanceof WebRootError) throw new RuntimeError(`cannot serve the web client: ${err.message}`, { hint: 'point --web-root at the built client (npm run build makes dist/web), or pass --no-web', cause: err });
      if (redis !== undefined && err instanceof Error && err.message.startsWith('cannot reach Redis')) {
        throw new RuntimeError(err.message, { hint: `start Redis at ${redactRedisUrl(redis)} (or fix --redis / serve.redis), or leave --redis out for a single node`, cause: err });
      }
      const message = err instanceof Error ? err.message : String(err);
      const inUse = ((err as Error | undefined)?.cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
      throw new RuntimeError(`cannot start the signaling server on ${args.host}:${args.port}: ${message}`, {
        hint: inUse ? 'another process uses that port: choose another with --port (0 picks a free one)' : 'check --host and --port',
        cause: err,
      });
    }
    const running = server;
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) return;
        stopping = true;
        logger.info('signal-received', { signal });
        running.close().then(resolve, (err: unknown) => {
          logger.error('shutdown-failed', { error: err instanceof Error ? err.message : String(err) });
          resolve();
        });
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    await logger.close();
  },
};

/**
 * An explicit --web-root must exist: a typo should stop the command, not
 * serve a "not built" page (that lenience is for the default, when someone
 * runs from the sources without building).
 */
function checkWebRoot(web: boolean, webRoot: string | undefined): void {
  if (webRoot === undefined) return;
  if (!web) throw new Error('--web-root and --no-web contradict each other: choose one');
  let isDir = false;
  try {
    isDir = statSync(webRoot).isDirectory();
  } catch {
    // missing or unreadable: reported below
  }
  if (!isDir) throw new Error(`--web-root ${webRoot} is not a directory (npm run build makes dist/web)`);
}
