import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { LISTEN_BACKLOG, startSignalingServer, type SignalingServer, type SignalingServerOptions } from '../../src/server/server.js';
import { RawClient, randomRoom } from './raw-client.js';

let server: SignalingServer | undefined;
const clients: RawClient[] = [];

async function start(opts: SignalingServerOptions = {}): Promise<SignalingServer> {
  server = await startSignalingServer({ host: '127.0.0.1', port: 0, ...opts });
  return server;
}

async function client(): Promise<RawClient> {
  const c = await RawClient.open(server!.url);
  clients.push(c);
  return c;
}

/** A new connection that joins `roomId` and is told `answer`: joined (in), or knocking (the room is locked). */
async function arrive(roomId: string, answer: 'joined' | 'knocking', hello?: string): Promise<RawClient> {
  const c = await client();
  c.join(roomId, hello);
  await c.next(answer);
  return c;
}

const joined = (roomId: string, hello?: string): Promise<RawClient> => arrive(roomId, 'joined', hello);

/** A member of `room` who locked it (the lock confirmed). */
async function lockedBy(room: string): Promise<RawClient> {
  const m = await joined(room);
  m.send({ type: 'lock' });
  await m.next('lock');
  return m;
}

/** A room of two members: a locked it, b has been told (a has read b's arrival). */
async function lockedPair(): Promise<{ room: string; a: RawClient; b: RawClient }> {
  const room = randomRoom();
  const a = await joined(room);
  const b = await joined(room);
  await a.next('peer-joined');
  a.send({ type: 'lock' });
  await b.next('lock');
  return { room, a, b };
}

/** A newcomer knocking at the locked `room` (told it waits). */
const knocker = (room: string, hello?: string): Promise<RawClient> => arrive(room, 'knocking', hello);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
});

describe('signaling server', () => {
  it('joins, announces peers with their hello, and relays signals only inside the room', async () => {
    await start();
    const room = randomRoom();
    const a = await client();
    a.join(room, 'aGVsbG8tYQ');
    const aJoined = await a.next('joined');
    expect(aJoined).toMatchObject({ selfId: a.peerId, peers: [], locked: false, resumed: false });

    const b = await client();
    b.join(room, 'aGVsbG8tYg');
    const bJoined = await b.next('joined');
    expect(bJoined.peers).toEqual([{ id: a.peerId, hello: 'aGVsbG8tYQ' }]);
    expect(await a.next('peer-joined')).toMatchObject({ id: b.peerId, hello: 'aGVsbG8tYg' });

    a.send({ type: 'signal', to: b.peerId, payload: 'b3BhcXVl' });
    expect(await b.next('signal')).toMatchObject({ from: a.peerId, payload: 'b3BhcXVl' });

    // A peer in another room cannot be addressed.
    const c = await joined(randomRoom());
    c.send({ type: 'signal', to: a.peerId, payload: 'eA' });
    expect(await c.next('error')).toMatchObject({ code: 'unknown-peer' });
    expect(a.unreadOf('signal')).toHaveLength(0);
    expect(server!.metrics()).toMatchObject({ rooms: 2, peers: 3, messagesRelayed: 1 });
    expect([a, b, c].flatMap((x) => x.invalid)).toEqual([]);
  });

  it('answers messages before join with not-joined, and a second join with already-joined', async () => {
    await start();
    const a = await client();
    a.send({ type: 'lock' });
    expect(await a.next('error')).toMatchObject({ code: 'not-joined' });
    a.join(randomRoom());
    await a.next('joined');
    a.join(randomRoom());
    expect(await a.next('error')).toMatchObject({ code: 'already-joined' });
  });

  it('announces a leave and removes an empty room', async () => {
    await start();
    const room = randomRoom();
    const a = await joined(room);
    const b = await joined(room);
    await a.next('peer-joined');
    await b.close(1000);
    expect(await a.next('peer-left')).toEqual({ v: 1, type: 'peer-left', id: b.peerId, reason: 'left' });
    b.ws.terminate();
    await a.close(1000);
    await waitFor(() => server!.metrics().rooms === 0);
    expect(server!.metrics()).toMatchObject({ rooms: 0, peers: 0 });
  });

  it('reports an abrupt disconnect as disconnected', async () => {
    await start();
    const room = randomRoom();
    const a = await joined(room);
    const b = await joined(room);
    b.ws.terminate();
    expect(await a.next('peer-left')).toMatchObject({ id: b.peerId, reason: 'disconnected' });
  });

  it('locks and unlocks a room; a newcomer at the locked room knocks, and unlocking lets it in', async () => {
    await start();
    const room = randomRoom();
    const a = await joined(room);
    const b = await joined(room);
    b.send({ type: 'lock' });
    expect(await a.next('lock')).toMatchObject({ by: b.peerId });
    expect(await b.next('lock')).toMatchObject({ by: b.peerId });
    const c = await client();
    c.join(room, 'c2VhbGVkLWM');
    expect(await c.next('knocking')).toMatchObject({ timeoutMs: 60_000 });
    expect(await a.next('knock')).toEqual({ v: 1, type: 'knock', id: c.peerId, hello: 'c2VhbGVkLWM' });
    a.send({ type: 'unlock' });
    await b.next('unlock');
    expect(await b.next('knock-end')).toMatchObject({ id: c.peerId, outcome: 'admitted', by: a.peerId });
    expect((await c.next('joined')).peers.map((p) => p.id).sort()).toEqual([a.peerId, b.peerId].sort());
    expect(await b.next('peer-joined')).toMatchObject({ id: c.peerId });
  });

  it('knock: the first member to answer decides; admit lets the newcomer in, a late answer changes nothing', async () => {
    await start();
    const { room, a, b } = await lockedPair();
    const dan = await knocker(room, 'c2VhbGVkLWRhbg');
    await b.next('knock');
    b.send({ type: 'admit', id: dan.peerId });
    a.send({ type: 'deny', id: dan.peerId });
    expect(await a.next('knock-end')).toMatchObject({ id: dan.peerId, outcome: 'admitted', by: b.peerId });
    const j = await dan.next('joined');
    expect(j).toMatchObject({ locked: true });
    expect(j.peers.map((p) => p.id).sort()).toEqual([a.peerId, b.peerId].sort());
    expect(await a.next('peer-joined')).toMatchObject({ id: dan.peerId, hello: 'c2VhbGVkLWRhbg' });
    await new Promise((r) => setTimeout(r, 100));
    expect(dan.unreadOf('error')).toEqual([]);
    // Admitted means a member: its dropped connection comes back into the locked room with its token.
    dan.ws.terminate();
    await a.next('peer-left');
    const again = await client();
    again.send({ type: 'join', roomId: room, peerId: dan.peerId, token: dan.token });
    expect(await again.next('joined')).toMatchObject({ locked: true });
  });

  it('knock: deny tells the newcomer the room said no; a knock nobody answers times out; a withdrawn knock tells the members', async () => {
    await start({ limits: { knockTimeoutMs: 300 } });
    const room = randomRoom();
    const a = await lockedBy(room);
    const dan = await knocker(room);
    expect(await a.next('knock')).toMatchObject({ id: dan.peerId });
    a.send({ type: 'deny', id: dan.peerId });
    expect(await dan.next('error')).toMatchObject({ code: 'knock-denied', message: 'the room said no' });
    expect(await a.next('knock-end')).toMatchObject({ id: dan.peerId, outcome: 'denied', by: a.peerId });

    const eve = await client();
    eve.join(room);
    expect(await eve.next('knocking')).toMatchObject({ timeoutMs: 300 });
    await a.next('knock');
    expect(await eve.next('error', 2000)).toMatchObject({ code: 'knock-timeout', message: 'nobody answered within 300 ms' });
    expect(await a.next('knock-end')).toMatchObject({ id: eve.peerId, outcome: 'timeout' });

    const fay = await knocker(room);
    await a.next('knock');
    await fay.close();
    expect(await a.next('knock-end')).toEqual({ v: 1, type: 'knock-end', id: fay.peerId, outcome: 'withdrawn' });
    // A member who joins later hears of knocks still pending; a wrong code is another, empty room: no knock there.
    const other = await joined(randomRoom());
    expect(other.unreadOf('knock')).toEqual([]);
    expect([a, dan, eve, fay, other].flatMap((x) => x.invalid)).toEqual([]);
  });

  it('knocks are rate-limited per connection and per address, and pending knocks per room are bounded', async () => {
    await start({ limits: { knockBurstPerConnection: 1, knocksPerMinPerConnection: 1, knockBurstPerIp: 3, knocksPerMinPerIp: 1, maxKnocksPerRoom: 2 } });
    const room = randomRoom();
    const a = await lockedBy(room);
    // Per connection: denied, then the same connection knocks again at once.
    const dan = await knocker(room);
    a.send({ type: 'deny', id: (await a.next('knock')).id });
    await dan.next('error');
    dan.join(room);
    expect(await dan.next('error')).toMatchObject({ code: 'knock-rate-limited' });
    // Per room: two pending at most.
    await knocker(room);
    await knocker(room);
    // Per address: the fourth knock from 127.0.0.1 within the minute (dan, eve, fay were the three).
    const gus = await client();
    gus.join(room);
    expect(await gus.next('error')).toMatchObject({ code: 'knock-rate-limited' });
    expect(a.unreadOf('knock')).toHaveLength(2);
  });

  it('a member joining while a knock waits is told of it in joined', async () => {
    await start();
    const { room, a, b } = await lockedPair();
    const dan = await knocker(room, 'c2VhbGVkLWRhbg');
    await b.next('knock');
    // b's connection drops; it comes back into the locked room and sees dan knocking.
    b.ws.terminate();
    await a.next('peer-left');
    const b2 = await client();
    b2.send({ type: 'join', roomId: room, peerId: b.peerId, token: b.token });
    expect(await b2.next('joined')).toMatchObject({ knocks: [{ id: dan.peerId, hello: 'c2VhbGVkLWRhbg' }] });
    b2.send({ type: 'admit', id: dan.peerId });
    await dan.next('joined');
  });

  it('relock: a rejoin that lists the peers it knew locks a fresh room in its join, tells whoever is there, admits the listed ids', async () => {
    await start();
    const room = randomRoom();
    const early = await joined(room); // a newcomer that reached the (restarted) server first
    const a = await client();
    const b = await client();
    a.send({ type: 'join', roomId: room, peerId: a.peerId, token: a.token, relock: [b.peerId] });
    expect(await a.next('joined')).toMatchObject({ locked: true, peers: [{ id: early.peerId }] });
    expect(await early.next('lock')).toMatchObject({ by: a.peerId });
    const late = await client();
    late.join(room);
    expect(await late.next('knocking')).toBeDefined();
    expect(await early.next('knock')).toMatchObject({ id: late.peerId });
    b.send({ type: 'join', roomId: room, peerId: b.peerId, token: b.token, relock: [a.peerId] });
    expect(await b.next('joined')).toMatchObject({ locked: true });
  });

  it('a member whose connection dropped gets back into its locked room', async () => {
    await start();
    const { room, a, b } = await lockedPair();
    b.ws.terminate();
    expect(await a.next('peer-left')).toMatchObject({ id: b.peerId, reason: 'disconnected' });
    const again = await client();
    again.send({ type: 'join', roomId: room, peerId: b.peerId, token: b.token });
    expect(await again.next('joined')).toMatchObject({ locked: true, peers: [{ id: a.peerId }] });
  });

  it('refuses a join to a full room', async () => {
    await start({ maxPeersPerRoom: 2 });
    const room = randomRoom();
    await joined(room);
    await joined(room);
    const c = await client();
    c.join(room);
    expect(await c.next('error')).toMatchObject({ code: 'room-full' });
    expect(server!.metrics().messagesRejected['room-full']).toBe(1);
  });

  it('removes a peer that stops answering heartbeats and tells the room within 5 s', async () => {
    await start({ heartbeatMs: 200 });
    const room = randomRoom();
    const a = await joined(room);
    const b = await joined(room);
    b.answerPings = false;
    const t0 = performance.now();
    const left = await a.next('peer-left', 5000);
    const elapsedMs = performance.now() - t0;
    expect(left).toMatchObject({ id: b.peerId, reason: 'timeout' });
    expect(elapsedMs).toBeLessThan(5000);
    // The healthy peer answered its pings and is still there.
    expect(server!.metrics().peers).toBe(1);
    expect(a.received.some((m) => m.type === 'ping')).toBe(true);
  });

  it('lets a client take its id back with its token (no leave/join announced), and nobody else', async () => {
    await start();
    const room = randomRoom();
    const a = await joined(room);
    const b = await joined(room);
    await a.next('peer-joined');
    // b reconnects on a new socket before the server noticed the old one died.
    const b2 = await client();
    b2.send({ type: 'join', roomId: room, peerId: b.peerId, token: b.token });
    expect(await b2.next('joined')).toMatchObject({ selfId: b.peerId, resumed: true, peers: [{ id: a.peerId }] });
    expect((await b.closed).code).toBe(4000);
    a.send({ type: 'signal', to: b.peerId, payload: 'cmVzdW1lZA' });
    expect(await b2.next('signal')).toMatchObject({ from: a.peerId });
    expect(a.unreadOf('peer-left')).toHaveLength(0);
    expect(a.unreadOf('peer-joined')).toHaveLength(0);

    const thief = await client();
    thief.send({ type: 'join', roomId: room, peerId: b.peerId, token: thief.token });
    expect(await thief.next('error')).toMatchObject({ code: 'peer-id-taken' });
  });

  it('serves /healthz and JSON /metrics', async () => {
    await start();
    const room = randomRoom();
    await joined(room);
    const base = server!.url.replace('ws:', 'http:');
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const m = (await (await fetch(`${base}/metrics`)).json()) as Record<string, unknown>;
    expect(m).toMatchObject({ rooms: 1, peers: 1, connections: 1 });
    expect(typeof m.rssBytes).toBe('number');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('listens with an accept queue deep enough for a dead node\'s clients reconnecting at once', async () => {
    await start();
    const port = new URL(server!.url).port;
    // ss shows a listening socket's backlog as its Send-Q; the kernel caps it at net.core.somaxconn.
    const line = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim();
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    expect(Number(line.split(/\s+/u)[2])).toBe(Math.min(LISTEN_BACKLOG, somaxconn));
    expect(LISTEN_BACKLOG).toBeGreaterThan(511); // Node's default, which a fail-over overflowed
  });

  it('shuts down gracefully: peers are told and sockets closed', async () => {
    const s = await start();
    const a = await joined(randomRoom());
    await s.close();
    expect(a.received.some((m) => m.type === 'error' && m.code === 'shutting-down')).toBe(true);
    expect((await a.closed).code).toBe(1001);
    await expect(fetch(`${s.url.replace('ws:', 'http:')}/healthz`)).rejects.toThrow();
  });
});

describe('signaling server limits', () => {
  it('a member that stops reading is cut off once earlier turns left more than maxBufferedBytes unread, and /metrics counts it', async () => {
    const srv = await start({ limits: { maxBufferedBytes: 64 * 1024, messagesPerSec: 1e6, messageBurst: 1e6 } });
    const room = randomRoom();
    const a = await joined(room);
    const b = await joined(room);
    await a.next('peer-joined');
    // b's process stops reading its socket (the kernel buffers fill, then the server's).
    const bSocket = (b.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    bSocket.pause();
    const payload = 'x'.repeat(8 * 1024);
    const flood = setInterval(() => {
      for (let i = 0; i < 20; i++) a.send({ type: 'signal', to: b.peerId, payload });
    }, 5);
    try {
      await expect.poll(() => srv.metrics().clientsTooSlow, { timeout: 20_000, interval: 50 }).toBe(1);
    } finally {
      clearInterval(flood);
      bSocket.resume(); // so that b sees its connection end
    }
    expect(await a.next('peer-left')).toMatchObject({ id: b.peerId });
    await b.closed;
  });

  it('rate-limits one connection with a token bucket, answers once, and leaves others alone', async () => {
    await start({ limits: { messageBurst: 5, messagesPerSec: 1 } });
    const room = randomRoom();
    const quiet = await joined(room);
    const flood = await client();
    for (let i = 0; i < 50; i++) flood.send({ type: 'ping', ts: i });
    const err = await flood.next('error');
    expect(err).toMatchObject({ code: 'rate-limited' });
    await new Promise((r) => setTimeout(r, 200));
    expect(flood.received.filter((m) => m.type === 'pong')).toHaveLength(5);
    expect(flood.received.filter((m) => m.type === 'error')).toHaveLength(1);
    expect(server!.metrics().messagesRejected['rate-limited']).toBe(45);
    quiet.send({ type: 'ping', ts: 1 });
    expect(await quiet.next('pong')).toMatchObject({ ts: 1 });
  });

  it('answers an oversized message with too-large and cuts off a huge frame at the socket', async () => {
    await start({ limits: { maxMessageBytes: 1000, hardMaxFrameBytes: 10_000 } });
    const a = await client();
    a.sendRaw('x'.repeat(2000));
    expect(await a.next('error')).toMatchObject({ code: 'too-large' });
    a.send({ type: 'ping', ts: 2 });
    expect(await a.next('pong')).toMatchObject({ ts: 2 });
    a.sendRaw('x'.repeat(20_000));
    expect((await a.closed).code).toBe(1009);
  });

  it('answers binary frames, bad JSON, wrong versions and unknown types with errors', async () => {
    await start();
    const a = await client();
    a.sendRaw(Buffer.from([1, 2, 3]), true);
    expect(await a.next('error')).toMatchObject({ code: 'binary-not-supported' });
    a.sendRaw('{oops');
    expect(await a.next('error')).toMatchObject({ code: 'bad-json' });
    a.sendRaw('{"v":99,"type":"ping"}');
    expect(await a.next('error')).toMatchObject({ code: 'unsupported-version' });
    a.sendRaw('{"v":1,"type":"teleport"}');
    expect(await a.next('error')).toMatchObject({ code: 'bad-message' });
  });

  it('limits connections per IP', async () => {
    await start({ limits: { maxConnectionsPerIp: 2 } });
    await client();
    await client();
    const third = await client();
    expect(await third.next('error')).toMatchObject({ code: 'too-many-connections' });
    expect((await third.closed).code).toBe(1008);
    expect(server!.metrics().connections).toBe(2);
  });

  it('limits the join rate per IP', async () => {
    await start({ limits: { joinBurstPerIp: 2, joinsPerSecPerIp: 0.01 } });
    await joined(randomRoom());
    await joined(randomRoom());
    const c = await client();
    c.join(randomRoom());
    expect(await c.next('error')).toMatchObject({ code: 'join-rate-limited' });
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
