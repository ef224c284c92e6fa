/**
 * Fuzz: 100,000+ malformed frames from several connections while two
 * well-behaved peers in another room keep relaying. The server must stay up,
 * answer with errors, keep relaying for the good room, and keep its memory
 * bounded. Rate limits are raised so the frames reach the parser (the
 * limiter itself is tested in server.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SignalingClient } from '../../src/engine/signaling/client.js';
import { openNodeSocket } from '../../src/engine/signaling/node-socket.js';
import { startSignalingServer, type SignalingServer } from '../../src/server/server.js';
import { RawClient, randomId, randomRoom } from './raw-client.js';
import { createRandom } from '../../src/engine/sim/prng.js';

const TOTAL_FRAMES = 100_000;
const FUZZ_CLIENTS = 5;
const MAX_MESSAGE_BYTES = 64 * 1024;
const HARD_MAX_FRAME_BYTES = 256 * 1024;

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function rng(seed: number): () => number {
  const random = createRandom(seed);
  return () => random.next();
}

const HUGE = 'x'.repeat(MAX_MESSAGE_BYTES + 10);
const OVER_HARD_LIMIT = 'y'.repeat(HARD_MAX_FRAME_BYTES + 10);
const DEEP_ARRAY = '['.repeat(20_000) + ']'.repeat(20_000);
const DEEP_OBJECT = '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000);
const WEIRD_VALUES: unknown[] = [null, true, 0, -1, 1e308, '', 'x', [], {}, [1, [2, [3]]], { $gt: '' }, '\u0000\uffff', 'ws://evil'];

type Frame = { data: string | Buffer; binary: boolean };

function makeFrame(r: () => number, knownIds: string[], sharedRoom: string): Frame {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const text = (data: string): Frame => ({ data, binary: false });
  const kind = Math.floor(r() * 14);
  switch (kind) {
    case 0: // not JSON at all
      return text(Buffer.from(Array.from({ length: 1 + Math.floor(r() * 64) }, () => Math.floor(r() * 256))).toString('latin1'));
    case 1: // truncated JSON
      return text(JSON.stringify({ v: 1, type: 'signal', to: randomId(), payload: 'abc' }).slice(0, Math.floor(r() * 40)));
    case 2: // right keys, wrong types
      return text(JSON.stringify({ v: pick([1, '1', null, 2]), type: pick(['join', 'signal', 'lock', 'ping', 'joined', 'error']), roomId: pick(WEIRD_VALUES), peerId: pick(WEIRD_VALUES), token: pick(WEIRD_VALUES), to: pick(WEIRD_VALUES), payload: pick(WEIRD_VALUES), ts: pick(WEIRD_VALUES) }));
    case 3: // JSON that is not an object
      return text(JSON.stringify(pick(WEIRD_VALUES)));
    case 4: // over the message cap
      return r() < 0.02 ? text(HUGE) : text(JSON.stringify({ v: 1, type: 'signal', to: randomId(), payload: 'z'.repeat(Math.floor(r() * 60_000)) }));
    case 5: // binary
      return { data: Buffer.from(Array.from({ length: 1 + Math.floor(r() * 256) }, () => Math.floor(r() * 256))), binary: true };
    case 6: // deep nesting
      return text(r() < 0.5 ? DEEP_ARRAY : `{"v":1,"type":"ping","ts":${DEEP_OBJECT}}`);
    case 7: // unknown type / version
      return text(JSON.stringify({ v: pick([0, 2, 1.5, -1, 1]), type: pick(['dance', '__proto__', 'constructor', 'JOIN', '']) }));
    case 8: // prototype-pollution shapes
      return text('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"v":1,"type":"ping"}');
    case 9: // valid join into a random room (then junk inside it)
      return text(JSON.stringify({ v: 1, type: 'join', roomId: r() < 0.3 ? sharedRoom : randomRoom(), peerId: randomId(), token: randomId() }));
    case 10: // signals to ids that may or may not exist
      return text(JSON.stringify({ v: 1, type: 'signal', to: knownIds.length > 0 && r() < 0.5 ? pick(knownIds) : randomId(), payload: 'cGF5bG9hZA' }));
    case 11: // lock flapping in its own room
      return text(JSON.stringify({ v: 1, type: pick(['lock', 'unlock']) }));
    case 12: // valid ping
      return text(JSON.stringify({ v: 1, type: 'ping', ts: Math.floor(r() * 1e6) }));
    default: // long strings in every field
      return text(JSON.stringify({ v: 1, type: 'join', roomId: 'r'.repeat(Math.floor(r() * 5000)), peerId: 'p'.repeat(200), token: '\u{1F600}'.repeat(100) }));
  }
}

/** Send `count` frames as fast as the socket drains; reopen when the server cuts us off. */
async function fuzzConnection(url: string, seed: number, count: number, knownIds: string[], sharedRoom: string): Promise<{ sent: number; reopened: number }> {
  const r = rng(seed);
  let ws = await open(url);
  let sent = 0;
  let reopened = 0;
  while (sent < count) {
    if (ws.readyState !== WebSocket.OPEN) {
      ws = await open(url);
      reopened++;
    }
    // A handful of frames over the hard limit: the socket is closed (1009) and we reconnect.
    if (r() < 0.0002) {
      // Wait for the cut-off so that no frame queued behind it is lost unseen.
      const closed = new Promise((res) => ws.once('close', res));
      ws.send(OVER_HARD_LIMIT);
      sent++;
      await closed;
      continue;
    }
    const f = makeFrame(r, knownIds, sharedRoom);
    ws.send(f.data, { binary: f.binary });
    sent++;
    if (ws.bufferedAmount > 512 * 1024 || sent % 200 === 0) {
      while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount > 64 * 1024) await new Promise((res) => setTimeout(res, 1));
      await new Promise((res) => setImmediate(res));
    }
  }
  ws.close();
  return { sent, reopened };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('error', () => undefined);
    ws.once('open', () => resolve(ws));
    ws.once('close', (code) => reject(new Error(`fuzz socket closed before open: ${code}`)));
  });
}

describe('signaling server under fuzz', () => {
  let server: SignalingServer;
  beforeAll(async () => {
    server = await startSignalingServer({
      host: '127.0.0.1',
      port: 0,
      // Server, fuzzers and good peers share one event loop here; a long heartbeat keeps
      // event-loop lag from timing out the good peers (heartbeats are tested in server.test.ts).
      heartbeatMs: 10_000,
      limits: {
        maxMessageBytes: MAX_MESSAGE_BYTES,
        hardMaxFrameBytes: HARD_MAX_FRAME_BYTES,
        messagesPerSec: 1e6,
        messageBurst: 1e6,
        maxConnectionsPerIp: 1000,
        joinsPerSecPerIp: 1e6,
        joinBurstPerIp: 1e6,
      },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('stays up, keeps relaying for a good room, and keeps memory bounded', { timeout: 120_000 }, async () => {
    const alice = new SignalingClient({ openSocket: openNodeSocket, url: server.url, code: 'amber-anchor-apple-atlas-7', name: 'alice' });
    const bob = new SignalingClient({ openSocket: openNodeSocket, url: server.url, code: 'amber-anchor-apple-atlas-7', name: 'bob' });
    await alice.connect();
    await bob.connect();
    const got: number[] = [];
    bob.on('signal', (e) => got.push((e.data as { n: number }).n));
    const baseline = server.metrics();

    // An observer inside a fuzzed room, so fuzz signals to known ids also get relayed.
    const observer = await RawClient.open(server.url);
    const fuzzRoom = randomRoom();
    observer.join(fuzzRoom);
    await observer.next('joined');

    let heapPeak = 0;
    let rssPeak = 0;
    const sampler = setInterval(() => {
      const m = server.metrics();
      heapPeak = Math.max(heapPeak, m.heapUsedBytes);
      rssPeak = Math.max(rssPeak, m.rssBytes);
    }, 100);
    let sentGood = 0;
    const goodTimer = setInterval(() => void alice.send(bob.peerId, { n: ++sentGood }), 20);

    const t0 = performance.now();
    const perClient = Math.ceil(TOTAL_FRAMES / FUZZ_CLIENTS);
    const results = await Promise.all(Array.from({ length: FUZZ_CLIENTS }, (_, i) => fuzzConnection(server.url, 1000 + i, perClient, [observer.peerId], fuzzRoom)));
    const fuzzMs = performance.now() - t0;
    clearInterval(goodTimer);

    // A ping after everything proves the server still answers, in order.
    observer.send({ type: 'ping', ts: 42 });
    expect(await observer.next('pong', 10_000)).toMatchObject({ ts: 42 });
    // Every fuzz connection has closed at the server, so it has handled every frame sent before
    // each close (TCP keeps the order): counted before this, a loaded run read the counters while
    // a client's last ~500 frames still waited in its socket (99591 of 99978 in one CI run).
    await waitFor(() => server.metrics().connections === baseline.connections + 1, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${server.metrics().connections} connections left, expected ${baseline.connections + 1} (alice, bob, the observer)`);
    });
    await waitFor(() => got.length === sentGood, 10_000).catch((e: Error) => {
      throw new Error(`${e.message}: good relays ${got.length}/${sentGood}`);
    });
    clearInterval(sampler);

    const totalSent = results.reduce((n, x) => n + x.sent, 0);
    const m = server.metrics();
    const rejected = Object.values(m.messagesRejected).reduce((n, x) => n + (x ?? 0), 0);
    console.log(
      `fuzz: ${totalSent} frames in ${(fuzzMs / 1000).toFixed(1)} s, ${results.reduce((n, x) => n + x.reopened, 0)} reconnects after 1009, ` +
        `rejected ${rejected} ${JSON.stringify(m.messagesRejected)}, good relays ${got.length}, ` +
        `received ${m.messagesReceived}, cut off as too slow ${m.clientsTooSlow}, heap ${(baseline.heapUsedBytes / 1e6).toFixed(0)}→peak ${(heapPeak / 1e6).toFixed(0)} MB, rss peak ${(rssPeak / 1e6).toFixed(0)} MB`,
    );

    expect(totalSent).toBeGreaterThanOrEqual(TOTAL_FRAMES);
    // Fuzzers read every reply: none may be cut off as a slow reader (a cut loses the frames in flight).
    expect(m.clientsTooSlow).toBe(0);
    const reopenedTotal = results.reduce((n, x) => n + x.reopened, 0);
    // Every frame reached the handler except those over the hard cap (cut off by the socket layer).
    expect(m.messagesReceived).toBeGreaterThanOrEqual(TOTAL_FRAMES - reopenedTotal - FUZZ_CLIENTS);
    expect(rejected).toBeGreaterThan(TOTAL_FRAMES / 2);
    for (const code of ['bad-json', 'bad-message', 'binary-not-supported', 'too-large', 'unsupported-version', 'already-joined']) {
      expect(m.messagesRejected[code as keyof typeof m.messagesRejected] ?? 0, code).toBeGreaterThan(0);
    }
    expect(m.messagesRejected.internal ?? 0).toBe(0);
    // The good room kept relaying every signal, in order, and nobody decrypted garbage.
    expect(sentGood).toBeGreaterThan(10);
    expect(got).toEqual(Array.from({ length: sentGood }, (_, i) => i + 1));
    expect(alice.state).toBe('joined');
    expect(bob.state).toBe('joined');
    expect(bob.counters.decryptFailures).toBe(0);
    expect(observer.invalid).toEqual([]);
    // Memory: bounded while under attack, and every fuzz room/connection is gone afterwards.
    expect(heapPeak - baseline.heapUsedBytes).toBeLessThan(256 * 1024 * 1024);
    await observer.close();
    await waitFor(() => server.metrics().connections === 2 && server.metrics().rooms === 1, 10_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(server.metrics())}`);
    });
    expect(server.metrics()).toMatchObject({ rooms: 1, peers: 2, connections: 2 });
    await alice.close();
    await bob.close();
  });
});

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
