/**
 * A room that switches mesh ↔ SFU mid-call (docs/architecture.md §11,
 * "Switching at a size"), as the session decides it, make before break: the
 * new path starts beside the old one; a peer's old path closes only once our
 * media plays that peer from the new path AND the peer says (a `via`
 * envelope) it plays us from it, or a timeout after the new path came up.
 * The media side is a real MediaEngine with the SFU calls faked: the test
 * says which path each peer's stream plays from, as the media host would.
 */
import { describe, expect, it } from 'vitest';
import type { MediaPath } from '../../../src/engine/api.js';
import type { SfuSpec } from '../../../src/engine/media/media-port.js';
import { DEFAULT_SWITCH_TIMEOUT_MS } from '../../../src/engine/room/session.js';
import type { SignalingEvents } from '../../../src/engine/signaling/client.js';
import { OFFER, setup } from './fakes.js';

const ROUTE = { v: 1 as const, janus: 'ws://198.18.0.1:8188', publishers: 8, auto: true as const };
const TICK = 100;

/** A started session in a room with p and q (we joined last: we offer to both), mesh or SFU as `sfu` says. */
async function inRoom(sfu: SignalingEvents['joined']['sfu'], sfuFails?: Error) {
  const t = await setup();
  Object.assign(t.signaling, { roomId: 'room-id-0000000000000000', mediaSecret: new Uint8Array(32).fill(7) });
  const calls: string[] = [];
  const paths = new Map<string, MediaPath>();
  Object.assign(t.engine, {
    startSfu: async (_spec: SfuSpec) => {
      calls.push('start-sfu');
      if (sfuFails !== undefined) throw sfuFails;
      return 42;
    },
    stopSfu: async () => {
      calls.push('stop-sfu');
    },
    preferPath: (path: MediaPath) => calls.push(`prefer-${path}`),
    peerPath: (id: string) => paths.get(id),
  });
  await t.session.start();
  t.signaling.emit('joined', { selfId: 's', peers: [{ id: 'p', name: 'P' }, { id: 'q', name: 'Q' }], locked: false, rejoin: false, ...(sfu !== undefined ? { sfu } : {}) });
  for (const id of ['p', 'q']) paths.set(id, sfu === undefined ? 'mesh' : 'sfu');
  await t.flush();
  /** Let `ms` pass in ticks, promises settled between them. */
  const pass = async (ms: number): Promise<void> => {
    for (let left = ms; left > 0; left -= TICK) {
      t.clock.advance(Math.min(TICK, left));
      await t.flush();
    }
  };
  const via = (to: string) => t.signaling.to(to).filter((e) => e.t === 'via').map((e) => e.path);
  const peerSays = (from: string, path: MediaPath, sfu = true) => t.signaling.emit('signal', { from, data: { t: 'via', path, sfu } });
  return { ...t, calls, paths, pass, via, peerSays };
}

describe('Session: switching mesh → SFU', () => {
  it('starts the SFU beside the mesh, closes a peer link only when both ends play each other through the SFU', async () => {
    const t = await inRoom(undefined);
    const [p, q] = [t.linksFor('p')[0]!, t.linksFor('q')[0]!];
    p.setState('connected');
    q.setState('connected');
    t.signaling.emit('media-path', { sfu: ROUTE });
    await t.pass(TICK);
    expect(t.session.snapshot().mediaPath).toBe('sfu');
    expect(t.calls).toEqual(['start-sfu']);
    expect([p.closed, q.closed]).toEqual([false, false]);
    // p's audio came through the SFU: we tell p, but our audio may not have reached p that way yet.
    t.paths.set('p', 'sfu');
    await t.pass(TICK);
    expect(t.via('p')).toEqual(['mesh', 'sfu']);
    expect(p.closed).toBe(false);
    // p says it plays us from the SFU too: now its link closes; the peer stays in the room.
    t.peerSays('p', 'sfu');
    await t.pass(TICK);
    expect(p.closed).toBe(true);
    expect(q.closed).toBe(false);
    expect(t.session.snapshot().peers.map((v) => v.id)).toEqual(['p', 'q']);
    // A late candidate of p's closed link builds nothing.
    t.signaling.emit('signal', { from: 'p', data: { t: 'link', gen: 1, signal: OFFER } });
    expect(t.linksFor('p')).toHaveLength(1);
    await t.session.leave();
  });

  it('a peer that never says it moved (silent) keeps its mesh link until the timeout after the SFU came up', async () => {
    const t = await inRoom(undefined);
    const q = t.linksFor('q')[0]!;
    q.setState('connected');
    t.signaling.emit('media-path', { sfu: ROUTE });
    await t.flush();
    await t.pass(DEFAULT_SWITCH_TIMEOUT_MS - 2 * TICK);
    expect(q.closed).toBe(false);
    await t.pass(2 * TICK);
    expect(q.closed).toBe(true);
    expect(t.calls).toEqual(['start-sfu']);
    await t.session.leave();
  });

  it('silent peers: the timeout closes a mesh link only once the SFU carries both ways between us (at the latest 3x the timeout)', async () => {
    const t = await inRoom(undefined);
    // We have p's SFU stream, but p says it has no SFU stream of ours yet; q's stream has not come through the SFU.
    const sfuStreams = new Set<string>(['p']);
    Object.assign(t.engine, { hasSfuStream: (id: string) => sfuStreams.has(id) });
    const [p, q] = [t.linksFor('p')[0]!, t.linksFor('q')[0]!];
    p.setState('connected');
    q.setState('connected');
    t.signaling.emit('media-path', { sfu: ROUTE });
    await t.flush();
    t.peerSays('p', 'mesh', false);
    await t.pass(DEFAULT_SWITCH_TIMEOUT_MS + TICK);
    expect([p.closed, q.closed]).toEqual([false, false]);
    // We tell each peer whether we have its SFU stream.
    expect(t.signaling.to('p').filter((e) => e.t === 'via')).toEqual([{ t: 'via', path: 'mesh', sfu: true }]);
    expect(t.signaling.to('q').filter((e) => e.t === 'via')).toEqual([{ t: 'via', path: 'mesh', sfu: false }]);
    t.peerSays('p', 'mesh', true);
    await t.pass(TICK);
    expect([p.closed, q.closed]).toEqual([true, false]);
    await t.pass(2 * DEFAULT_SWITCH_TIMEOUT_MS - 3 * TICK);
    expect(q.closed).toBe(false);
    await t.pass(2 * TICK);
    expect(q.closed).toBe(true);
    await t.session.leave();
  });

  it('an SFU that cannot be reached mid-call leaves the mesh links up, and the chat says so', async () => {
    const t = await inRoom(undefined, new Error("cannot reach the room's SFU at ws://198.18.0.1:8188: connection refused"));
    const p = t.linksFor('p')[0]!;
    p.setState('connected');
    t.signaling.emit('media-path', { sfu: ROUTE });
    await t.pass(3 * DEFAULT_SWITCH_TIMEOUT_MS + TICK);
    expect(p.closed).toBe(false);
    expect(t.session.snapshot()).toMatchObject({ mediaPath: 'sfu', phase: 'in-call' });
    expect(t.session.snapshot().chat.at(-1)?.text).toBe(
      "cannot reach the room's SFU at ws://198.18.0.1:8188: connection refused: until the room is back on the mesh, only peers whose mesh link stays up are heard",
    );
    await t.session.leave();
  });

  it('a newcomer after the switch gets no mesh link, and sends no offer', async () => {
    const t = await inRoom(undefined);
    t.signaling.emit('media-path', { sfu: ROUTE });
    t.signaling.emit('peer-joined', { id: 'r', name: 'R', rejoined: false });
    t.signaling.emit('signal', { from: 'r', data: { t: 'link', gen: 1, signal: OFFER } });
    expect(t.linksFor('r')).toHaveLength(0);
    await t.session.leave();
  });
});

describe('Session: switching SFU → mesh', () => {
  it('builds the mesh by the room rule (we offer to those here first), prefers it, and leaves the SFU once every peer is heard both ways on it', async () => {
    const t = await inRoom(ROUTE);
    t.signaling.emit('peer-joined', { id: 'r', name: 'R', rejoined: false });
    t.paths.set('r', 'sfu');
    expect(t.links).toHaveLength(0);
    t.signaling.emit('media-path', {});
    expect(t.session.snapshot().mediaPath).toBe('mesh');
    expect(t.calls).toEqual(['start-sfu', 'prefer-mesh']);
    // p and q were here first: we offer, in a generation the answerer follows. r joined after us: it offers.
    expect(t.signaling.to('p').filter((e) => e.t === 'link')).toMatchObject([{ gen: 1, signal: OFFER }]);
    expect(t.linksFor('r')).toHaveLength(0);
    t.signaling.emit('signal', { from: 'r', data: { t: 'link', gen: 1, signal: OFFER } });
    expect(t.linksFor('r')).toHaveLength(1);
    for (const id of ['p', 'q', 'r']) {
      t.paths.set(id, 'mesh');
      t.peerSays(id, 'mesh');
    }
    t.paths.set('r', 'sfu'); // r's audio has not come through its link yet
    await t.pass(TICK);
    expect(t.calls).not.toContain('stop-sfu');
    t.paths.set('r', 'mesh');
    await t.pass(TICK);
    expect(t.calls).toEqual(['start-sfu', 'prefer-mesh', 'stop-sfu']);
    expect(t.via('r')).toEqual(['sfu', 'mesh']);
    await t.session.leave();
  });

  it('peers silent: leaves the SFU at the timeout once their links are up; a new switch to the SFU starts it again', async () => {
    const t = await inRoom(ROUTE);
    t.signaling.emit('media-path', {});
    for (const id of ['p', 'q']) t.linksFor(id)[0]!.setState('connected');
    await t.pass(DEFAULT_SWITCH_TIMEOUT_MS - TICK);
    expect(t.calls).not.toContain('stop-sfu');
    await t.pass(2 * TICK);
    expect(t.calls).toEqual(['start-sfu', 'prefer-mesh', 'stop-sfu']);
    t.signaling.emit('media-path', { sfu: ROUTE });
    await t.pass(TICK);
    expect(t.calls).toEqual(['start-sfu', 'prefer-mesh', 'stop-sfu', 'start-sfu']);
    expect(t.session.snapshot().chat.map((l) => l.text)).toEqual(expect.arrayContaining(["the room's media now goes peer to peer", "the room's media now goes through the SFU"]));
    await t.session.leave();
  });

  it('a mesh link still connecting keeps the SFU past the timeout, up to three times it', async () => {
    const t = await inRoom(ROUTE);
    t.signaling.emit('media-path', {});
    t.linksFor('p')[0]!.setState('connected');
    await t.pass(3 * DEFAULT_SWITCH_TIMEOUT_MS - TICK);
    expect(t.calls).not.toContain('stop-sfu');
    await t.pass(2 * TICK);
    expect(t.calls).toEqual(['start-sfu', 'prefer-mesh', 'stop-sfu']);
    await t.session.leave();
  });
});
