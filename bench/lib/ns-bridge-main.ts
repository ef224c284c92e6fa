/**
 * One half of a TCP bridge between two network namespaces (ns-bridge.ts),
 * run inside one of them with `ip netns exec`. A Unix socket is a file, so
 * both namespaces reach it; TCP on each side stays in its own namespace.
 *
 *   listen  HOST PORT=SOCK…  accept TCP on HOST:PORT and 127.0.0.1:PORT here, carry each connection to SOCK
 *   connect HOST PORT=SOCK…  wait until HOST:PORT accepts here, then accept on SOCK and carry to HOST:PORT
 *
 * A mapping `udp:PORT=SOCK` carries UDP instead: the listening half takes
 * datagrams on 127.0.0.1:PORT and gives each sender a stream to SOCK of its
 * own; the connecting half gives each stream a UDP socket of its own on
 * HOST, talking to HOST:PORT. Datagrams cross the stream as a 2-byte
 * length and the bytes, so their boundaries survive. (A TURN client behind
 * it then looks to the server like an ordinary UDP client.)
 *
 * Prints `ready` once every listener is up; exits on SIGTERM.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';

const [mode, host, ...pairs] = process.argv.slice(2);
if ((mode !== 'listen' && mode !== 'connect') || host === undefined || pairs.length === 0) {
  process.stderr.write('usage: ns-bridge-main listen|connect HOST PORT=SOCK…\n');
  process.exit(2);
}
const mappings = pairs.map((p) => {
  const udp = p.startsWith('udp:');
  const spec = udp ? p.slice(4) : p;
  const at = spec.indexOf('=');
  return { udp, port: Number(spec.slice(0, at)), sock: spec.slice(at + 1) };
});

/** Datagrams over a stream: a 2-byte length, then the bytes. */
function frame(payload: Buffer): Buffer {
  const out = Buffer.alloc(2 + payload.length);
  out.writeUInt16BE(payload.length, 0);
  payload.copy(out, 2);
  return out;
}

function onFrames(stream: Socket, deliver: (payload: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const n = pending.readUInt16BE(0);
      if (pending.length < 2 + n) break;
      deliver(pending.subarray(2, 2 + n));
      pending = pending.subarray(2 + n);
    }
  });
}

/** UDP on 127.0.0.1:port here; one stream to `sock` per sender. */
function udpListen(port: number, sock: string): Promise<UdpSocket> {
  const udp = createSocket('udp4');
  const streams = new Map<string, Socket>();
  udp.on('message', (msg, from) => {
    const key = `${from.address}:${from.port}`;
    let stream = streams.get(key);
    if (stream === undefined) {
      const s = connect(sock);
      streams.set(key, s);
      onFrames(s, (payload) => udp.send(payload, from.port, from.address));
      s.on('error', () => s.destroy()).on('close', () => streams.delete(key));
      stream = s;
    }
    stream.write(frame(msg));
  });
  return new Promise((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, '127.0.0.1', () => resolve(udp));
  });
}

/** A stream from the other half: a UDP socket of its own on HOST, talking to HOST:port. */
function udpConnect(stream: Socket, port: number): void {
  const udp = createSocket('udp4');
  udp.on('message', (msg) => stream.write(frame(msg)));
  udp.on('error', () => stream.destroy());
  udp.bind(0, host!, () => onFrames(stream, (payload) => udp.send(payload, port, host!)));
  stream.on('error', () => stream.destroy()).on('close', () => udp.close());
}

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
const udpSockets: UdpSocket[] = [];
try {
  for (const m of mappings) {
    if (m.udp) {
      if (mode === 'listen') udpSockets.push(await udpListen(m.port, m.sock));
      else {
        rmSync(m.sock, { force: true });
        const server = createServer((stream) => udpConnect(stream, m.port));
        await listen(server, m.sock);
        servers.push(server);
      }
    } else if (mode === 'listen') {
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
  for (const u of udpSockets) u.close();
  process.exit(0);
});
