/**
 * A real Redis (Debian's `redis-server`) for tests and benchmarks of
 * signaling across several nodes (docs/architecture.md §5, "Several
 * nodes"): its own process on 127.0.0.1 only, on a free port, nothing saved
 * to disk, in the foreground so that stopping it is ours; never the system
 * service. Readiness is a PING answered, not a log line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { daemonDir, stopChild } from './daemon.js';

export interface RedisServer {
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Contents of its log so far (for failure messages). */
  readLog(): string;
  /** SIGTERM (then SIGKILL after 3 s), and its directory removed. */
  stop(): Promise<void>;
  /** SIGKILL: Redis gone without a word, as when its machine dies. */
  kill(): Promise<void>;
}

/** Null when Debian's `redis-server` is installed; else why the tests that need it skip. */
export function redisMissingReason(): string | null {
  const r = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if (r.error !== undefined) return 'redis-server not found: install the Debian package "redis-server" to run the tests of signaling across nodes';
  return null;
}

/** A free TCP port on 127.0.0.1 right now (the caller binds it next; a start that loses the race tries another). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Start redis-server; `port` pins the port (to start it again where it was after kill()). */
export async function startRedis(opts: { port?: number; maxClients?: number } = {}): Promise<RedisServer> {
  let lastLog = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = opts.port ?? (await freePort());
    const { dir, logFile, readLog, remove } = daemonDir('roundtable-redis-', 'redis.log');
    const child = spawn(
      'redis-server',
      [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--protected-mode', 'yes',
        '--save', '',
        '--appendonly', 'no',
        '--daemonize', 'no',
        '--dir', dir,
        '--logfile', logFile,
        '--maxclients', String(opts.maxClients ?? 1000),
      ],
      { stdio: 'ignore' },
    );
    let exited = false;
    child.once('exit', () => (exited = true));
    child.once('error', () => (exited = true));
    if (await waitForPong(port, () => exited, 5000)) {
      const stopWith = (signal: NodeJS.Signals) => async (): Promise<void> => {
        await stopChild(child, signal);
        remove();
      };
      return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid!, readLog, stop: stopWith('SIGTERM'), kill: stopWith('SIGKILL') };
    }
    lastLog = readLog().split('\n').slice(-15).join('\n');
    await stopChild(child, 'SIGKILL');
    remove();
    if (opts.port !== undefined && attempt >= 2) break;
  }
  throw new Error(`redis-server did not become ready on 127.0.0.1; last log lines:\n${lastLog}`);
}

/** PING until +PONG, the process exits, or time runs out. */
async function waitForPong(port: number, hasExited: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !hasExited()) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = createConnection({ host: '127.0.0.1', port });
      let got = '';
      const done = (v: boolean): void => {
        sock.destroy();
        resolve(v);
      };
      sock.setTimeout(500, () => done(false));
      sock.on('error', () => done(false));
      sock.on('connect', () => sock.write('PING\r\n'));
      sock.on('data', (d) => {
        got += d.toString('latin1');
        if (got.includes('\r\n')) done(got.startsWith('+PONG'));
      });
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/**
 * One command to the Redis on `port`, over a connection of its own (RESP,
 * RFC-less but documented by Redis): the reply's first line, e.g. `+OK`,
 * `:1`, `$5`. For tests that must reach Redis as an outsider would (flush it,
 * publish junk on a node's channel) without the directory's client.
 */
export function redisCommand(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let got = '';
    sock.setTimeout(2000, () => {
      sock.destroy();
      reject(new Error(`redis-server on port ${port} did not answer ${args[0]}`));
    });
    sock.on('error', reject);
    sock.on('connect', () => {
      const parts = args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`);
      sock.write(`*${args.length}\r\n${parts.join('')}`);
    });
    sock.on('data', (d) => {
      got += d.toString('utf8');
      const end = got.indexOf('\r\n');
      if (end < 0) return;
      sock.destroy();
      resolve(got.slice(0, end));
    });
  });
}
