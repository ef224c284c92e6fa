/**
 * Who is in the call and who offers (room/roster.ts), through a Session with
 * the fakes of ./fakes.ts: the newcomer offers, announced newcomers are
 * answered, an offer that overtakes its announcement is answered under the
 * server's name for the peer, and anything else from an unknown peer is
 * dropped.
 */
import { describe, expect, it } from 'vitest';
import { CANDIDATE, inRoomWith, OFFER, setup } from './fakes.js';

describe('Roster: the newcomer offers', () => {
  it('offers to peers listed in joined, answers peers announced later, and follows the generation in the envelope', async () => {
    const t = await setup();
    await t.session.start();
    expect(t.session.snapshot().phase).toBe('waiting-for-peers');
    t.signaling.emit('joined', { selfId: t.signaling.peerId, peers: [{ id: 'old', name: 'Olga' }], locked: false, rejoin: false });
    // We are the newcomer: one offerer link for 'old', its offer relayed as generation 1.
    expect(t.linksFor('old')).toHaveLength(1);
    expect(t.linksFor('old')[0]!.opts.role).toBe('offerer');
    expect(t.linksFor('old')[0]!.opts.ssrc).toBe(t.engine.ssrc);
    expect(t.signaling.to('old')).toEqual([{ t: 'link', gen: 1, signal: OFFER }]);
    expect(t.session.snapshot().phase).toBe('in-call');

    t.signaling.emit('peer-joined', { id: 'new', name: 'Nina', rejoined: false });
    expect(t.linksFor('new')).toHaveLength(0); // waits for the newcomer's offer
    t.signaling.emit('signal', { from: 'new', data: { t: 'link', gen: 1, signal: CANDIDATE } });
    expect(t.linksFor('new')).toHaveLength(0); // a candidate cannot start a link
    t.signaling.emit('signal', { from: 'new', data: { t: 'link', gen: 1, signal: OFFER } });
    const answerer = t.linksFor('new')[0]!;
    expect(answerer.opts.role).toBe('answerer');
    expect(answerer.handled).toEqual([OFFER]);
    t.signaling.emit('signal', { from: 'new', data: { t: 'link', gen: 1, signal: CANDIDATE } });
    expect(answerer.handled).toEqual([OFFER, CANDIDATE]);
    // Not an envelope: ignored.
    t.signaling.emit('signal', { from: 'new', data: { hello: 1 } });
    expect(answerer.handled).toHaveLength(2);

    const snap = t.session.snapshot();
    expect(snap.peers.map((p) => [p.name, p.state])).toEqual([
      ['Olga', 'connecting'],
      ['Nina', 'connecting'],
    ]);
    await t.session.leave();
  });

  it("an offer that overtakes its sender's announcement is answered, under the name the server lists", async () => {
    const t = await setup();
    await t.session.start();
    t.signaling.peers = [{ id: 'racer-1234567', name: 'Rita' }];
    t.signaling.emit('signal', { from: 'racer-1234567', data: { t: 'link', gen: 1, signal: OFFER } });
    expect(t.linksFor('racer-1234567')).toHaveLength(1);
    expect(t.linksFor('racer-1234567')[0]!.opts.role).toBe('answerer');
    expect(t.linksFor('racer-1234567')[0]!.handled).toEqual([OFFER]);
    // The announcement that follows keeps the entry and its link.
    t.signaling.emit('peer-joined', { id: 'racer-1234567', name: 'Rita', rejoined: false });
    expect(t.linksFor('racer-1234567')).toHaveLength(1);
    expect(t.session.snapshot().peers.map((p) => p.name)).toEqual(['Rita']);

    // Not listed by the server either: a name made from the id.
    t.signaling.emit('signal', { from: 'abcdef-unlisted', data: { t: 'link', gen: 1, signal: OFFER } });
    expect(t.session.snapshot().peers.map((p) => p.name)).toEqual(['Rita', 'peer-abcdef']);
    await t.session.leave();
  });

  it('from an unknown peer, candidates, rebuild requests and malformed offers are stale and dropped', async () => {
    const t = await setup();
    await t.session.start();
    t.signaling.emit('signal', { from: 'u', data: { t: 'link', gen: 1, signal: CANDIDATE } });
    t.signaling.emit('signal', { from: 'u', data: { t: 'rebuild', gen: 1 } });
    // mesh/signal.ts refuses it (no v=0): it cannot start a link.
    t.signaling.emit('signal', { from: 'u', data: { t: 'link', gen: 1, signal: { type: 'description', descType: 'offer', sdp: 'hello' } } });
    t.signaling.emit('signal', { from: 'u', data: { t: 'link', gen: 1, signal: { type: 'description', descType: 'answer', sdp: 'v=0\r\n' } } });
    expect(t.links).toHaveLength(0);
    expect(t.session.snapshot().peers).toEqual([]);
    await t.session.leave();
  });

  it('a rejoin that lists known peers again keeps their entries, links and the newest names', async () => {
    const t = await inRoomWith([['p', 'P']]);
    t.signaling.emit('peer-joined', { id: 'q', name: 'Q' , rejoined: false });
    t.signaling.emit('joined', { selfId: 's', peers: [{ id: 'p', name: 'Pat' }, { id: 'q', name: 'Quinn' }], locked: false, rejoin: true });
    expect(t.linksFor('p')).toHaveLength(1);
    expect(t.linksFor('q')).toHaveLength(0); // still the answerer, waiting for q's offer
    expect(t.session.snapshot().peers.map((p) => p.name)).toEqual(['Pat', 'Quinn']);
    expect(t.session.stats().map((s) => s.role)).toEqual(['offerer', 'answerer']);
    await t.session.leave();
  });
});
