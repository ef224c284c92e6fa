/**
 * SFU rooms at the signaling server (docs/architecture.md §11, §5): the
 * member who creates a room may ask for the SFU path; the server stores the
 * room's mode and tells every member where the SFU is; a server without one
 * refuses the request in words that say what to do.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSignalingServer, type SignalingServer, type SignalingServerOptions } from '../../src/server/server.js';
import { RawClient, randomRoom } from './raw-client.js';

const JANUS = 'ws://198.18.0.1:8188';
let server: SignalingServer | undefined;
const clients: RawClient[] = [];

async function start(opts: SignalingServerOptions = {}): Promise<SignalingServer> {
  server = await startSignalingServer({ host: '127.0.0.1', port: 0, webRoot: false, ...opts });
  return server;
}

async function client(): Promise<RawClient> {
  const c = await RawClient.open(server!.url);
  clients.push(c);
  return c;
}

function join(c: RawClient, roomId: string, sfu: boolean): void {
  c.send({ type: 'join', roomId, peerId: c.peerId, token: c.token, ...(sfu ? { sfu: true as const } : {}) });
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
});

describe('signaling server: SFU rooms', () => {
  it('a room created with sfu tells every member the Janus URL and publisher count; later members follow without asking', async () => {
    await start({ janusUrl: JANUS, maxPeersPerRoom: 12 });
    const room = randomRoom();
    const a = await client();
    join(a, room, true);
    expect((await a.next('joined')).sfu).toEqual({ v: 1, janus: JANUS, publishers: 12 });
    const b = await client();
    join(b, room, false);
    expect((await b.next('joined')).sfu).toEqual({ v: 1, janus: JANUS, publishers: 12 });
    expect(a.invalid).toEqual([]);
    expect(b.invalid).toEqual([]);
  });

  it('a room created without sfu stays a mesh room, even when a later member asks for the SFU', async () => {
    await start({ janusUrl: JANUS });
    const room = randomRoom();
    const a = await client();
    join(a, room, false);
    expect((await a.next('joined')).sfu).toBeUndefined();
    const b = await client();
    join(b, room, true);
    expect((await b.next('joined')).sfu).toBeUndefined();
  });

  it('a server without --janus refuses to create an SFU room and says how to start it', async () => {
    await start();
    const a = await client();
    join(a, randomRoom(), true);
    const err = await a.next('error');
    expect(err.code).toBe('sfu-unavailable');
    expect(err.message).toContain('--janus');
    // The connection may still join a mesh room.
    const room = randomRoom();
    join(a, room, false);
    expect((await a.next('joined')).sfu).toBeUndefined();
  });
});
