/**
 * The Session as SessionController, with the fakes of ./fakes.ts: phases
 * through a signaling outage, per-peer send isolation, actions, leaving and
 * a failed start. The mesh rules have their own files (roster, link
 * lifecycle, liveness, views).
 */
import { describe, expect, it } from 'vitest';
import { inRoomWith, loud, setup } from './fakes.js';

describe('Session phases and media', () => {
  it('connects while the media side starts, and holds roster events until it is up (links carry its SSRC)', async () => {
    const t = await setup();
    let mediaUp!: () => void;
    const realStart = t.engine.start.bind(t.engine);
    t.engine.start = () => new Promise<void>((resolve) => (mediaUp = () => void realStart().then(resolve)));
    const started = t.session.start();
    await t.flush();
    // Signaling joined while the media side is still starting: nothing is built yet.
    expect(t.signaling.state).toBe('joined');
    t.signaling.emit('joined', { selfId: 's', peers: [{ id: 'p', name: 'P' }], locked: false, rejoin: false });
    t.signaling.emit('peer-joined', { id: 'q', name: 'Q', rejoined: false });
    expect(t.links).toHaveLength(0);
    mediaUp();
    await started;
    expect(t.linksFor('p')).toHaveLength(1);
    expect(t.linksFor('p')[0]!.opts.ssrc).toBe(t.engine.ssrc);
    expect(t.session.snapshot().peers.map((x) => x.name)).toEqual(['P', 'Q']);
    await t.session.leave();
  });

  it('audio output that cannot be finished on leaving ends the session as failed, with the reason', async () => {
    const t = await inRoomWith([['p', 'P']]);
    t.engine.stop = () => Promise.reject(new Error('the media process ended unexpectedly (signal SIGKILL)'));
    await t.session.leave();
    expect(t.session.snapshot()).toMatchObject({ phase: 'failed', error: { message: 'could not finish audio output: the media process ended unexpectedly (signal SIGKILL)' } });
  });

  it('a media side that cannot start fails start() and closes the signaling connection', async () => {
    const t = await setup();
    t.engine.start = () => Promise.reject(Object.assign(new Error('No default device'), { name: 'AudioDeviceError' }));
    await expect(t.session.start()).rejects.toThrow('No default device');
    expect(t.signaling.closed).toBe(true);
  });

  it('a signaling outage leaves links alone and shows reconnecting-server until rejoined', async () => {
    const t = await inRoomWith([['p', 'P']]);
    const link = t.linksFor('p')[0]!;
    link.setState('connected');
    t.signaling.setState('reconnecting');
    expect(t.session.snapshot().phase).toBe('reconnecting-server');
    t.clock.advance(10_000);
    expect(link.closed).toBe(false);
    expect(t.linksFor('p')).toHaveLength(1);
    t.signaling.setState('joined');
    t.signaling.emit('joined', { selfId: 's', peers: [{ id: 'p', name: 'P' }], locked: false, rejoin: true });
    expect(t.session.snapshot().phase).toBe('in-call');
    expect(t.linksFor('p')).toHaveLength(1);
    await t.session.leave();
  });

  it("a stalled peer does not change the other peers' send timing", async () => {
    const t = await inRoomWith([['ok', 'OK'], ['stuck', 'S']]);
    const [ok, stuck] = [t.linksFor('ok')[0]!, t.linksFor('stuck')[0]!];
    ok.setState('connected');
    stuck.setState('connected');
    stuck.stalled = true;
    const pushedAt: number[] = [];
    for (let i = 0; i < 50; i++) {
      t.clock.advance(20);
      pushedAt.push(t.clock.now());
      t.source.push(loud());
      await t.flush();
    }
    expect(ok.sentRtp.map((s) => s.atMs)).toEqual(pushedAt);
    expect(stuck.sentRtp).toHaveLength(0);
    const stats = t.session.stats();
    expect(stats.find((s) => s.id === 'ok')!.packetsSent).toBe(50);
    expect(stats.find((s) => s.id === 'stuck')!.packetsSent).toBe(0);
    expect(t.engine.peerStats('stuck')!.send.sendErrors).toBe(50);
    await t.session.leave();
  });
});

describe('Session: a peer that says goodbye on its link', () => {
  it("is torn down at once as 'left', while the server still lists it; its link's close that follows changes nothing", async () => {
    const t = await inRoomWith([['p', 'P'], ['q', 'Q']]);
    t.signaling.peers = [{ id: 'p', name: 'P' }, { id: 'q', name: 'Q' }];
    const [p, q] = [t.linksFor('p')[0]!, t.linksFor('q')[0]!];
    p.setState('connected');
    q.setState('connected');
    p.receiveGoodbye();
    expect(t.session.snapshot().peers.map((x) => x.id)).toEqual(['q']);
    expect(p.closed).toBe(true);
    p.setState('disconnected');
    expect(t.linksFor('p')).toHaveLength(1);
    // The server's word comes later and finds nothing to do.
    t.signaling.emit('peer-left', { id: 'p', reason: 'left' });
    const gone = t.session.stats().find((s) => s.id === 'p');
    expect(gone?.goneReason).toBe('left');
    expect(t.session.snapshot().peers.map((x) => x.id)).toEqual(['q']);
    await t.session.leave();
  });

  it('leaving says goodbye on every open link before the signaling connection closes, and closes the links after', async () => {
    const t = await inRoomWith([['p', 'P'], ['q', 'Q']]);
    const [p, q] = [t.linksFor('p')[0]!, t.linksFor('q')[0]!];
    p.setState('connected');
    let signalingClosedAfter: number[] = [];
    const close = t.signaling.close.bind(t.signaling);
    t.signaling.close = () => {
      signalingClosedAfter = [p.goodbyes.length, q.goodbyes.length];
      return close();
    };
    await t.session.leave();
    // p was open: one BYE, sent before the server heard we left, on a link not yet closed; q never opened.
    expect(signalingClosedAfter).toEqual([1, 0]);
    expect(p.goodbyes).toEqual([{ closedThen: false }]);
    expect(q.goodbyes).toEqual([]);
    expect(p.closed && q.closed).toBe(true);
  });
});

describe('Session lifecycle and actions', () => {
  it("start-output reaches a media side whose sound waits for a click, and is nothing to one without", async () => {
    const t = await inRoomWith([['p', 'P']]);
    expect(() => t.session.dispatch({ type: 'start-output' })).not.toThrow();
    let asked = 0;
    Object.assign(t.engine, { startOutput: () => asked++ });
    t.session.dispatch({ type: 'start-output' });
    expect(asked).toBe(1);
    await t.session.leave();
  });

  it('dispatch drives the engine; leave is idempotent and releases everything', async () => {
    const t = await inRoomWith([['p', 'P']]);
    const seen: string[] = [];
    t.session.subscribe((s) => seen.push(s.phase));
    t.session.dispatch({ type: 'toggle-mute' });
    t.session.dispatch({ type: 'toggle-deafen' });
    t.session.dispatch({ type: 'set-peer-volume', peerId: 'p', volumePercent: 150 });
    t.session.dispatch({ type: 'toggle-peer-mute', peerId: 'p' });
    t.session.dispatch({ type: 'set-push-to-talk', enabled: true });
    t.session.dispatch({ type: 'talk', pressed: true });
    const snap = t.session.snapshot();
    expect(snap.self).toMatchObject({ name: 'me', muted: true, deafened: true, pushToTalk: true, talking: true });
    expect(snap.peers[0]).toMatchObject({ volumePercent: 150, mutedByMe: true });
    t.session.dispatch({ type: 'set-peer-volume', peerId: 'nobody', volumePercent: 10 }); // unknown peer: no throw

    expect(snap.self.processing['noise-suppression']).toBe('off');
    t.session.dispatch({ type: 'toggle-processing', stage: 'noise-suppression' });
    t.session.dispatch({ type: 'toggle-peer-noise-suppression', peerId: 'p' });
    await new Promise((r) => setImmediate(r)); // the suppressor is made on first use
    expect(t.session.snapshot().self.processing['noise-suppression']).toBe('on');
    expect(t.session.snapshot().peers[0]!.noiseSuppression).toBe(true);
    t.session.dispatch({ type: 'toggle-processing', stage: 'noise-suppression' });
    t.session.dispatch({ type: 'toggle-peer-noise-suppression', peerId: 'p' });
    expect(t.session.snapshot().self.processing['noise-suppression']).toBe('off');
    expect(t.session.snapshot().peers[0]!.noiseSuppression).toBe(false);
    t.session.dispatch({ type: 'toggle-peer-noise-suppression', peerId: 'nobody' }); // unknown peer: no throw

    t.session.dispatch({ type: 'leave' });
    await Promise.all([t.session.leave(), t.session.leave(), t.session.done]);
    expect(t.signaling.closed).toBe(true);
    expect(t.linksFor('p')[0]!.closed).toBe(true);
    expect(t.sink.stopped).toBe(true);
    expect(t.session.snapshot().phase).toBe('left');
    expect(seen).toContain('leaving');
    expect(seen.at(-1)).toBe('left');
    expect(t.session.stats()[0]!.goneReason).toBe('we-left');
  });

  it('set-lock asks the server only while joined; the snapshot follows what the server says', async () => {
    const t = await inRoomWith([['p', 'P']]);
    const snaps: boolean[] = [];
    t.session.subscribe((s) => snaps.push(s.locked));
    expect(t.session.snapshot().locked).toBe(false);
    t.session.dispatch({ type: 'set-lock', locked: true });
    expect(t.signaling.lockRequests).toEqual([true]);
    // Not locked until the server says so.
    expect(t.session.snapshot().locked).toBe(false);
    t.signaling.locked = true;
    t.signaling.emit('lock', { locked: true, by: 'p' });
    expect(t.session.snapshot().locked).toBe(true);
    expect(snaps.at(-1)).toBe(true);
    t.signaling.setState('reconnecting');
    t.session.dispatch({ type: 'set-lock', locked: false });
    expect(t.signaling.lockRequests).toEqual([true]); // nothing sent while the server is away
    t.signaling.setState('joined');
    t.session.dispatch({ type: 'set-lock', locked: false });
    expect(t.signaling.lockRequests).toEqual([true, false]);
    await t.session.leave();
  });

  it('an unreachable server fails start(), stops the engine and reports the error with a hint', async () => {
    const t = await setup();
    t.signaling.failConnect = new Error('cannot reach signaling server ws://127.0.0.1:1: ECONNREFUSED');
    await expect(t.session.start()).rejects.toThrow('ECONNREFUSED');
    const snap = t.session.snapshot();
    expect(snap.phase).toBe('failed');
    expect(snap.error?.message).toContain('ws://127.0.0.1:1');
    expect(snap.error?.hint).toMatch(/--server/);
    expect(t.sink.stopped).toBe(true);
  });

  it('roster events after leaving are ignored', async () => {
    const t = await setup();
    await t.session.start();
    await t.session.leave();
    t.signaling.emit('joined', { selfId: 's', peers: [{ id: 'late', name: 'L' }], locked: false, rejoin: true });
    t.signaling.emit('signal', { from: 'other', data: { t: 'link', gen: 1, signal: { type: 'description', descType: 'offer', sdp: 'v=0\r\n' } } });
    expect(t.links).toHaveLength(0);
    expect(t.session.snapshot().peers).toEqual([]);
  });
});
