import type { NegotiatedAudio } from '../../../src/engine/mesh/link-types.js';
/**
 * Session test doubles around a real MediaEngine: fake signaling (the test
 * plays the server), fake links (the test plays ICE), a push source, a pull
 * sink, fake Opus, and a ManualClock, so every mesh rule can be checked
 * deterministically. Shared by the room/ tests.
 */
import { ManualClock } from '../../../src/core/clock.js';
import { samplesPerFrame } from '../../../src/core/media-format.js';
import { ManualSink, ManualSource } from '../../../src/engine/audio/manual.js';
import type { FrameEncoder } from '../../../src/engine/codec/types.js';
import { MediaEngine } from '../../../src/engine/media/media-engine.js';
import { FakeFilter } from '../dsp/fakes.js';
import { engineLinkFactory } from '../../../src/engine/media/engine-links.js';
import { emptyLinkStats, type LinkState, type PeerLinkOptions, type PeerLinkStats } from '../../../src/engine/mesh/peer-link.js';
import { Session, type SessionLink, type SessionOptions, type SessionSignaling } from '../../../src/engine/room/session.js';
import type { SignalingEvents, SignalingPeer, SignalingState } from '../../../src/engine/signaling/client.js';
import { FakeDecoder } from '../receive/fakes.js';

export function fakeEncoder(): FrameEncoder {
  let n = 0;
  // A real Opus TOC byte (config 11: SILK WB 20 ms, code 0) so receivers read the duration.
  return { frameMs: 20, encode: () => Buffer.from([11 << 3, ++n & 0xff, 1, 2, 3]) };
}

export const loud = (): Int16Array => Int16Array.from({ length: samplesPerFrame(20) }, (_, i) => (i % 2 ? 8000 : -8000));

type Handler = (arg: never) => void;

export class FakeSignaling implements SessionSignaling {
  readonly peerId = 'self-id-0000000000000';
  state: SignalingState = 'idle';
  /** What the server lists (SignalingClient.peers). */
  peers: SignalingPeer[] = [];
  readonly sent: Array<{ to: string; data: Record<string, unknown> }> = [];
  closed = false;
  failConnect: Error | undefined;
  /** What the server last said of the lock (the test sets it, or emits 'lock'). */
  locked = false;
  /** lock()/unlock() calls, in order (true = lock). */
  readonly lockRequests: boolean[] = [];
  /** answerKnock() calls, in order. */
  readonly knockAnswers: Array<{ id: string; admit: boolean }> = [];
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
  lock(): void {
    this.lockRequests.push(true);
  }
  unlock(): void {
    this.lockRequests.push(false);
  }
  answerKnock(id: string, admit: boolean): void {
    this.knockAnswers.push({ id, admit });
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

export const OFFER = { type: 'description', descType: 'offer', sdp: 'v=0\r\n' };
export const CANDIDATE = { type: 'candidate', candidate: 'candidate:1 1 UDP 1 127.0.0.1 5000 typ host', mid: '0' };

export function linkStats(over: Partial<PeerLinkStats> = {}): PeerLinkStats {
  return { ...emptyLinkStats(), ...over };
}

export class FakeLink implements SessionLink {
  negotiatedAudio: NegotiatedAudio | null = null;
  started = false;
  closed = false;
  open = false;
  stalled = false;
  readonly handled: unknown[] = [];
  readonly sentRtp: Array<{ packet: Uint8Array; atMs: number }> = [];
  /** Chat messages sent on this link (while `open`). */
  readonly sentChat: string[] = [];
  /** BYEs sent on this link (sayGoodbye while `open`), and whether this link was closed at the time. */
  readonly goodbyes: Array<{ closedThen: boolean }> = [];
  constructor(
    readonly opts: PeerLinkOptions,
    private readonly clock: ManualClock,
  ) {}
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
  sendChat(text: string): boolean {
    if (!this.isOpen) return false;
    this.sentChat.push(text);
    return true;
  }
  sayGoodbye(): boolean {
    if (!this.isOpen) return false;
    this.goodbyes.push({ closedThen: this.closed });
    return true;
  }
  /** The remote end's BYE (it leaves the room) arrives on this link. */
  receiveGoodbye(): void {
    this.opts.onGoodbye?.();
  }
  get isOpen(): boolean {
    return this.open && !this.closed;
  }
  get chatOpen(): boolean {
    return this.isOpen;
  }
  /** A chat message from the remote end arrives on this link. */
  receiveChat(text: string): void {
    this.opts.onChat?.(text);
  }
  stats(): PeerLinkStats {
    return linkStats({ connectMs: this.open ? 3 : null, packetsSent: this.sentRtp.length, bytesSent: this.sentRtp.length * 17 });
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

export type SessionTestOptions = Partial<Pick<SessionOptions, 'rebuildBackoff' | 'random' | 'linkConnectTimeoutMs' | 'aliveWindowMs' | 'linkFactory' | 'recording'>>;

export async function setup(over: SessionTestOptions = {}) {
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
    suppressorFactory: () => new FakeFilter('noise-suppression', 0),
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
    linkFactory: engineLinkFactory(engine, (opts) => {
      const l = new FakeLink(opts, clock);
      links.push(l);
      return l;
    }),
    ...over,
  });
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  const linksFor = (id: string): FakeLink[] => links.filter((l) => l.opts.peerId === id);
  return { clock, source, sink, engine, signaling, session, links, linksFor, flush };
}

/** A started session that has just joined a room where `peers` (id, name) were already: it offers to each. */
export async function inRoomWith(peers: Array<[id: string, name: string]>, over: SessionTestOptions = {}) {
  const t = await setup(over);
  await t.session.start();
  t.signaling.emit('joined', { selfId: 's', peers: peers.map(([id, name]) => ({ id, name })), locked: false, rejoin: false });
  return t;
}

/** An RTP packet from SSRC 9 with a 20 ms Opus TOC byte. */
export const rtpFrom = (seq: number): Uint8Array => {
  const p = new Uint8Array(17);
  p[0] = 0x80;
  p[1] = 111;
  p[3] = seq;
  p[11] = 9; // ssrc 9
  p[12] = 11 << 3;
  return p;
};
