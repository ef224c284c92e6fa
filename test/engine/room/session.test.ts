/**
 * Session with fakes around a real MediaEngine: fake signaling (the test
 * plays the server), fake links (the test plays ICE), a push source, a pull
 * sink, fake Opus, and a ManualClock, so every rule of the mesh is checked
 * deterministically: who offers, link generations and rebuilds, teardown on
 * leave / loss of a peer, signaling outages, stall isolation, actions.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { samplesPerFrame, type FrameMs } from '../../../src/core/media-format.js';
import { ManualSink, ManualSource } from '../../../src/engine/audio/manual.js';
import type { FrameEncoder } from '../../../src/engine/codec/types.js';
import { MediaEngine } from '../../../src/engine/media/media-engine.js';
import type { LinkState, PeerLinkOptions, PeerLinkStats } from '../../../src/engine/mesh/peer-link.js';
import { Session, type SessionLink, type SessionSignaling } from '../../../src/engine/room/session.js';
import type { SignalingEvents, SignalingState } from '../../../src/engine/signaling/client.js';
import { FakeDecoder } from '../receive/fakes.js';

function fakeEncoder(): FrameEncoder {
  let n = 0;
  // A real Opus TOC byte (config 11: SILK WB 20 ms, code 0) so receivers read the duration.
  return { frameMs: 20, encode: () => Buffer.from([11 << 3, ++n & 0xff, 1, 2, 3]) };
}

const loud = (): Int16Array => Int16Array.from({ length: samplesPerFrame(20) }, (_, i) => (i % 2 ? 8000 : -8000));

type Handler = (arg: never) => void;

class FakeSignaling implements SessionSignaling {
  readonly peerId = 'self-id-0000000000000';
  state: SignalingState = 'idle';
  readonly sent: Array<{ to: string; data: Record<string, unknown> }> = [];
  closed = false;
  failConnect: Error | undefined;
  private readonly handlers = new Map<string, Handler[]>();

  on<K extends keyof SignalingEvents>(event: K, fn: (arg: SignalingEvents[K]) => void): never {
    const list = this.handlers.get(event) ?? [];
    list.push(fn as Handler);
    this.handlers.set(event, list);
    return this as never;
  }
  emit<K extends keyof SignalingEvents>(event: K, arg: SignalingEvents[K]): void {
    for (const fn of this.handlers.get(event) ?? []) (fn as (a: SignalingEvents[K]) => void)(arg);
  }
  setState(s: SignalingState): void {
    this.state = s;
    this.emit('state', s);
  }
  async connect(): Promise<void> {
    this.setState('connecting');
    if (this.failConnect) {
      this.setState('closed');
      throw this.failConnect;
    }
    this.setState('joined');
  }
  async send(to: string, data: unknown): Promise<void> {
    this.sent.push({ to, data: data as Record<string, unknown> });
  }
  async close(): Promise<void> {
    this.closed = true;
    this.setState('closed');
  }
  /** Envelopes sent to `to`. */
  to(to: string): Array<Record<string, unknown>> {
    return this.sent.filter((s) => s.to === to).map((s) => s.data);
  }
}

const OFFER = { type: 'description', descType: 'offer', sdp: 'v=0\r\n' };
const CANDIDATE = { type: 'candidate', candidate: 'candidate:1 1 UDP 1 127.0.0.1 5000 typ host', mid: '0' };

class FakeLink implements SessionLink {
  started = false;
  closed = false;
  open = false;
  stalled = false;
  readonly handled: unknown[] = [];
  readonly sentRtp: Array<{ packet: Uint8Array; atMs: number }> = [];
  constructor(readonly opts: PeerLinkOptions, private readonly clock: ManualClock) {}
  start(): void {
    this.started = true;
    if (this.opts.role === 'offerer') this.opts.onSignal(OFFER as never);
  }
  handleSignal(signal: unknown): void {
    this.handled.push(signal);
  }
  sendRtp(packet: Uint8Array): boolean {
    if (this.stalled) return false;
    this.sentRtp.push({ packet, atMs: this.clock.now() });
    return true;
  }
  sendRtcp(): boolean {
    return this.open;
  }
  get isOpen(): boolean {
    return this.open && !this.closed;
  }
  stats(): PeerLinkStats {
    return {
      connectMs: this.open ? 3 : null,
      packetsSent: this.sentRtp.length,
      bytesSent: this.sentRtp.length * 17,
      packetsReceived: 0,
      bytesReceived: 0,
      rtcpSent: 0,
      rtcpReceived: 0,
      sendFailures: 0,
      payloadTypeRewrites: 0,
      malformedReceived: 0,
      badSignals: 0,
      droppedCandidates: 0,
      callbackErrors: 0,
      descriptionsApplied: 0,
      keepalivesSent: 0,
    };
  }
  selectedCandidatePair() {
    return this.open ? { local: { address: '127.0.0.1', port: 1, type: 'host', transportType: 'UDP' }, remote: { address: '127.0.0.1', port: 2, type: 'host', transportType: 'UDP' } } : null;
  }
  localCandidateTypes(): string[] {
    return ['host'];
  }
  close(): void {
    this.closed = true;
  }
  setState(state: LinkState): void {
    this.open = state === 'connected';
    this.opts.onState(state);
  }
}

async function setup() {
  const clock = new ManualClock(1000);
  const source = new ManualSource(20, clock);
  const sink = new ManualSink(10);
  const engine = new MediaEngine({
    frameMs: 20,
    source,
    sink,
    clock,
    encoderFactory: fakeEncoder,
    decoderFactory: () => new FakeDecoder(),
    voiceGate: { enabled: false },
    cues: { enabled: false },
  });
  const signaling = new FakeSignaling();
  const links: FakeLink[] = [];
  const session = new Session({
    engine,
    signaling,
    roomCode: 'purple-otter-lamp-river-42',
    serverUrl: 'ws://127.0.0.1:8787',
    name: 'me',
    iceServers: [],
    clock,
    linkFactory: (opts) => {
      const l = new FakeLink(opts, clock);
      links.push(l);
      return l;
    },
  });
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  const linksFor = (id: string): FakeLink[] => links.filter((l) => l.opts.peerId === id);
  return { clock, source, sink, engine, signaling, session, links, linksFor, flush };
}

const rtpFrom = (seq: number): Uint8Array => {
  const p = new Uint8Array(17);
  p[0] = 0x80;
  p[1] = 111;
  p[3] = seq;
  p[11] = 9; // ssrc 9
  p[12] = 11 << 3;
  return p;
};

describe('Session mesh rules', () => {
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

  it('rebuilds a failed link with the next generation after a backoff, ignoring the old generation', async () => {
    const t = await setup();
    await t.session.start();
    t.signaling.emit('joined', { selfId: 's', peers: [{ id: 'p', name: 'P' }], locked: false, rejoin: false });
    const first = t.linksFor('p')[0]!;
    first.setState('connected');
    expect(t.session.snapshot().peers[0]!.state).toBe('connected');
    first.setState('failed');
    expect(t.session.snapshot().peers[0]!.state).toBe('reconnecting');
    expect(t.linksFor('p')).toHaveLength(1);
    t.clock.advance(250); // first backoff step
    const second = t.linksFor('p')[1]!;
    expect(first.closed).toBe(true);
    expect(second.opts.role).toBe('offerer');
    expect(t.signaling.to('p').at(-1)).toEqual({ t: 'link', gen: 2, signal: OFFER });
    // A late answer from generation 1 must not reach the new link.
    t.signaling.emit('signal', { from: 'p', data: { t: 'link', gen: 1, signal: { type: 'description', descType: 'answer', sdp: 'v=0' } } });
    expect(second.handled).toEqual([]);
    // Late callbacks of the closed link are ignored too.
    first.opts.onState('connected');
    expect(t.session.snapshot().peers[0]!.state).toBe('reconnecting');
    second.setState('failed');
    t.clock.advance(499);
    expect(t.linksFor('p')).toHaveLength(2); // backoff doubled
    t.clock.advance(1);
    expect(t.linksFor('p')).toHaveLength(3);
    t.linksFor('p')[2]!.setState('connected');
    expect(t.session.stats()[0]!.linkGenerations).toBe(3);
    await t.session.leave();
  });

  it('the answering side asks for a rebuild and switches to the offered generation', async () => {
    const t = await setup();
    await t.session.start();
    t.signaling.emit('peer-joined', { id: 'n', name: 'N', rejoined: false });
    t.signaling.emit('signal', { from: 'n', data: { t: 'link', gen: 1, signal: OFFER } });
    const first = t.linksFor('n')[0]!;
    first.setState('connected');
    first.setState('disconnected');
    expect(t.signaling.to('n')).toContainEqual({ t: 'rebuild', gen: 1 });
    t.signaling.emit('signal', { from: 'n', data: { t: 'link', gen: 2, signal: OFFER } });
    expect(first.closed).toBe(true);
    expect(t.linksFor('n')[1]!.handled).toEqual([OFFER]);
    await t.session.leave();
  });

  it("tears a peer down at once on 'left'; keeps a peer whose signaling dropped only while its link brings packets", async () => {
    const t = await setup();
    await t.session.start();
    t.signaling.emit('joined', { selfId: 's', peers: [{ id: 'x', name: 'X' }, { id: 'y', name: 'Y' }], locked: false, rejoin: false });
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

  it("a peer the server reports gone while its link is silent is torn down at once", async () => {
    const t = await setup();
    await t.session.start();
    t.signaling.emit('joined', { selfId: 's', peers: [{ id: 'k', name: 'K' }], locked: false, rejoin: false });
    t.linksFor('k')[0]!.setState('connected');
    t.clock.advance(2500);
    t.signaling.emit('peer-left', { id: 'k', reason: 'disconnected' });
    expect(t.linksFor('k')[0]!.closed).toBe(true);
    await t.session.leave();
  });

  it('a signaling outage leaves links alone and shows reconnecting-server until rejoined', async () => {
    const t = await setup();
    await t.session.start();
    t.signaling.emit('joined', { selfId: 's', peers: [{ id: 'p', name: 'P' }], locked: false, rejoin: false });
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
    const t = await setup();
    await t.session.start();
    t.signaling.emit('joined', { selfId: 's', peers: [{ id: 'ok', name: 'OK' }, { id: 'stuck', name: 'S' }], locked: false, rejoin: false });
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

describe('Session lifecycle and actions', () => {
  it('dispatch drives the engine; leave is idempotent and releases everything', async () => {
    const t = await setup();
    await t.session.start();
    t.signaling.emit('joined', { selfId: 's', peers: [{ id: 'p', name: 'P' }], locked: false, rejoin: false });
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
});
