/**
 * Peers off the server are kept while their link brings packets
 * (room/liveness.ts): the pure rules, and the sweep in a Session with the
 * fakes of ./fakes.ts.
 */
import { describe, expect, it } from 'vitest';
import { linkAlive, notePacket, quietPeersOffServer } from '../../../src/engine/room/liveness.js';
import { createPeerEntry } from '../../../src/engine/room/peer-entry.js';
import { inRoomWith, rtpFrom } from './fakes.js';

describe('liveness rules', () => {
  it('a link is alive while connected and a packet came within the window', () => {
    const e = createPeerEntry('p', 'P', 'offerer', 0);
    expect(linkAlive(e, 0, 2000)).toBe(false); // no link connected yet
    e.linkState = 'connected';
    notePacket(e, 1000);
    expect(linkAlive(e, 3000, 2000)).toBe(true);
    expect(linkAlive(e, 3001, 2000)).toBe(false);
    e.linkState = 'disconnected';
    expect(linkAlive(e, 1000, 2000)).toBe(false);
  });

  it('the sweep picks peers off the server whose link went quiet, nobody else', () => {
    const listed = createPeerEntry('listed', 'L', 'offerer', 0);
    const talking = createPeerEntry('talking', 'T', 'offerer', 0);
    const quiet = createPeerEntry('quiet', 'Q', 'answerer', 0);
    for (const e of [listed, talking, quiet]) e.linkState = 'connected';
    talking.inRoster = false;
    quiet.inRoster = false;
    notePacket(talking, 4500);
    notePacket(quiet, 1000);
    expect(quietPeersOffServer([listed, talking, quiet], 5000, 2000)).toEqual([quiet]);
  });
});

describe('liveness in a session', () => {
  it("tears a peer down at once on 'left'; keeps a peer whose signaling dropped only while its link brings packets", async () => {
    const t = await inRoomWith([['x', 'X'], ['y', 'Y']]);
    const [lx, ly] = [t.linksFor('x')[0]!, t.linksFor('y')[0]!];
    lx.setState('connected');
    ly.setState('connected');
    t.signaling.emit('peer-left', { id: 'x', reason: 'left' });
    expect(lx.closed).toBe(true);
    expect(t.engine.hasPeer('x')).toBe(false);
    expect(t.session.snapshot().peers.map((p) => p.id)).toEqual(['y']);

    // y's socket dropped but its packets keep arriving: kept.
    ly.opts.onRtcp!(new Uint8Array(8));
    t.signaling.emit('peer-left', { id: 'y', reason: 'disconnected' });
    expect(ly.closed).toBe(false);
    for (let i = 0; i < 20; i++) {
      t.clock.advance(100);
      ly.opts.onRtp(rtpFrom(i), t.clock.now());
    }
    expect(ly.closed).toBe(false);
    // Packets stop (SIGKILL): gone within the alive window plus one tick.
    t.clock.advance(2100);
    expect(ly.closed).toBe(true);
    const gone = t.session.stats().find((s) => s.id === 'y')!;
    expect(gone.goneReason).toBe('disconnected');
    expect(gone.packetsReceived).toBe(20);
    expect(t.session.snapshot().phase).toBe('waiting-for-peers');
    await t.session.leave();
  });

  it('a peer the server reports gone while its link is silent is torn down at once', async () => {
    const t = await inRoomWith([['k', 'K']]);
    t.linksFor('k')[0]!.setState('connected');
    t.clock.advance(2500);
    t.signaling.emit('peer-left', { id: 'k', reason: 'disconnected' });
    expect(t.linksFor('k')[0]!.closed).toBe(true);
    await t.session.leave();
  });

  it('a peer off the server whose link goes down is gone, not rebuilt', async () => {
    const t = await inRoomWith([['z', 'Z']]);
    const link = t.linksFor('z')[0]!;
    link.setState('connected');
    link.opts.onRtcp!(new Uint8Array(8));
    t.signaling.emit('peer-left', { id: 'z', reason: 'disconnected' });
    link.setState('disconnected');
    expect(link.closed).toBe(true);
    t.clock.advance(10_000);
    expect(t.linksFor('z')).toHaveLength(1);
    expect(t.session.stats()[0]).toMatchObject({ id: 'z', goneReason: 'disconnected', state: 'closed' });
    await t.session.leave();
  });
});
