/**
 * A real TURN server (coturn's `turnserver`) for tests, listening on
 * 127.0.0.1 only, with a random high port and one static long-term-credential
 * user (RFC 8656 §9.2). Started and stopped by the test that needs it.
 *
 * It relays from 127.0.0.2 by default, not from the clients' own 127.0.0.1.
 * TURN permissions are per IP address only (RFC 8656 §9). With the relay on
 * the clients' address, a client's direct (host) connectivity check to the
 * other's relayed address matches the permission installed for the relay and
 * is forwarded, so ICE can select a host/prflx pair although only relay
 * candidates were signalled. With a distinct relay address only relay↔relay
 * paths exist, which is what a relay-only test must prove.
 *
 * Readiness is checked with a STUN Binding request (RFC 8489 §6) rather than
 * by reading the log, so a slow start cannot race the test.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes, randomInt } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { daemonDir, stopChild } from './daemon.js';
import { startUdpRelay, type RelayStats, type UdpRelay, type UdpRelayOptions } from '../../src/engine/sim/udp-relay.js';

export interface Coturn {
  /** e.g. turn:127.0.0.1:49321 */
  url: string;
  username: string;
  credential: string;
  port: number;
  /** Path of coturn's log (kept until stop()). */
  logFile: string;
  /** The address coturn relays from (relayed candidates carry it). */
  relayIp: string;
  /** coturn allocates relayed addresses only from this UDP port range. */
  relayPorts: { min: number; max: number };
  /** Contents of the log so far (for failure messages). */
  readLog(): string;
  stop(): Promise<void>;
}

/** Null when the Debian `coturn` package is not installed; tests skip with this message. */
export function coturnMissingReason(): string | null {
  const r = spawnSync('turnserver', ['--help'], { stdio: 'ignore' });
  if (r.error !== undefined) return 'turnserver not found: install the Debian package "coturn" to run the TURN tests';
  return null;
}

export async function startCoturn(opts: { username?: string; credential?: string; realm?: string; relayIp?: string } = {}): Promise<Coturn> {
  const relayIp = opts.relayIp ?? '127.0.0.2';
  const username = opts.username ?? 'test';
  const credential = opts.credential ?? 'secret';
  const realm = opts.realm ?? 'roundtable.test';
  const { dir, logFile, readLog, remove } = daemonDir('roundtable-coturn-', 'turn.log');

  // A random high port; if something already holds it, coturn fails to bind
  // and we try another one.
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = randomInt(20000, 40000);
    const relayMin = randomInt(40000, 60000);
    const child = spawn('turnserver', coturnArgs({ listeningIp: '127.0.0.1', port, relayIp, relayMin, username, credential, realm, dir, logFile }), { stdio: 'ignore' });
    let exited = false;
    child.once('exit', () => (exited = true));
    child.once('error', () => (exited = true));
    const ready = await waitForStun(port, () => exited, 5000);
    if (ready) {
      return {
        url: `turn:127.0.0.1:${port}`,
        username,
        credential,
        port,
        relayIp,
        logFile,
        relayPorts: { min: relayMin, max: relayMin + 200 },
        readLog,
        stop: () => stopChild(child).then(remove),
      };
    }
    lastError = readLog().split('\n').slice(-15).join('\n');
    await stopChild(child);
  }
  remove();
  throw new Error(`coturn did not become ready on 127.0.0.1; last log lines:\n${lastError}`);
}

/** coturn's whole configuration, on its command line (no config file). */
function coturnArgs(o: { listeningIp: string; port: number; relayIp: string; relayMin: number; username: string; credential: string; realm: string; dir: string; logFile: string }): string[] {
  return [
    '-n', // no config file: everything is on this command line
    `--listening-ip=${o.listeningIp}`,
    `--listening-port=${o.port}`,
    `--relay-ip=${o.relayIp}`,
    `--min-port=${o.relayMin}`,
    `--max-port=${o.relayMin + 200}`,
    '--lt-cred-mech',
    `--user=${o.username}:${o.credential}`,
    `--realm=${o.realm}`,
    '--fingerprint',
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    // coturn refuses relaying to 127.x peers unless told otherwise.
    '--allow-loopback-peers',
    `--userdb=${join(o.dir, 'turndb')}`,
    `--pidfile=${join(o.dir, 'turn.pid')}`,
    `--log-file=${o.logFile}`,
    '--simple-log',
    '--no-stdout-log',
  ];
}

export interface NamespacedCoturn {
  /** turn:HOST:PORT?transport=tcp — what a browser bridged into the namespace uses (ns-bridge.ts carries TCP only). */
  readonly tcpUrl: string;
  readonly port: number;
  readonly username: string;
  readonly credential: string;
  readLog(): string;
  stop(): Promise<void>;
}

/**
 * coturn inside a namespace of the test's own (`ns.exec`), listening and
 * relaying on `ip`, port 3478 (the namespace is fresh: nothing else holds
 * it). It cannot be probed from here: whoever uses it waits until its TCP
 * port accepts (ns-bridge.ts does).
 */
export function startCoturnIn(ns: { readonly exec: readonly string[] }, ip: string): NamespacedCoturn {
  const { dir, logFile, readLog, remove } = daemonDir('roundtable-coturn-', 'turn.log');
  const port = 3478;
  const username = 'test';
  const credential = 'secret';
  const args = coturnArgs({ listeningIp: ip, port, relayIp: ip, relayMin: 50_000, username, credential, realm: 'roundtable.test', dir, logFile });
  const child = spawn(ns.exec[0]!, [...ns.exec.slice(1), 'turnserver', ...args], { stdio: 'ignore' });
  return { tcpUrl: `turn:${ip}:${port}?transport=tcp`, port, username, credential, readLog, stop: () => stopChild(child).then(remove) };
}

/** Send STUN Binding requests until one is answered, the process exits, or time runs out. */
function waitForStun(port: number, hasExited: () => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const txId = randomBytes(12);
    const req = Buffer.alloc(20);
    req.writeUInt16BE(0x0001, 0); // Binding request
    req.writeUInt16BE(0, 2); // no attributes
    req.writeUInt32BE(0x2112a442, 4); // magic cookie (RFC 8489 §5)
    txId.copy(req, 8);
    const deadline = Date.now() + timeoutMs;
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      sock.close();
      resolve(ok);
    };
    sock.on('message', (msg) => {
      if (msg.length >= 20 && msg.readUInt16BE(0) === 0x0101 && msg.subarray(8, 20).equals(txId)) finish(true);
    });
    sock.on('error', () => undefined); // ICMP port unreachable while coturn starts
    const timer = setInterval(() => {
      if (hasExited() || Date.now() > deadline) return finish(false);
      sock.send(req, port, '127.0.0.1');
    }, 50);
  });
}

/** coturn with the impairment relay (src/engine/sim/udp-relay.ts) in front of its listening port. */
export interface ImpairedTurn {
  turn: Coturn;
  relay: UdpRelay;
  /** The TURN URL clients use: the relay's port, not coturn's. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Start coturn, then a relay on 127.0.0.1 forwarding to its listening port:
 * clients whose TURN URL is `url` reach coturn only through the relay, so
 * their TURN control traffic and, relay-only, all their media cross the
 * impairment (docs/architecture.md §10). coturn still relays from 127.0.0.2,
 * so only relay↔relay paths exist.
 */
export async function startImpairedTurn(relay: Omit<UdpRelayOptions, 'target'> = {}): Promise<ImpairedTurn> {
  const turn = await startCoturn();
  let front: UdpRelay;
  try {
    front = await startUdpRelay({ ...relay, target: { address: '127.0.0.1', port: turn.port } });
  } catch (error) {
    await turn.stop();
    throw error;
  }
  return {
    turn,
    relay: front,
    url: `turn:127.0.0.1:${front.port}`,
    stop: async () => {
      await front.close();
      await turn.stop();
    },
  };
}

/** A client config file (YAML) that uses only this TURN server, relay-only, without cues (clean output WAVs); `extraYaml` is appended. */
export function relayOnlyConfigYaml(server: { url: string; username: string; credential: string }, extraYaml = ''): string {
  return [
    'ice:',
    '  relayOnly: true',
    '  servers:',
    `    - urls: ${server.url}`,
    `      username: ${server.username}`,
    `      credential: ${server.credential}`,
    'cues:',
    '  enabled: false',
    '',
  ].join('\n') + extraYaml;
}

/** An impaired TURN server running in a process of its own (impaired-turn-main.ts), e.g. inside a network namespace. */
export interface ImpairedTurnProcess {
  url: string;
  username: string;
  credential: string;
  /** Stops coturn and the relay; resolves with the relay's counters. */
  stop(): Promise<RelayStats | null>;
}

/**
 * startImpairedTurn in a child process run through `prefix` (e.g. a
 * namespace's `ip netns exec NS`), for benchmarks whose clients live where
 * this process cannot bind (bench/browser-latency.ts with an impairment).
 */
export async function spawnImpairedTurn(relay: Omit<UdpRelayOptions, 'target'>, prefix: readonly string[] = []): Promise<ImpairedTurnProcess> {
  const entry = join(dirname(fileURLToPath(import.meta.url)), 'impaired-turn-main.js');
  const argv = [...prefix, process.execPath, entry, JSON.stringify(relay)];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  let wake: (() => void) | null = null;
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    partial += c;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts.filter((l) => l.trim() !== ''));
    wake?.();
  });
  // 'close', not 'exit': the last stdout data may come after 'exit'.
  let closed = false;
  const exited = new Promise<void>((resolve) => child.once('close', () => ((closed = true), wake?.(), resolve())));
  const nextLine = async (timeoutMs: number): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    while (lines.length === 0) {
      if (closed || Date.now() > deadline) {
        throw new Error(`impaired TURN process: no answer (exit ${child.exitCode ?? child.signalCode}); stderr: ${stderr.trim().slice(-500)}`);
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    return lines.shift()!;
  };
  let ready: { url: string; username: string; credential: string };
  try {
    ready = JSON.parse(await nextLine(20_000)) as typeof ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    ...ready,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let stats: RelayStats | null = null;
      try {
        stats = (JSON.parse(await nextLine(10_000)) as { stats: RelayStats }).stats;
      } catch {
        child.kill('SIGKILL');
      }
      await exited;
      return stats;
    },
  };
}
