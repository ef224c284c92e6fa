import { afterEach, describe, expect, it } from 'vitest';
import { SignalingClient, type SignalingClientOptions, type SignalingEvents } from '../../../src/engine/signaling/client.js';
import { openNodeSocket } from '../../../src/engine/signaling/node-socket.js';
import { deriveRoomSecrets, sealPayload } from '../../../src/protocol/room-crypto.js';
import { startSignalingServer, type SignalingServer } from '../../../src/server/server.js';
import { RawClient } from '../../server/raw-client.js';

const CODE = 'purple-otter-lamp-river-42';
let servers: SignalingServer[] = [];
let clients: SignalingClient[] = [];
let raws: RawClient[] = [];

async function start(port = 0, heartbeatMs?: number): Promise<SignalingServer> {
  const s = await startSignalingServer({ host: '127.0.0.1', port, heartbeatMs });
  servers.push(s);
  return s;
}

function make(url: string, name: string, over: Partial<SignalingClientOptions> = {}): SignalingClient {
  const c = new SignalingClient({ openSocket: openNodeSocket, url, code: CODE, name, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, ...over });
  clients.push(c);
  return c;
}

/** Record every event of a client, and wait for the next one of a kind. */
function recorder(c: SignalingClient) {
  const events: { kind: keyof SignalingEvents; arg: unknown }[] = [];
  const kinds: (keyof SignalingEvents)[] = ['joined', 'peer-joined', 'peer-left', 'signal', 'lock', 'knocking', 'knock', 'knock-end', 'state', 'error'];
  for (const k of kinds) c.on(k, (arg: unknown) => events.push({ kind: k, arg }));
  const next = <K extends keyof SignalingEvents>(kind: K, timeoutMs = 3000, pred: (a: SignalingEvents[K]) => boolean = () => true) =>
    new Promise<SignalingEvents[K]>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${kind}`)), timeoutMs);
      const fn = (a: SignalingEvents[K]): void => {
        if (!pred(a)) return;
        clearTimeout(t);
        c.off(kind, fn);
        resolve(a);
      };
      c.on(kind, fn);
    });
  const of = (kind: keyof SignalingEvents) => events.filter((e) => e.kind === kind).map((e) => e.arg);
  return { events, next, of };
}

/**
 * Alice and Bob joined on a server (300 ms heartbeat) that the test may
 * restart on `port`, once Alice has seen Bob join: her `peer-joined` may
 * come before or after Bob's own `joined`, so it is awaited from before Bob
 * connects.
 */
async function pairOnServer() {
  const s1 = await start(0, 300);
  const alice = make(s1.url, 'alice');
  const bob = make(s1.url, 'bob');
  const ra = recorder(alice);
  const rb = recorder(bob);
  await alice.connect();
  const aliceSeesBob = ra.next('peer-joined');
  await bob.connect();
  await aliceSeesBob;
  return { s1, port: s1.port, alice, bob, ra, rb };
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(raws.splice(0).map((r) => r.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('SignalingClient', () => {
  it('joins, learns names from encrypted hellos, and relays encrypted signals', async () => {
    const s = await start();
    const alice = make(s.url, 'alice');
    const ra = recorder(alice);
    await alice.connect();
    expect(alice.state).toBe('joined');
    expect(ra.of('joined')).toEqual([{ selfId: alice.peerId, peers: [], locked: false, rejoin: false }]);

    const bob = make(s.url, 'bob');
    const rb = recorder(bob);
    const aliceSeesBob = ra.next('peer-joined');
    await bob.connect();
    expect(rb.of('joined')[0]).toMatchObject({ selfId: bob.peerId, peers: [{ id: alice.peerId, name: 'alice' }] });
    expect(await aliceSeesBob).toEqual({ id: bob.peerId, name: 'bob', rejoined: false });

    const offer = { type: 'offer', sdp: 'v=0\r\na=fingerprint:sha-256 12:34\r\n' };
    const got = rb.next('signal');
    await alice.send(bob.peerId, offer);
    expect(await got).toEqual({ from: alice.peerId, data: offer });

    // Order is preserved for a burst (trickle ICE candidates).
    const many: unknown[] = [];
    const done = new Promise<void>((resolve) => alice.on('signal', (e) => (many.push(e.data), many.length === 20 && resolve())));
    for (let i = 0; i < 20; i++) void bob.send(alice.peerId, { candidate: i });
    await done;
    expect(many).toEqual(Array.from({ length: 20 }, (_, i) => ({ candidate: i })));
    expect(alice.counters.decryptFailures).toBe(0);
  });

  it('puts a wrong code in a different, empty room', async () => {
    const s = await start();
    const alice = make(s.url, 'alice');
    await alice.connect();
    const eve = make(s.url, 'eve', { code: 'purple-otter-lamp-river-43' });
    const re = recorder(eve);
    await eve.connect();
    expect(re.of('joined')[0]).toMatchObject({ peers: [] });
    expect(eve.roomId).not.toBe(alice.roomId);
    expect(s.metrics()).toMatchObject({ rooms: 2, peers: 2 });
  });

  it('drops tampered, re-addressed and replayed payloads and counts them', async () => {
    const s = await start();
    const bob = make(s.url, 'bob');
    const rb = recorder(bob);
    await bob.connect();
    // An insider on the wire (it knows the room id, as the server does).
    const { roomId, key } = await deriveRoomSecrets(CODE);
    const raw = await RawClient.open(s.url);
    raws.push(raw);
    raw.join(roomId);
    await raw.next('joined');

    const genuine = await sealPayload(key, { purpose: 'signal', roomId, from: raw.peerId, to: bob.peerId }, { seq: 1, data: 'ok' });
    const tampered = Buffer.from(genuine, 'base64url');
    tampered[tampered.length - 5]! ^= 0x40;
    const forOther = await sealPayload(key, { purpose: 'signal', roomId, from: 'someone-else-000000', to: bob.peerId }, { seq: 2, data: 'x' });
    const wrongKey = await sealPayload((await deriveRoomSecrets('acorn-acorn-acorn-acorn-1')).key, { purpose: 'signal', roomId, from: raw.peerId, to: bob.peerId }, { seq: 3, data: 'x' });

    raw.send({ type: 'signal', to: bob.peerId, payload: tampered.toString('base64url') });
    raw.send({ type: 'signal', to: bob.peerId, payload: forOther });
    raw.send({ type: 'signal', to: bob.peerId, payload: wrongKey });
    raw.send({ type: 'signal', to: bob.peerId, payload: genuine });
    raw.send({ type: 'signal', to: bob.peerId, payload: genuine }); // replay
    await rb.next('signal');
    await new Promise((r) => setTimeout(r, 100));
    expect(rb.of('signal')).toEqual([{ from: raw.peerId, data: 'ok' }]);
    expect(bob.counters.decryptFailures).toBe(3);
    expect(bob.counters.replayDrops).toBe(1);
    expect(bob.state).toBe('joined');
  });

  it('rejects connect() clearly when the server is unreachable', async () => {
    const s = await start();
    const url = s.url;
    await s.close();
    const c = make(url, 'x', { connectAttempts: 2 });
    await expect(c.connect()).rejects.toThrow(`cannot reach signaling server ${url}`);
    expect(c.state).toBe('closed');
  });

  it('waits out a join rate limit instead of failing the first connect as unreachable', async () => {
    const s = await startSignalingServer({ host: '127.0.0.1', port: 0, limits: { joinBurstPerIp: 1, joinsPerSecPerIp: 5 } });
    servers.push(s);
    await make(s.url, 'first').connect();
    const second = make(s.url, 'second', { connectAttempts: 1 });
    const rec = recorder(second);
    await second.connect();
    expect(second.state).toBe('joined');
    expect(rec.of('error').map((e) => (e as { code: string }).code)).toContain('join-rate-limited');
  });

  it('locks the room: a newcomer knocks (its name opened by the members), is turned away with knock-denied, and another is let in', async () => {
    const s = await start();
    const alice = make(s.url, 'alice');
    const bob = make(s.url, 'bob');
    await alice.connect();
    await bob.connect();
    const ra = recorder(alice);
    const rb = recorder(bob);
    const seen = rb.next('lock');
    alice.lock();
    expect(await seen).toEqual({ locked: true, by: alice.peerId });
    const carol = make(s.url, 'carol');
    const rc = recorder(carol);
    const knocking = rc.next('knocking');
    // Listen before the knock: the members may hear it before the newcomer hears that it is knocking.
    const aliceAsked = ra.next('knock');
    const carolJoin = carol.connect();
    carolJoin.catch(() => undefined);
    expect(await knocking).toEqual({ timeoutMs: 60_000 });
    expect(carol.state).toBe('knocking');
    expect(await aliceAsked).toEqual({ id: carol.peerId, name: 'carol' });
    const ended = ra.next('knock-end');
    bob.answerKnock(carol.peerId, false);
    await expect(carolJoin).rejects.toMatchObject({ code: 'knock-denied', message: 'signaling server: the room said no (knock-denied)' });
    expect(carol.state).toBe('closed');
    expect(await ended).toEqual({ id: carol.peerId, outcome: 'denied', by: bob.peerId });

    const dan = make(s.url, 'dan');
    const danJoin = dan.connect();
    // Bob heard carol's knock too, and may hear it late: wait for dan's.
    expect(await rb.next('knock', 3000, (k) => k.id === dan.peerId)).toMatchObject({ name: 'dan' });
    const bobSees = rb.next('peer-joined');
    alice.answerKnock(dan.peerId, true);
    await danJoin;
    expect(dan.state).toBe('joined');
    expect(dan.locked).toBe(true);
    expect(await bobSees).toMatchObject({ id: dan.peerId, name: 'dan' });
    alice.unlock();
    await rb.next('lock', 3000, (e) => !e.locked);
    expect(bob.locked).toBe(false);
  });

  it('reports a peer that leaves', async () => {
    const s = await start();
    const alice = make(s.url, 'alice');
    const ra = recorder(alice);
    await alice.connect();
    const bob = make(s.url, 'bob');
    await bob.connect();
    const left = ra.next('peer-left');
    await bob.close();
    expect(await left).toEqual({ id: bob.peerId, reason: 'left' });
    expect(alice.peers).toEqual([]);
  });

  it('reconnects after a server restart with the same ids; peers are not announced again', async () => {
    const { s1, port, alice, bob, ra, rb } = await pairOnServer();

    const aliceBack = ra.next('joined', 8000, (j) => j.rejoin);
    const bobBack = rb.next('joined', 8000, (j) => j.rejoin);
    const outage = ra.next('state', 3000, (st) => st === 'reconnecting');
    await s1.close();
    await outage;
    // Sent during the outage: queued, delivered after the rejoin.
    const delivered = rb.next('signal', 8000);
    void alice.send(bob.peerId, { candidate: 'during-outage' });
    await start(port, 300);
    await Promise.all([aliceBack, bobBack]);
    expect(await delivered).toEqual({ from: alice.peerId, data: { candidate: 'during-outage' } });
    // Both back under their old ids, each knows the other, nobody left or (re)joined.
    await new Promise((r) => setTimeout(r, 200));
    expect(alice.peers.map((p) => p.id)).toEqual([bob.peerId]);
    expect(bob.peers.map((p) => p.id)).toEqual([alice.peerId]);
    expect(ra.of('peer-left')).toEqual([]);
    expect(rb.of('peer-left')).toEqual([]);
    expect(ra.of('peer-joined')).toHaveLength(1);
    expect(rb.of('peer-joined')).toHaveLength(0);
    expect(alice.counters.reconnects).toBeGreaterThanOrEqual(1);
    const back = ra.next('signal');
    await bob.send(alice.peerId, 'hello again');
    expect(await back).toEqual({ from: bob.peerId, data: 'hello again' });
  });

  it('media-path: reports the room switching by its size; a rejoin asks for the SFU only for a room created for it', async () => {
    const janus = 'ws://198.18.0.1:8188';
    const s1 = await startSignalingServer({ host: '127.0.0.1', port: 0, heartbeatMs: 300, janusUrl: janus, sfuThreshold: 1, meshThreshold: 1 });
    servers.push(s1);
    const alice = make(s1.url, 'alice');
    const ra = recorder(alice);
    const switched = new Promise<SignalingEvents['media-path']>((resolve) => alice.on('media-path', resolve));
    await alice.connect();
    expect(ra.of('joined')[0]).not.toHaveProperty('sfu');
    const bob = make(s1.url, 'bob');
    const rb = recorder(bob);
    await bob.connect();
    expect(rb.of('joined')[0]).toMatchObject({ sfu: { janus, auto: true } });
    expect(await switched).toEqual({ sfu: { v: 1, janus, publishers: 8, auto: true } });
    // The server restarts without switching by size: the room was on the SFU for its size only, so nobody asks for it back.
    const port = s1.port;
    const back = [ra.next('joined', 8000, (j) => j.rejoin), rb.next('joined', 8000, (j) => j.rejoin)];
    await s1.close();
    servers.push(await startSignalingServer({ host: '127.0.0.1', port, heartbeatMs: 300, janusUrl: janus, sfuThreshold: 0 }));
    for (const j of await Promise.all(back)) expect(j.sfu).toBeUndefined();
  });

  it('keeps the lock across a server restart: both members rejoin the relocked room, a newcomer must knock', async () => {
    const { s1, port, alice, bob, ra, rb } = await pairOnServer();
    const locked = rb.next('lock');
    alice.lock();
    await locked;
    const aliceBack = ra.next('joined', 8000, (j) => j.rejoin);
    const bobBack = rb.next('joined', 8000, (j) => j.rejoin);
    await s1.close();
    await start(port, 300);
    const [a, b] = await Promise.all([aliceBack, bobBack]);
    // Whoever came back first locked the room in its join; the other was let in as a member it named.
    expect(a.locked && b.locked).toBe(true);
    expect(alice.locked && bob.locked).toBe(true);
    expect(alice.peers.map((p) => p.id)).toEqual([bob.peerId]);
    const carol = make(s1.url, 'carol');
    const knocked = ra.next('knock');
    const carolJoin = carol.connect();
    carolJoin.catch(() => undefined);
    expect(await knocked).toMatchObject({ id: carol.peerId, name: 'carol' });
    bob.answerKnock(carol.peerId, false);
    await expect(carolJoin).rejects.toMatchObject({ code: 'knock-denied' });
    expect(ra.of('peer-left')).toEqual([]);
  });

  it('a room unlocked before the restart stays unlocked after it', async () => {
    const s1 = await start(0, 300);
    const port = s1.port;
    const alice = make(s1.url, 'alice');
    const ra = recorder(alice);
    await alice.connect();
    await s1.close();
    await start(port, 300);
    expect(await ra.next('joined', 8000, (j) => j.rejoin)).toMatchObject({ locked: false });
    const bob = make(s1.url, 'bob');
    await bob.connect();
    expect(bob.peers.map((p) => p.id)).toEqual([alice.peerId]);
  });

  it('reports a known peer as left when it does not come back within the grace period', async () => {
    const s1 = await start(0, 300);
    const port = s1.port;
    const alice = make(s1.url, 'alice', { peerGraceMs: 300 });
    const bob = make(s1.url, 'bob', { reconnect: { enabled: false } });
    const ra = recorder(alice);
    await alice.connect();
    await bob.connect();
    await s1.close();
    await start(port, 300);
    await ra.next('joined', 8000, (j) => j.rejoin);
    expect(await ra.next('peer-left', 3000)).toEqual({ id: bob.peerId, reason: 'disconnected' });
    expect(bob.state).toBe('closed');
  });
});
