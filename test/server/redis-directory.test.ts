/**
 * Rooms shared by two signaling nodes through a real Redis (Debian's
 * redis-server, started by this file on 127.0.0.1): membership, relaying,
 * the lock, knocks and the per-room limit across nodes, a client taking its
 * place back through the other node, what is read from Redis treated as
 * untrusted, a dead node's peers expiring, and a node that loses Redis.
 * Both nodes run in this process (their own Redis connections each), except
 * the node that dies: a real `serve` process, SIGKILLed.
 */
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSignalingServer, type SignalingServer, type SignalingServerOptions } from '../../src/server/server.js';
import type { ServerMessage } from '../../src/protocol/index.js';
import { recordingLogger, type LoggedLine } from '../helpers/recording-logger.js';
import { freePort, redisCommand, redisMissingReason, startRedis, type RedisServer } from '../helpers/redis.js';
import { joinRoom, mediaPaths, RawClient, randomId, randomRoom } from './raw-client.js';

const missing = redisMissingReason();
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Short heartbeats: presence lasts 2 of them, so a dead node's peers go within 2.5 (1 s here). */
const HEARTBEAT_MS = 400;

let redis: RedisServer | undefined;
const servers: SignalingServer[] = [];
const clients: RawClient[] = [];
const lines: LoggedLine[] = [];

beforeAll(async () => {
  if (missing === null) redis = await startRedis();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  lines.length = 0;
});
afterAll(async () => {
  await redis?.stop();
});

async function node(nodeId: string, opts: SignalingServerOptions = {}, redisUrl = redis!.url): Promise<SignalingServer> {
  const s = await startSignalingServer({ host: '127.0.0.1', port: 0, webRoot: false, heartbeatMs: HEARTBEAT_MS, logger: recordingLogger(lines), cluster: { redisUrl, nodeId }, ...opts });
  servers.push(s);
  return s;
}

async function client(on: SignalingServer): Promise<RawClient> {
  const c = await RawClient.open(on.url);
  clients.push(c);
  return c;
}

async function arrive(on: SignalingServer, roomId: string, answer: 'joined' | 'knocking', hello?: string): Promise<RawClient> {
  const c = await client(on);
  c.join(roomId, hello);
  await c.next(answer);
  return c;
}

const joined = (on: SignalingServer, roomId: string, hello?: string): Promise<RawClient> => arrive(on, roomId, 'joined', hello);

/** Two nodes and a room with a member on each (a has heard of b). */
async function pairAcross(opts: SignalingServerOptions = {}): Promise<{ n1: SignalingServer; n2: SignalingServer; room: string; a: RawClient; b: RawClient }> {
  const [n1, n2] = await Promise.all([node('n1', opts), node('n2', opts)]);
  const room = randomRoom();
  const a = await joined(n1, room);
  const b = await joined(n2, room);
  await a.next('peer-joined');
  return { n1, n2, room, a, b };
}

/** A join with another client's id and token (the same client, reconnected). */
function joinAs(c: RawClient, who: RawClient, roomId: string): void {
  c.send({ type: 'join', roomId, peerId: who.peerId, token: who.token });
}

const logged = (event: string, node?: string): LoggedLine[] => lines.filter((l) => l.event === event && (node === undefined || l.fields.node === node));

async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function healthz(s: SignalingServer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(`http://127.0.0.1:${s.port}/healthz`, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe.skipIf(missing !== null)(`signaling across two nodes through Redis${missing === null ? '' : ` (skipped: ${missing})`}`, () => {
  it('a client on each node lands in the same room: peers, signals both ways, the lock, and leaves cross nodes', async () => {
    const [n1, n2] = await Promise.all([node('n1'), node('n2')]);
    const room = randomRoom();
    const a = await joined(n1, room, 'aGVsbG8tYQ');
    const b = await client(n2);
    b.join(room, 'aGVsbG8tYg');
    expect(await b.next('joined')).toMatchObject({ selfId: b.peerId, peers: [{ id: a.peerId, hello: 'aGVsbG8tYQ' }], locked: false, resumed: false, heartbeatMs: HEARTBEAT_MS });
    expect(await a.next('peer-joined')).toMatchObject({ id: b.peerId, hello: 'aGVsbG8tYg' });

    a.send({ type: 'signal', to: b.peerId, payload: 'b3BhcXVl' });
    expect(await b.next('signal')).toMatchObject({ from: a.peerId, payload: 'b3BhcXVl' });
    b.send({ type: 'signal', to: a.peerId, payload: 'cmVwbHk' });
    expect(await a.next('signal')).toMatchObject({ from: b.peerId, payload: 'cmVwbHk' });

    // Peers of other rooms cannot be addressed, wherever they are.
    const c = await joined(n1, randomRoom());
    c.send({ type: 'signal', to: b.peerId, payload: 'eA' });
    expect(await c.next('error')).toMatchObject({ code: 'unknown-peer' });

    a.send({ type: 'lock' });
    expect(await a.next('lock')).toMatchObject({ by: a.peerId });
    expect(await b.next('lock')).toMatchObject({ by: a.peerId });
    b.send({ type: 'unlock' });
    expect(await a.next('unlock')).toMatchObject({ by: b.peerId });
    expect(await b.next('unlock')).toMatchObject({ by: b.peerId });

    // A third on the first node hears of both, oldest first.
    const d = await client(n1);
    d.join(room);
    expect((await d.next('joined')).peers.map((p) => p.id)).toEqual([a.peerId, b.peerId]);

    await b.close(1000);
    expect(await a.next('peer-left')).toEqual({ v: 1, type: 'peer-left', id: b.peerId, reason: 'left' });
    expect(await d.next('peer-left')).toMatchObject({ id: b.peerId, reason: 'left' });
    d.ws.terminate();
    expect(await a.next('peer-left')).toMatchObject({ id: d.peerId, reason: 'disconnected' });
    expect(n1.metrics()).toMatchObject({ node: 'n1', rooms: 2, peers: 2, messagesRelayed: 1 });
    expect(n2.metrics()).toMatchObject({ node: 'n2', rooms: 0, peers: 0, messagesRelayed: 1 });
    expect([a, b, c, d].flatMap((x) => x.invalid)).toEqual([]);
    // Log lines say which node.
    expect(logged('peer-joined', 'n2').map((l) => l.fields.peer)).toContain(b.peerId);
  });

  it('a burst of signals across nodes arrives whole and in order; a signal to nobody in the middle of it is answered alone', async () => {
    // Above the default burst of 200 messages per connection, which would refuse the tail of it.
    const { n1, n2, room, a, b } = await pairAcross({ limits: { messageBurst: 1000 } });
    const c = await joined(n1, room);
    await Promise.all([a.next('peer-joined'), b.next('peer-joined')]);
    // One turn of n1's loop gets all of these (one socket write each from a and c): they go to Redis as relay batches.
    const fromA = Array.from({ length: 300 }, (_, i) => `YS0${i.toString(36)}`);
    const fromC = Array.from({ length: 40 }, (_, i) => `Yy0${i.toString(36)}`);
    for (const [i, payload] of fromA.entries()) {
      a.send({ type: 'signal', to: b.peerId, payload });
      if (i === 150) a.send({ type: 'signal', to: randomId(), payload: 'bm9ib2R5' });
    }
    for (const payload of fromC) c.send({ type: 'signal', to: b.peerId, payload });
    await waitFor(() => b.received.filter((m) => m.type === 'signal').length === fromA.length + fromC.length, 5000, 'every signal at b');
    const got = b.received.flatMap((m) => (m.type === 'signal' ? [m] : []));
    expect(got.filter((m) => m.from === a.peerId).map((m) => m.payload)).toEqual(fromA);
    expect(got.filter((m) => m.from === c.peerId).map((m) => m.payload)).toEqual(fromC);
    expect(await a.next('error')).toMatchObject({ code: 'unknown-peer' });
    expect(a.received.filter((m) => m.type === 'error')).toHaveLength(1);
    expect(n1.metrics()).toMatchObject({ messagesRelayed: fromA.length + fromC.length });
    expect(n2.metrics()).toMatchObject({ messagesRelayed: 0 });
    expect([a, b, c].flatMap((x) => x.invalid)).toEqual([]);
  });

  it('the peer limit holds across nodes', async () => {
    const [n1, n2] = await Promise.all([node('n1', { maxPeersPerRoom: 2 }), node('n2', { maxPeersPerRoom: 2 })]);
    const room = randomRoom();
    await joined(n1, room);
    await joined(n2, room);
    const c = await client(n1);
    c.join(room);
    expect(await c.next('error')).toMatchObject({ code: 'room-full', message: 'the room is full (2 peers max)' });
  });

  it('knocks cross nodes: asked on both, the first answer decides, deny and timeout, unlock lets everyone in', async () => {
    const { n1, n2, room, a, b } = await pairAcross({ limits: { knockTimeoutMs: 700 } });
    a.send({ type: 'lock' });
    await b.next('lock');

    // dan knocks through n2; both members are asked with its sealed hello.
    const dan = await arrive(n2, room, 'knocking', 'c2VhbGVkLWRhbg');
    expect(await a.next('knock')).toMatchObject({ id: dan.peerId, hello: 'c2VhbGVkLWRhbg' });
    expect(await b.next('knock')).toMatchObject({ id: dan.peerId });
    // The first answer decides: b admits, a's later deny finds nothing.
    b.send({ type: 'admit', id: dan.peerId });
    expect(await a.next('knock-end')).toMatchObject({ id: dan.peerId, outcome: 'admitted', by: b.peerId });
    a.send({ type: 'deny', id: dan.peerId });
    const danJoined = await dan.next('joined');
    expect(danJoined.peers.map((p) => p.id).sort()).toEqual([a.peerId, b.peerId].sort());
    expect(danJoined.locked).toBe(true);
    expect(await a.next('peer-joined')).toMatchObject({ id: dan.peerId });
    await new Promise((r) => setTimeout(r, 200));
    expect(a.unreadOf('knock-end')).toHaveLength(0);
    expect(dan.unreadOf('error')).toHaveLength(0);

    // eve knocks through n1 and is denied from n2.
    const eve = await arrive(n1, room, 'knocking');
    await b.next('knock');
    b.send({ type: 'deny', id: eve.peerId });
    expect(await eve.next('error')).toMatchObject({ code: 'knock-denied', message: 'the room said no' });
    expect(await a.next('knock-end')).toMatchObject({ id: eve.peerId, outcome: 'denied', by: b.peerId });

    // fay's knock through n2 times out on its own node; the members hear it ended.
    const fay = await arrive(n2, room, 'knocking');
    expect(await fay.next('error', 3000)).toMatchObject({ code: 'knock-timeout', message: 'nobody answered within 700 ms' });
    expect(await a.next('knock-end', 3000)).toMatchObject({ id: fay.peerId, outcome: 'timeout' });

    // Two knock; a member joining meanwhile (a resumes through n2) hears of both; unlocking lets both in, oldest first.
    const gus = await arrive(n1, room, 'knocking');
    const hal = await arrive(n2, room, 'knocking');
    await b.next('knock');
    await b.next('knock');
    const a2 = await client(n2);
    joinAs(a2, a, room);
    expect((await a2.next('joined')).knocks?.map((k) => k.id)).toEqual([gus.peerId, hal.peerId]);
    b.send({ type: 'unlock' });
    await gus.next('joined');
    await hal.next('joined');
    await waitFor(() => b.received.filter((m) => m.type === 'knock-end' && (m.id === gus.peerId || m.id === hal.peerId)).length === 2, 2000, 'both knocks ended');
    const ends = b.received.filter((m) => m.type === 'knock-end' && (m.id === gus.peerId || m.id === hal.peerId));
    expect(ends.map((e) => e.type === 'knock-end' && [e.id, e.outcome, e.by])).toEqual([[gus.peerId, 'admitted', b.peerId], [hal.peerId, 'admitted', b.peerId]]);
  });

  it('a knock ends when its room empties, and when the knocker goes away', async () => {
    const [n1, n2] = await Promise.all([node('n1'), node('n2')]);
    const room = randomRoom();
    const a = await joined(n1, room);
    a.send({ type: 'lock' });
    await a.next('lock');
    const kim = await arrive(n2, room, 'knocking');
    await a.next('knock');
    const lou = await arrive(n2, room, 'knocking');
    await a.next('knock');
    await lou.close(1000);
    expect(await a.next('knock-end')).toMatchObject({ id: lou.peerId, outcome: 'withdrawn' });
    await a.close(1000);
    expect(await kim.next('error')).toMatchObject({ code: 'knock-timeout', message: 'nobody is left in the room to answer' });
  });

  it('a client takes its place back through the other node: the old connection closes, the room sees no leave', async () => {
    const { n1, n2, room, a, b } = await pairAcross();
    const a2 = await client(n2);
    joinAs(a2, a, room);
    expect(await a2.next('joined')).toMatchObject({ selfId: a.peerId, resumed: true, peers: [{ id: b.peerId }] });
    expect((await a.closed).code).toBe(4000);
    // Someone else with a's id but another token is refused.
    const thief = await client(n1);
    thief.send({ type: 'join', roomId: room, peerId: a.peerId, token: randomId() });
    expect(await thief.next('error')).toMatchObject({ code: 'peer-id-taken' });
    // b still reaches a, now through n2.
    b.send({ type: 'signal', to: a.peerId, payload: 'c3RpbGw' });
    expect(await a2.next('signal')).toMatchObject({ from: b.peerId });
    await new Promise((r) => setTimeout(r, 200));
    expect(b.unreadOf('peer-left')).toHaveLength(0);
    expect(b.unreadOf('peer-joined')).toHaveLength(0);
  });

  it('a locked room lets a dropped member back in through the other node; relock carries the lock to a room made anew', async () => {
    const { n1, n2, room, a, b } = await pairAcross();
    a.send({ type: 'lock' });
    await b.next('lock');
    a.ws.terminate();
    expect(await b.next('peer-left')).toMatchObject({ id: a.peerId, reason: 'disconnected' });
    const a2 = await client(n2);
    joinAs(a2, a, room);
    expect(await a2.next('joined')).toMatchObject({ locked: true, resumed: false });

    // A room made anew by a member that saw it locked is locked in that join; the ids it names may enter.
    const fresh = randomRoom();
    const c = await client(n1);
    const d = await client(n2);
    c.send({ type: 'join', roomId: fresh, peerId: c.peerId, token: c.token, relock: [d.peerId] });
    expect(await c.next('joined')).toMatchObject({ locked: true });
    d.join(fresh);
    expect(await d.next('joined')).toMatchObject({ locked: true, peers: [{ id: c.peerId }] });
    await arrive(n2, fresh, 'knocking');
  });

  it('what comes from Redis is untrusted: junk on a node channel is logged and dropped, a delivery outside the room is not delivered', async () => {
    const n1 = await node('n1');
    const room = randomRoom();
    const a = await joined(n1, room);
    const b = await joined(n1, room);
    await a.next('peer-joined');
    const instance = String(logged('redis-connected', 'n1')[0]!.fields.instance);
    const channel = `rt:node:${instance}`;
    const aConn = 1; // the node's first connection
    const frame = JSON.stringify({ v: 1, type: 'signal', from: b.peerId, payload: 'Zm9yZ2Vk' });
    await redisCommand(redis!.port, 'PUBLISH', channel, 'not json at all');
    await redisCommand(redis!.port, 'PUBLISH', channel, JSON.stringify({ t: 'deliver', r: room, c: [aConn], f: '{"v":1,"type":"signal"}' }));
    await redisCommand(redis!.port, 'PUBLISH', channel, JSON.stringify({ t: 'deliver', r: randomRoom(), c: [aConn], f: frame }));
    await redisCommand(redis!.port, 'PUBLISH', channel, JSON.stringify({ t: 'knock-ended', r: room, c: aConn, outcome: 'admitted-ish' }));
    // A batch of signals: for another room (not delivered), with a payload that is not base64url (invalid).
    await redisCommand(redis!.port, 'PUBLISH', channel, JSON.stringify({ t: 'signals', s: [[randomRoom(), aConn, b.peerId, 'Zm9yZ2Vk']] }));
    await redisCommand(redis!.port, 'PUBLISH', channel, JSON.stringify({ t: 'signals', s: [[room, aConn, b.peerId, 'not base64url!']] }));
    await waitFor(() => logged('redis-message-invalid', 'n1').length > 0, 2000, 'an invalid-message log line');
    // The node is fine: a real relay still arrives, and nothing forged did.
    b.send({ type: 'signal', to: a.peerId, payload: 'cmVhbA' });
    expect(await a.next('signal')).toMatchObject({ from: b.peerId, payload: 'cmVhbA' });
    expect(a.received.filter((m) => m.type === 'signal')).toHaveLength(1);
    expect(logged('redis-message-invalid', 'n1')[0]!.level).toBe('warn');
  });

  it('a node that dies takes its peers (and its knocks) out of their rooms within 2.5 heartbeats', async () => {
    const n1 = await node('n1');
    const tsx = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
    const proc = spawn(
      process.execPath,
      ['--import', tsx, path.join(repoRoot, 'src/cli/main.ts'), 'serve', '--port', '0', '--no-web', '--json', '--heartbeat-ms', String(HEARTBEAT_MS), '--redis', redis!.url, '--node-id', 'doomed'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no server-listening line:\n${out}`)), 30_000);
        proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          const line = out.split('\n').find((l) => l.includes('"server-listening"'));
          if (line !== undefined) (clearTimeout(timer), resolve(String((JSON.parse(line) as { url: string }).url)));
        });
      });
      expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      const room = randomRoom();
      const a = await joined(n1, room);
      const doomed = { url } as SignalingServer;
      const x = await joined(doomed, room);
      await a.next('peer-joined');
      a.send({ type: 'lock' });
      await x.next('lock');
      const knocker = await arrive(doomed, room, 'knocking');
      await a.next('knock');

      const killedAtMs = Date.now();
      proc.kill('SIGKILL');
      await exited;
      const left = await a.next('peer-left', 5000);
      const leftAfterMs = Date.now() - killedAtMs;
      expect(left).toMatchObject({ id: x.peerId, reason: 'timeout' });
      expect(await a.next('knock-end', 2000)).toMatchObject({ id: knocker.peerId, outcome: 'withdrawn' });
      console.log(`dead node's peer left ${leftAfterMs} ms after the kill (limit ${2.5 * HEARTBEAT_MS} ms + one reap)`);
      expect(leftAfterMs).toBeLessThan(2.5 * HEARTBEAT_MS + 1000);
      expect(logged('presence-expired', 'n1').map((l) => l.fields.peer)).toContain(x.peerId);
      // A member that died with its node may come back into the locked room, through n1.
      const x2 = await client(n1);
      joinAs(x2, x, room);
      expect(await x2.next('joined')).toMatchObject({ locked: true });
    } finally {
      proc.kill('SIGKILL');
      await exited;
    }
  });

  it('a node shut down hands its members over: their clients resume through the other node, the room sees no leave', async () => {
    const { n1, n2, room, a, b } = await pairAcross();
    b.send({ type: 'lock' });
    await a.next('lock');
    const knocker = await arrive(n1, room, 'knocking');
    await b.next('knock');
    await n1.close();
    expect(await a.next('error')).toMatchObject({ code: 'shutting-down' });
    expect(await b.next('knock-end')).toMatchObject({ id: knocker.peerId, outcome: 'withdrawn' });
    const a2 = await client(n2);
    joinAs(a2, a, room);
    expect(await a2.next('joined')).toMatchObject({ resumed: true, locked: true, peers: [{ id: b.peerId }] });
    await new Promise((r) => setTimeout(r, 2.5 * HEARTBEAT_MS + 300));
    expect(b.unreadOf('peer-left')).toHaveLength(0);
  });

  it('a node that loses Redis says so, closes its clients and refuses new ones; with Redis back it serves again', async () => {
    const own = await startRedis();
    try {
      const n1 = await node('n1', {}, own.url);
      const a = await joined(n1, randomRoom());
      await own.kill();
      expect((await a.closed).code).toBe(1013);
      await waitFor(() => logged('redis-unavailable', 'n1').length === 1, 5000, 'redis-unavailable');
      const line = logged('redis-unavailable', 'n1')[0]!;
      expect(line.level).toBe('error');
      expect(String(line.fields.detail)).toContain(own.url);
      expect(String(line.fields.action)).toContain('refusing new ones until Redis is back');
      expect(await healthz(n1)).toEqual({ status: 503, body: '{"status":"redis-unavailable"}' });
      const refused = await client(n1);
      expect((await refused.closed).code).toBe(1013);

      const back = await startRedis({ port: own.port });
      try {
        await waitFor(() => logged('redis-restored', 'n1').length === 1, 10_000, 'redis-restored');
        expect((await healthz(n1)).status).toBe(200);
        const c = await joined(n1, randomRoom());
        c.send({ type: 'ping' });
        await c.next('pong');
      } finally {
        await Promise.all(servers.splice(0).map((s) => s.close()));
        await back.stop();
      }
    } finally {
      await own.stop();
    }
  });

  it('rooms through the SFU across nodes (serve --janus): one mode for the room, switched by its size, told on every node before the newcomer', async () => {
    const JANUS = 'ws://198.18.0.1:8188';
    const sfu: SignalingServerOptions = { janusUrl: JANUS, sfuThreshold: 2, meshThreshold: 2, maxPeersPerRoom: 12 };
    const [n1, n2] = await Promise.all([node('n1', sfu), node('n2', sfu)]);
    const room = randomRoom();
    const member = async (on: SignalingServer): Promise<{ c: RawClient; joined: Extract<ServerMessage, { type: 'joined' }> }> => {
      const c = await client(on);
      return { c, joined: await joinRoom(c, room) };
    };
    const pathsOf = mediaPaths;
    const a = await member(n1);
    const b = await member(n2);
    expect(a.joined.sfu).toBeUndefined();
    expect(b.joined.sfu).toBeUndefined();
    // The third member, through n1, takes the room past 2: a (n1) and b (n2) hear media-path before its arrival.
    const c = await member(n1);
    expect(c.joined.sfu).toEqual({ v: 1, janus: JANUS, publishers: 12, auto: true });
    for (const x of [a, b]) {
      expect(await x.c.next('media-path')).toMatchObject({ sfu: { v: 1, janus: JANUS, publishers: 12, auto: true } });
      await x.c.next('peer-joined');
      const order = x.c.received.filter((m) => m.type === 'media-path' || m.type === 'peer-joined').map((m) => m.type);
      expect(order.slice(-2)).toEqual(['media-path', 'peer-joined']);
    }
    // A fourth through n2 joins the room on the SFU, as every node tells it.
    const d = await member(n2);
    expect(d.joined.sfu).toEqual({ v: 1, janus: JANUS, publishers: 12, auto: true });
    // Two leave (one on each node): back to the mesh at 2, told on both nodes.
    await d.c.close();
    await c.c.close();
    await waitFor(() => pathsOf(a.c).length === 2 && pathsOf(b.c).length === 2, 5000, 'the switch back on both nodes');
    expect(pathsOf(a.c)).toEqual(['sfu', 'mesh']);
    expect(pathsOf(b.c)).toEqual(['sfu', 'mesh']);
    expect(lines.filter((l) => l.event === 'media-path').map((l) => [l.fields.path, l.fields.members])).toEqual([
      ['sfu', 3],
      ['mesh', 2],
    ]);
    // A room created for the SFU (through n2) is pinned there, also for members that come through n1.
    const pinnedRoom = randomRoom();
    expect((await joinRoom(await client(n2), pinnedRoom, true)).sfu).toEqual({ v: 1, janus: JANUS, publishers: 12 });
    expect((await joinRoom(await client(n1), pinnedRoom)).sfu).toEqual({ v: 1, janus: JANUS, publishers: 12 });
    for (const x of [a, b, c, d]) expect(x.c.invalid).toEqual([]);
    // A node that goes away: its members' places expire and the other node's sweep takes them out,
    // applying the same rule: the room, back at one member, returns to the mesh, and a is told.
    await joinRoom(await client(n2), room);
    await waitFor(() => pathsOf(a.c).length === 3, 5000, 'the third join on n2 to move the room to the SFU again');
    await n2.close();
    await waitFor(() => pathsOf(a.c).length === 4, 5000, 'the sweep on n1 to move the room back to the mesh');
    expect(pathsOf(a.c)).toEqual(['sfu', 'mesh', 'sfu', 'mesh']);
  });

  it('a Redis that cannot be reached fails the start with a clear error', async () => {
    const port = await freePort();
    await expect(startSignalingServer({ host: '127.0.0.1', port: 0, webRoot: false, cluster: { redisUrl: `redis://127.0.0.1:${port}`, nodeId: 'lonely' } })).rejects.toThrow(
      new RegExp(`^cannot reach Redis at redis://127\\.0\\.0\\.1:${port}/?: .*ECONNREFUSED`),
    );
  });
});
