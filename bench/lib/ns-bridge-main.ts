/**
 * One half of a TCP bridge between two network namespaces (ns-bridge.ts),
 * run inside one of them with `ip netns exec`. A Unix socket is a file, so
 * both namespaces reach it; TCP on each side stays in its own namespace.
 *
 *   listen  HOST PORT=SOCK…  accept TCP on HOST:PORT and 127.0.0.1:PORT here, carry each connection to SOCK
 *   connect HOST PORT=SOCK…  wait until HOST:PORT accepts here, then accept on SOCK and carry to HOST:PORT
 *
 * Prints `ready` once every listener is up; exits on SIGTERM.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';

const [mode, host, ...pairs] = process.argv.slice(2);
if ((mode !== 'listen' && mode !== 'connect') || host === undefined || pairs.length === 0) {
  process.stderr.write('usage: ns-bridge-main listen|connect HOST PORT=SOCK…\n');
  process.exit(2);
}
const mappings = pairs.map((p) => {
  const at = p.indexOf('=');
  return { port: Number(p.slice(0, at)), sock: p.slice(at + 1) };
});

function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end).on('close', end);
  b.on('error', end).on('close', end);
}

async function reachable(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${host}:${port} did not accept TCP within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function listen(server: Server, where: { port: number; host: string } | string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (typeof where === 'string') server.listen(where, () => resolve());
    else server.listen(where.port, where.host, () => resolve());
  });
}

const servers: Server[] = [];
try {
  for (const m of mappings) {
    if (mode === 'listen') {
      // 127.0.0.1 too: a page served from there is a secure context (W3C Secure Contexts §3.1), where getUserMedia and WebCrypto exist.
      for (const at of [host!, '127.0.0.1']) {
        const server = createServer((tcp) => pipeBoth(tcp, connect(m.sock)));
        await listen(server, { port: m.port, host: at });
        servers.push(server);
      }
    } else {
      await reachable(m.port, 20_000);
      rmSync(m.sock, { force: true });
      const server = createServer((unix) => pipeBoth(unix, connect({ host: host!, port: m.port })));
      await listen(server, m.sock);
      servers.push(server);
    }
  }
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  for (const s of servers) s.close();
  process.exit(0);
});
