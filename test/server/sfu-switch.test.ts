/**
 * Switching a room between mesh and SFU by its size (docs/architecture.md
 * §11, "Switching at a size"): the rule (server/media-mode.ts) and how the
 * in-memory directory tells every member (`media-path`, `joined.sfu`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defaultMeshThreshold, nextViaSfu, thresholdsProblem } from '../../src/server/media-mode.js';
import { startSignalingServer, type SignalingServer, type SignalingServerOptions } from '../../src/server/server.js';
import type { ServerMessage } from '../../src/protocol/index.js';
import { joinRoom, mediaPaths, RawClient, randomRoom } from './raw-client.js';

const JANUS = 'ws://198.18.0.1:8188';
let server: SignalingServer | undefined;
const clients: RawClient[] = [];

async function start(opts: SignalingServerOptions): Promise<SignalingServer> {
  server = await startSignalingServer({ host: '127.0.0.1', port: 0, webRoot: false, janusUrl: JANUS, maxPeersPerRoom: 12, ...opts });
  return server;
}

/** A client in `room`; resolves with its `joined`. */
async function member(room: string, sfu = false): Promise<{ c: RawClient; joined: Extract<ServerMessage, { type: 'joined' }> }> {
  const c = await RawClient.open(server!.url);
  clients.push(c);
  return { c, joined: await joinRoom(c, room, sfu) };
}

const paths = mediaPaths;

/** Let the server's frames arrive. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 100));

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
});

describe('media mode rule', () => {
  const t = { sfuThreshold: 6, meshThreshold: 4 };
  it('a mesh room switches when it has more members than the SFU threshold', () => {
    expect(nextViaSfu({ viaSfu: false, pinned: false }, 6, t)).toBe(false);
    expect(nextViaSfu({ viaSfu: false, pinned: false }, 7, t)).toBe(true);
  });
  it('an SFU room it switched goes back only at the mesh threshold or fewer (hysteresis)', () => {
    expect(nextViaSfu({ viaSfu: true, pinned: false }, 6, t)).toBe(true);
    expect(nextViaSfu({ viaSfu: true, pinned: false }, 5, t)).toBe(true);
    expect(nextViaSfu({ viaSfu: true, pinned: false }, 4, t)).toBe(false);
  });
  it('a room created for the SFU stays there; threshold 0 never switches', () => {
    expect(nextViaSfu({ viaSfu: true, pinned: true }, 1, t)).toBe(true);
    expect(nextViaSfu({ viaSfu: false, pinned: false }, 50, { sfuThreshold: 0, meshThreshold: 0 })).toBe(false);
  });
  it('the default mesh threshold is two below, at least 1, never above; bad numbers are named', () => {
    expect([1, 2, 3, 6].map(defaultMeshThreshold)).toEqual([1, 1, 1, 4]);
    expect(thresholdsProblem({ sfuThreshold: 6, meshThreshold: 4 })).toBeUndefined();
    expect(thresholdsProblem({ sfuThreshold: 0, meshThreshold: 0 })).toBeUndefined();
    expect(thresholdsProblem({ sfuThreshold: 2, meshThreshold: 3 })).toContain('mesh threshold');
    expect(thresholdsProblem({ sfuThreshold: -1, meshThreshold: 1 })).toContain('SFU threshold');
  });
  it('the server refuses a mesh threshold above the SFU threshold', async () => {
    await expect(startSignalingServer({ port: 0, webRoot: false, janusUrl: JANUS, sfuThreshold: 2, meshThreshold: 3 })).rejects.toThrow(/mesh threshold/);
  });
});

describe('signaling server: switching by size', () => {
  it('the member past the threshold switches the room: the others get media-path sfu before its arrival, it gets the route in joined', async () => {
    await start({ sfuThreshold: 2, meshThreshold: 2 });
    const room = randomRoom();
    const a = await member(room);
    const b = await member(room);
    expect(a.joined.sfu).toBeUndefined();
    expect(b.joined.sfu).toBeUndefined();
    const c = await member(room);
    expect(c.joined.sfu).toEqual({ v: 1, janus: JANUS, publishers: 12, auto: true });
    for (const x of [a, b]) {
      expect(await x.c.next('media-path')).toMatchObject({ sfu: { v: 1, janus: JANUS, publishers: 12, auto: true } });
      // The switch came before the newcomer was announced, so nobody builds a link to it.
      const order = x.c.received.filter((m) => m.type === 'media-path' || m.type === 'peer-joined').map((m) => m.type);
      expect(order.slice(-2)).toEqual(['media-path', 'peer-joined']);
    }
    expect(paths(c.c)).toEqual([]);
    // One leaves: back to the mesh, told to the two who stay.
    await c.c.close();
    await settle();
    for (const x of [a, b]) expect(paths(x.c)).toEqual(['sfu', 'mesh']);
    for (const x of [a, b, c]) expect(x.c.invalid).toEqual([]);
  });

  it('hysteresis: with thresholds 3 and 1 a room of 4 stays on the SFU at 3 and 2, returns at 1', async () => {
    await start({ sfuThreshold: 3, meshThreshold: 1 });
    const room = randomRoom();
    const m = [];
    for (let i = 0; i < 4; i++) m.push(await member(room));
    expect(m[3]!.joined.sfu?.auto).toBe(true);
    await m[3]!.c.close();
    await m[2]!.c.close();
    await settle();
    expect(paths(m[0]!.c)).toEqual(['sfu']);
    // A newcomer now still joins the SFU room, although the room is below the SFU threshold.
    const again = await member(room);
    expect(again.joined.sfu).toBeDefined();
    await again.c.close();
    await m[1]!.c.close();
    await settle();
    expect(paths(m[0]!.c)).toEqual(['sfu', 'mesh']);
  });

  it('a room created with sfu stays on the SFU when it shrinks, and its route has no auto', async () => {
    await start({ sfuThreshold: 2, meshThreshold: 2 });
    const room = randomRoom();
    const a = await member(room, true);
    expect(a.joined.sfu).toEqual({ v: 1, janus: JANUS, publishers: 12 });
    const b = await member(room);
    const c = await member(room);
    await c.c.close();
    await b.c.close();
    await settle();
    expect(paths(a.c)).toEqual([]);
  });

  it('sfuThreshold 0: a room never switches by size', async () => {
    await start({ sfuThreshold: 0 });
    const room = randomRoom();
    const list = [];
    for (let i = 0; i < 8; i++) list.push(await member(room));
    await settle();
    expect(list.every((x) => x.joined.sfu === undefined && paths(x.c).length === 0)).toBe(true);
  });

  it('without --janus nothing switches, whatever the size', async () => {
    server = await startSignalingServer({ host: '127.0.0.1', port: 0, webRoot: false, sfuThreshold: 1 });
    const room = randomRoom();
    const a = await member(room);
    const b = await member(room);
    const c = await member(room);
    await settle();
    expect([a, b, c].every((x) => x.joined.sfu === undefined && paths(x.c).length === 0)).toBe(true);
  });
});
