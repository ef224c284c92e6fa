/**
 * TURN with a real coturn on 127.0.0.1 and the relay-only policy set in a
 * config file (--config): the call works and both sides use relayed candidates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignalingServer } from '../../src/server/index.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { coturnMissingReason } from '../helpers/coturn.js';
import { bestPresence, joinArgs, killAll, newCode, readJson, readWav, runClient, speech, startServer, TempDir, type Client, type StatsFile } from './harness.js';

const missing = coturnMissingReason();
let server: SignalingServer;

/**
 * coturn relaying from 127.0.0.2, not 127.0.0.1. TURN permissions are per IP
 * address only (RFC 8656 §9): with the relay on the clients' own address, a
 * client's direct (host) connectivity check to the other's relayed address
 * matches the permission installed for the relay and is forwarded, so ICE
 * can select a host/prflx pair although only relay candidates were
 * signalled. With a distinct relay address only relay↔relay paths exist.
 * (The shared test/helpers/coturn.ts relays from 127.0.0.1; its PeerLink test
 * passes because a single test pair usually picks relay↔relay first.)
 */
interface Turn {
  url: string;
  username: string;
  credential: string;
  proc: ChildProcess;
  log: string;
}
async function startRelayCoturn(): Promise<Turn> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const relayMin = 40000 + Math.floor(Math.random() * 20000);
  const log = dir.file('turn.log');
  const proc = spawn('turnserver', ['-n', '--listening-ip=127.0.0.1', `--listening-port=${port}`, '--relay-ip=127.0.0.2', `--min-port=${relayMin}`, `--max-port=${relayMin + 200}`,
    '--lt-cred-mech', '--user=test:secret', '--realm=roundtable.test', '--fingerprint', '--no-cli', '--no-tls', '--no-dtls', '--allow-loopback-peers',
    `--userdb=${dir.file('turndb')}`, `--pidfile=${dir.file('turn.pid')}`, `--log-file=${log}`, '--simple-log', '--no-stdout-log'], { stdio: 'ignore' });
  // Ready when it answers a STUN Binding request (RFC 8489 §6).
  const sock = createSocket('udp4');
  const req = Buffer.alloc(20);
  req.writeUInt16BE(0x0001, 0);
  req.writeUInt32BE(0x2112a442, 4);
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 5000;
    sock.on('message', () => resolve());
    sock.on('error', () => undefined);
    const timer = setInterval(() => {
      if (Date.now() > deadline) reject(new Error('coturn did not start'));
      sock.send(req, port, '127.0.0.1');
    }, 50);
    void Promise.resolve().then(() => sock.once('message', () => clearInterval(timer)));
  }).finally(() => sock.close());
  return { url: `turn:127.0.0.1:${port}`, username: 'test', credential: 'secret', proc, log };
}
let turn: Turn | undefined;
let dir: TempDir;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startServer();
  dir = new TempDir();
  if (missing === null) turn = await startRelayCoturn();
});
afterAll(async () => {
  killAll(clients);
  await server.close();
  turn?.proc.kill('SIGTERM');
  dir.remove();
});

describe.skipIf(missing !== null)('roundtable join through TURN', () => {
  it('relay-only from the config file: audio flows and the selected candidates are relay', async () => {
    const t = turn!;
    const config = dir.write(
      'turn.yaml',
      [
        'ice:',
        '  relayOnly: true',
        '  servers:',
        `    - urls: ${t.url}`,
        `      username: ${t.username}`,
        `      credential: ${t.credential}`,
        'cues:',
        '  enabled: false',
        '',
      ].join('\n'),
    );
    const code = newCode();
    for (const x of ['a', 'b'] as const) {
      clients.push(runClient(x, joinArgs(x, { code, server: server.url, config, input: speech(x), output: dir.file(`turn-${x}.wav`), stats: dir.file(`turn-${x}.json`), durationS: 7 })));
    }
    const exits = await Promise.all(clients.map((c) => c.exited));
    for (const [i, e] of exits.entries()) expect(e.code, clients[i]!.stderr() + clients[i]!.stdout().slice(-2000)).toBe(0);
    for (const [x, other] of [['a', 'b'], ['b', 'a']] as const) {
      const stats = readJson<StatsFile>(dir.file(`turn-${x}.json`));
      const pair = stats.peers[0]?.selectedCandidatePair;
      expect(pair?.local.type).toBe('relay');
      expect(pair?.remote.type).toBe('relay');
      // coturn's relayed transport addresses (RFC 8656 §2), on its relay IP.
      expect(pair?.local.address).toBe('127.0.0.2');
      expect(pair?.remote.address).toBe('127.0.0.2');
      expect(stats.peers[0]!.packetsReceived).toBeGreaterThan(50);
      const connected = clients.find((c) => c.name === x)!.lines.find((l) => l.event === 'peer-connected');
      expect(connected?.localCandidate).toBe('relay');
      expect(bestPresence(await readWav(speech(other)), await readWav(dir.file(`turn-${x}.wav`)))).toBeGreaterThan(0.3);
    }
  });
});
