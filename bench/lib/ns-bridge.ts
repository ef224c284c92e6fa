/**
 * TCP ports of one network namespace made reachable from another, for a
 * browser that must live in a namespace with only `lo` (netns.ts) while the
 * servers it talks to (signaling, Janus's WebSocket, a TURN server over TCP)
 * live in the Janus namespace (janus.ts), which needs an interface of its
 * own. The address `host` is put on the browser namespace's `lo`, so the
 * page uses the very URLs the servers announce (and 127.0.0.1 listens too:
 * only a page from there is a secure context); each connection to
 * HOST:PORT or 127.0.0.1:PORT there is carried over a Unix socket (a file: both namespaces
 * reach it) to HOST:PORT in the other namespace. No packet leaves either
 * namespace. `udpPorts` cross too, as datagrams over the Unix socket
 * (ns-bridge-main.ts), from 127.0.0.1 only: a TURN server over UDP, so a
 * browser's media can cross as TURN (each datagram the browser sends to the
 * TURN server reaches it from a UDP socket of its own in the far namespace).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { stopChild } from './daemon.js';
import { repoRoot } from './paths.js';
import type { NetNs } from './netns.js';

export interface NsBridge {
  stop(): Promise<void>;
}

function half(ns: NetNs, mode: 'listen' | 'connect', host: string, pairs: string[]): { child: ChildProcess; ready: Promise<void> } {
  // The compiled half (npm run build), whether this file runs compiled or from source under vitest.
  const entry = join(repoRoot(), 'dist', 'bench', 'lib', 'ns-bridge-main.js');
  const child = spawn(ns.exec[0]!, [...ns.exec.slice(1), process.execPath, entry, mode, host, ...pairs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      if (c.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`ns bridge (${mode} in ${ns.name}) exited ${code}: ${stderr.trim().slice(-500)}`)));
  });
  return { child, ready };
}

/**
 * Make `ports` of `host` in `server` reachable as `host`:`ports` in
 * `client` (whose `lo` gets `host`/32). `dir` holds the Unix sockets.
 * Resolves once every server port accepts and every listener is up.
 */
export async function bridgeTcp(opts: { client: NetNs; server: NetNs; host: string; ports: readonly number[]; udpPorts?: readonly number[]; dir: string }): Promise<NsBridge> {
  const added = spawnSync(opts.client.exec[0]!, [...opts.client.exec.slice(1), 'ip', 'addr', 'add', `${opts.host}/32`, 'dev', 'lo'], { encoding: 'utf8' });
  if (added.status !== 0) throw new Error(`cannot put ${opts.host} on lo in ${opts.client.name}: ${added.stderr.trim()}`);
  const pairs = [
    ...opts.ports.map((p) => `${p}=${join(opts.dir, `bridge-${p}.sock`)}`),
    ...(opts.udpPorts ?? []).map((p) => `udp:${p}=${join(opts.dir, `bridge-udp-${p}.sock`)}`),
  ];
  const far = half(opts.server, 'connect', opts.host, pairs);
  const children = [far.child];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => stopChild(c)));
  };
  try {
    await far.ready;
    const near = half(opts.client, 'listen', opts.host, pairs);
    children.push(near.child);
    await near.ready;
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}
