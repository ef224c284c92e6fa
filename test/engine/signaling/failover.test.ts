/**
 * The signaling client given several servers (docs/architecture.md §5,
 * "Several nodes"): it connects to the first that answers, fails over to the
 * next when its connection drops, and rejoins there with the same identity.
 * With two nodes sharing rooms through a real Redis, the rejoin resumes its
 * place: the other peer sees neither a leave nor a new peer.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SignalingClient, type SignalingEvents, type SignalingState } from '../../../src/engine/signaling/client.js';
import { openNodeSocket } from '../../../src/engine/signaling/node-socket.js';
import { startSignalingServer, type SignalingServer, type SignalingServerOptions } from '../../../src/server/server.js';
import { redisMissingReason, startRedis, type RedisServer } from '../../helpers/redis.js';

const CODE = 'purple-otter-lamp-river-42';
const servers: SignalingServer[] = [];
const clients: SignalingClient[] = [];

async function start(opts: SignalingServerOptions = {}): Promise<SignalingServer> {
  const s = await startSignalingServer({ host: '127.0.0.1', port: 0, webRoot: false, ...opts });
  servers.push(s);
  return s;
}

/** A URL nothing listens on (a server started and closed). */
async function deadUrl(): Promise<string> {
  const s = await startSignalingServer({ host: '127.0.0.1', port: 0, webRoot: false });
  await s.close();
  return s.url;
}

function make(urls: string[], name: string): SignalingClient {
  const c = new SignalingClient({ openSocket: openNodeSocket, url: urls, code: CODE, name, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
  clients.push(c);
  return c;
}

function collect<K extends keyof SignalingEvents>(c: SignalingClient, kind: K): SignalingEvents[K][] {
  const got: SignalingEvents[K][] = [];
  c.on(kind, (e) => got.push(e));
  return got;
}

function nextState(c: SignalingClient, state: SignalingState, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for state ${state}`)), timeoutMs);
    const fn = (s: SignalingState): void => {
      if (s !== state) return;
      clearTimeout(t);
      c.off('state', fn);
      resolve();
    };
    c.on('state', fn);
  });
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('signaling client with several servers', () => {
  it('connects through the next URL when the first cannot be reached', async () => {
    const dead = await deadUrl();
    const s = await start();
    const c = make([dead, s.url], 'ada');
    await c.connect();
    expect(c.state).toBe('joined');
    expect(c.url).toBe(s.url);
  });

  it('fails connect() naming every URL when none answers', async () => {
    const [a, b] = [await deadUrl(), await deadUrl()];
    const c = make([a, b], 'ada');
    await expect(c.connect()).rejects.toThrow(`cannot reach signaling server ${a} or ${b}`);
    expect(c.state).toBe('closed');
  });
});

const missing = redisMissingReason();

describe.skipIf(missing !== null)(`signaling client failing over between nodes that share rooms${missing === null ? '' : ` (skipped: ${missing})`}`, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('its node going away, the client rejoins through the other with the same id and resumes its place', async () => {
    const cluster = (nodeId: string): SignalingServerOptions => ({ heartbeatMs: 400, cluster: { redisUrl: redis.url, nodeId } });
    const [n1, n2] = [await start(cluster('n1')), await start(cluster('n2'))];
    const ada = make([n1.url, n2.url], 'ada');
    const bob = make([n2.url, n1.url], 'bob');
    await ada.connect();
    await bob.connect();
    expect(bob.peers.map((p) => p.name)).toEqual(['ada']);
    const bobLeft = collect(bob, 'peer-left');
    const bobJoined = collect(bob, 'peer-joined');
    const adaJoined = collect(ada, 'joined');
    const idBefore = ada.peerId;

    const back = nextState(ada, 'joined');
    await n1.close();
    await back;
    expect(ada.url).toBe(n2.url);
    expect(ada.peerId).toBe(idBefore);
    expect(adaJoined).toEqual([{ selfId: idBefore, peers: [{ id: bob.peerId, name: 'bob' }], locked: false, rejoin: true }]);
    const signal = new Promise<SignalingEvents['signal']>((resolve) => bob.on('signal', resolve));
    await ada.send(bob.peerId, { still: 'here' });
    expect(await signal).toEqual({ from: idBefore, data: { still: 'here' } });
    // Past the presence TTL: nothing about ada reached bob.
    await new Promise((r) => setTimeout(r, 1300));
    expect(bobLeft).toEqual([]);
    expect(bobJoined).toEqual([]);
    expect(ada.counters.reconnects).toBe(1);
  });
});
