import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { LogLevel } from '../../src/core/logger.js';
import type { SessionLinkOptions } from '../../src/engine/media/media-port.js';
import type { LinkState } from '../../src/engine/mesh/link-types.js';
import type { LinkSignal } from '../../src/engine/mesh/signal.js';
import { BrowserLink, preferredAudioCodecs, type BrowserLinkMedia } from '../../src/web/browser-link.js';
import { consoleLogger } from '../../src/web/console-logger.js';
import type { LinkFigures, StatsEntry } from '../../src/web/link-figures.js';

// Captured before vi.useFakeTimers replaces it: one real macrotask turn drains
// every promise chain the fake peer connection starts (its promises settle at
// once), so no test waits on wall time.
const realSetImmediate = setImmediate;
const flush = (): Promise<void> => new Promise((resolve) => realSetImmediate(resolve));

const OFFER_SDP = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n';
const ANSWER_SDP = 'v=0\r\no=- 1234 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n';
const cand = (n: number, typ = 'host'): string => `candidate:${1467250027 + n} 1 udp 2122260223 192.168.1.${n} ${40000 + n} typ ${typ} generation 0 ufrag Gx4b network-id 1`;
const OPUS: RTCRtpCodec[] = [{ mimeType: 'audio/opus', clockRate: 48000, channels: 2, sdpFmtpLine: 'minptime=10;useinbandfec=1' }];

interface FakeTrack {
  kind: string;
  id: string;
}

class FakeTransceiver {
  codecPreferences: RTCRtpCodec[] | null = null;
  private dir: RTCRtpTransceiverDirection;
  constructor(
    readonly log: string[],
    readonly sender: { track: FakeTrack | null },
    readonly receiver: { track: FakeTrack },
    direction: RTCRtpTransceiverDirection,
    readonly mid: string | null,
  ) {
    this.dir = direction;
  }
  get direction(): RTCRtpTransceiverDirection {
    return this.dir;
  }
  set direction(d: RTCRtpTransceiverDirection) {
    this.log.push(`direction=${d}`);
    this.dir = d;
  }
  /** Some browsers throw InvalidModificationError on a list they dislike. */
  static refuseCodecPreferences = false;
  setCodecPreferences(codecs: RTCRtpCodec[]): void {
    if (FakeTransceiver.refuseCodecPreferences) throw new DOMException('Invalid codec preferences', 'InvalidModificationError');
    this.log.push('setCodecPreferences');
    this.codecPreferences = codecs;
  }
}

type Deferred<T> = { promise: Promise<T>; resolve(v: T): void };
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * RTCPeerConnection as far as BrowserLink uses it. Every call is appended to
 * `log` so tests can check the order of operations; network events (ICE
 * candidates, state changes, tracks) are fired by the test.
 */
class FakePeerConnection {
  static instances: FakePeerConnection[] = [];
  readonly log: string[] = [];
  onicecandidate: ((ev: { candidate: { candidate: string; sdpMid: string | null } | null }) => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  ontrack: ((ev: { track: FakeTrack; streams: unknown[] }) => void) | null = null;
  connectionState: RTCPeerConnectionState = 'new';
  localDescription: { type: RTCSdpType; sdp: string } | null = null;
  remoteDescription: { type: RTCSdpType; sdp: string } | null = null;
  readonly transceivers: FakeTransceiver[] = [];
  readonly addedCandidates: RTCIceCandidateInit[] = [];
  stats: StatsEntry[] = [];
  getStatsCalls = 0;
  /** When set, getStats waits on it (a poll in flight). */
  statsGate: Deferred<void> | null = null;
  refuseRemoteDescription = false;
  refuseCandidates = false;
  closeCalls = 0;

  constructor(readonly config: RTCConfiguration) {
    FakePeerConnection.instances.push(this);
  }

  addTransceiver(track: FakeTrack, init: RTCRtpTransceiverInit): FakeTransceiver {
    this.log.push(`addTransceiver:${track.id}:${init.direction}`);
    const t = new FakeTransceiver(this.log, { track }, { track: { kind: 'audio', id: 'remote' } }, init.direction ?? 'sendrecv', null);
    this.transceivers.push(t);
    return t;
  }

  addTrack(track: FakeTrack): { track: FakeTrack | null } {
    if (this.transceivers.some((t) => t.sender.track === track)) throw new DOMException('A sender already exists for the track.', 'InvalidAccessError');
    this.log.push(`addTrack:${track.id}`);
    // As the spec does: reuse a transceiver of the same kind that never sent.
    const reuse = this.transceivers.find((t) => t.sender.track === null && t.receiver.track.kind === track.kind);
    if (reuse !== undefined) {
      reuse.sender.track = track;
      return reuse.sender;
    }
    const t = new FakeTransceiver(this.log, { track }, { track: { kind: track.kind, id: 'remote' } }, 'sendrecv', null);
    this.transceivers.push(t);
    return t.sender;
  }

  getSenders(): Array<{ track: FakeTrack | null }> {
    return this.transceivers.map((t) => t.sender);
  }

  getTransceivers(): FakeTransceiver[] {
    return [...this.transceivers];
  }

  async createOffer(): Promise<{ type: RTCSdpType; sdp: string }> {
    this.log.push('createOffer');
    return { type: 'offer', sdp: OFFER_SDP };
  }

  async createAnswer(): Promise<{ type: RTCSdpType; sdp: string }> {
    this.log.push('createAnswer');
    if (this.remoteDescription?.type !== 'offer') throw new DOMException('no remote offer', 'InvalidStateError');
    return { type: 'answer', sdp: ANSWER_SDP };
  }

  async setLocalDescription(d: { type: RTCSdpType; sdp: string }): Promise<void> {
    this.log.push(`setLocalDescription:${d.type}`);
    this.localDescription = d;
  }

  async setRemoteDescription(d: { type: RTCSdpType; sdp: string }): Promise<void> {
    this.log.push(`setRemoteDescription:${d.type}`);
    if (this.refuseRemoteDescription) throw new DOMException('Failed to parse SessionDescription.', 'OperationError');
    this.remoteDescription = d;
    // A remote offer's m-line gets a transceiver that receives only, until a track is added.
    if (d.type === 'offer' && this.transceivers.length === 0) {
      this.transceivers.push(new FakeTransceiver(this.log, { track: null }, { track: { kind: 'audio', id: 'remote' } }, 'recvonly', '0'));
    }
  }

  async addIceCandidate(c: RTCIceCandidateInit): Promise<void> {
    this.log.push(`addIceCandidate:${c.candidate}`);
    // A real browser refuses a candidate before the remote description.
    if (this.remoteDescription === null) throw new DOMException('The remote description was null', 'InvalidStateError');
    if (this.refuseCandidates) throw new DOMException('Error processing ICE candidate', 'OperationError');
    this.addedCandidates.push(c);
  }

  async getStats(): Promise<Map<string, StatsEntry>> {
    this.getStatsCalls++;
    if (this.statsGate !== null) await this.statsGate.promise;
    return new Map(this.stats.map((e) => [e.id, e]));
  }

  close(): void {
    this.closeCalls++;
    this.log.push('close');
    // Per spec, close() changes the state without firing connectionstatechange.
    this.connectionState = 'closed';
  }

  // ---- what the network does ----
  gather(candidate: string | null, sdpMid: string | null = '0'): void {
    this.onicecandidate?.({ candidate: candidate === null ? null : { candidate, sdpMid } });
  }

  setState(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.onconnectionstatechange?.();
  }
}

function transportStats(bytesReceived: number, extra: Partial<Record<'packetsReceived' | 'packetsSent', number>> = {}): StatsEntry[] {
  return [
    { id: 'IT01A1', type: 'inbound-rtp', kind: 'audio', packetsReceived: extra.packetsReceived ?? 0, packetsLost: 0 },
    { id: 'OT01A2', type: 'outbound-rtp', kind: 'audio', packetsSent: extra.packetsSent ?? 0 },
    { id: 'T01', type: 'transport', bytesReceived, bytesSent: 5000, selectedCandidatePairId: 'CP1' },
    { id: 'CP1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1', state: 'succeeded', nominated: true, currentRoundTripTime: 0.002 },
    { id: 'L1', type: 'local-candidate', address: '127.0.0.1', port: 40001, protocol: 'udp', candidateType: 'host' },
    { id: 'R1', type: 'remote-candidate', address: '127.0.0.1', port: 40002, protocol: 'udp', candidateType: 'host' },
  ];
}

interface Harness {
  link: BrowserLink;
  pc: FakePeerConnection;
  clock: ManualClock;
  signals: LinkSignal[];
  states: LinkState[];
  packets: number[];
  attached: Array<[string, unknown]>;
  figures: LinkFigures[];
  warnings: string[];
  mic: FakeTrack;
  micStream: object;
}

function makeLink(role: 'offerer' | 'answerer', over: Partial<SessionLinkOptions> = {}, deps: { audioCodecs?: () => RTCRtpCodec[] | null } = {}): Harness {
  const clock = new ManualClock(1000);
  const signals: LinkSignal[] = [];
  const states: LinkState[] = [];
  const packets: number[] = [];
  const attached: Array<[string, unknown]> = [];
  const figures: LinkFigures[] = [];
  const warnings: string[] = [];
  const mic: FakeTrack = { kind: 'audio', id: 'mic' };
  const micStream = { id: 'mic-stream' };
  const media: BrowserLinkMedia = {
    micTrack: mic as unknown as MediaStreamTrack,
    micStream: micStream as unknown as MediaStream,
    attachRemote: (peerId, stream) => void attached.push([peerId, stream]),
    noteFigures: (_peerId, f) => void figures.push(f),
  };
  const note = (level: LogLevel) => (event: string) => {
    if (level === 'warn') warnings.push(event);
  };
  const logger = consoleLogger('debug', {}, { debug: note('debug'), info: note('info'), warn: note('warn'), error: note('error') });
  const link = new BrowserLink(
    {
      peerId: 'peer-b',
      role,
      iceServers: [{ urls: 'stun:stun.example.org:3478' }],
      ssrc: 0x1234,
      cname: 'cname',
      onSignal: (s) => void signals.push(s),
      onState: (s) => void states.push(s),
      onPacket: (ms) => void packets.push(ms),
      ...over,
    },
    {
      media,
      clock,
      logger,
      statsIntervalMs: 100,
      RTCPeerConnection: FakePeerConnection as unknown as typeof RTCPeerConnection,
      audioCodecs: deps.audioCodecs ?? (() => OPUS),
    },
  );
  const pc = FakePeerConnection.instances.at(-1)!;
  return { link, pc, clock, signals, states, packets, attached, figures, warnings, mic, micStream };
}

beforeEach(() => {
  FakePeerConnection.instances = [];
  FakeTransceiver.refuseCodecPreferences = false;
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('preferredAudioCodecs', () => {
  // What Chromium 156's RTCRtpReceiver.getCapabilities('audio') lists (the codecs of its recorded offer, fixtures/sdp).
  const chromium: RTCRtpCodec[] = [
    { mimeType: 'audio/opus', clockRate: 48000, channels: 2, sdpFmtpLine: 'minptime=10;useinbandfec=1' },
    { mimeType: 'audio/red', clockRate: 48000, channels: 2, sdpFmtpLine: '111/111' },
    { mimeType: 'audio/G722', clockRate: 8000, channels: 1 },
    { mimeType: 'audio/PCMU', clockRate: 8000, channels: 1 },
    { mimeType: 'audio/CN', clockRate: 8000, channels: 1 },
    { mimeType: 'audio/telephone-event', clockRate: 48000, channels: 1 },
  ];

  it('puts RED over Opus first (libwebrtc sends RED only when preferred), then Opus, and nothing else', () => {
    expect(preferredAudioCodecs(chromium)?.map((c) => `${c.mimeType} ${c.sdpFmtpLine ?? ''}`)).toEqual(['audio/red 111/111', 'audio/opus minptime=10;useinbandfec=1']);
  });

  it('Opus alone where the browser has no RED; null without Opus', () => {
    expect(preferredAudioCodecs(chromium.filter((c) => c.mimeType !== 'audio/red'))).toEqual([chromium[0]]);
    expect(preferredAudioCodecs(chromium.filter((c) => c.mimeType !== 'audio/opus'))).toBeNull();
    // A RED mixing codecs in its blocks is not one a terminal decodes.
    expect(preferredAudioCodecs([chromium[0]!, { mimeType: 'audio/red', clockRate: 48000, channels: 2, sdpFmtpLine: '111/0' }])).toEqual([chromium[0]]);
  });
});

describe('BrowserLink construction', () => {
  it('configures the peer connection for one bundled, rtcp-muxed audio link', () => {
    const { pc } = makeLink('answerer', { iceServers: [{ urls: 'stun:s.example.org' }, { urls: ['turn:t.example.org'], username: 'u', credential: 'p' }] });
    expect(pc.config).toEqual({
      // username/credential appear only where the config has them.
      iceServers: [{ urls: 'stun:s.example.org' }, { urls: ['turn:t.example.org'], username: 'u', credential: 'p' }],
      iceTransportPolicy: 'all',
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    });
  });

  it('uses relay-only ICE when asked', () => {
    expect(makeLink('offerer', { relayOnly: true }).pc.config.iceTransportPolicy).toBe('relay');
  });
});

describe('BrowserLink as offerer', () => {
  it('adds one sendrecv transceiver with the mic track, Opus only', () => {
    const { pc } = makeLink('offerer');
    expect(pc.transceivers).toHaveLength(1);
    expect(pc.transceivers[0]!.sender.track?.id).toBe('mic');
    expect(pc.transceivers[0]!.direction).toBe('sendrecv');
    expect(pc.transceivers[0]!.codecPreferences).toEqual(OPUS);
    expect(pc.log).toEqual(['addTransceiver:mic:sendrecv', 'setCodecPreferences']);
  });

  it('offers on start and signals the offer', async () => {
    const { link, pc, signals, states } = makeLink('offerer');
    link.start();
    expect(states).toEqual(['connecting']);
    await flush();
    expect(pc.log.slice(2)).toEqual(['createOffer', 'setLocalDescription:offer']);
    expect(signals).toEqual([{ type: 'description', sdp: OFFER_SDP, descType: 'offer' }]);
  });

  it('start() twice offers once', async () => {
    const { link, signals } = makeLink('offerer');
    link.start();
    link.start();
    await flush();
    expect(signals).toHaveLength(1);
  });

  it('applies the answer and counts it', async () => {
    const { link, pc } = makeLink('offerer');
    link.start();
    link.handleSignal({ type: 'description', sdp: ANSWER_SDP, descType: 'answer' });
    await flush();
    expect(pc.remoteDescription).toEqual({ type: 'answer', sdp: ANSWER_SDP });
    expect(link.stats().descriptionsApplied).toBe(1);
    expect(link.stats().badSignals).toBe(0);
  });

  it('skips codec preferences when the browser has no Opus list', () => {
    const { pc } = makeLink('offerer', {}, { audioCodecs: () => null });
    expect(pc.transceivers[0]!.codecPreferences).toBeNull();
  });

  it('survives a browser that refuses the codec preferences', () => {
    FakeTransceiver.refuseCodecPreferences = true;
    const { pc, warnings } = makeLink('offerer');
    expect(pc.transceivers).toHaveLength(1);
    expect(warnings).toContain('roundtable codec-preferences-refused');
  });
});

describe('BrowserLink as answerer', () => {
  it('answers a remote offer on the offer\'s own transceiver, with the mic, sendrecv, Opus only', async () => {
    const { link, pc, signals } = makeLink('answerer');
    link.start();
    await flush();
    // An answerer sends nothing until it has an offer.
    expect(signals).toEqual([]);
    expect(pc.transceivers).toHaveLength(0);
    link.handleSignal({ type: 'description', sdp: OFFER_SDP, descType: 'offer' });
    await flush();
    expect(pc.log).toEqual(['setRemoteDescription:offer', 'addTrack:mic', 'direction=sendrecv', 'setCodecPreferences', 'createAnswer', 'setLocalDescription:answer']);
    // One m-line both ways: the track went onto the offer's transceiver.
    expect(pc.transceivers).toHaveLength(1);
    expect(pc.transceivers[0]!.mid).toBe('0');
    expect(pc.transceivers[0]!.sender.track?.id).toBe('mic');
    expect(pc.transceivers[0]!.direction).toBe('sendrecv');
    expect(pc.transceivers[0]!.codecPreferences).toEqual(OPUS);
    expect(signals).toEqual([{ type: 'description', sdp: ANSWER_SDP, descType: 'answer' }]);
    expect(link.stats().badSignals).toBe(0);
  });

  it('does not add the mic track twice on a second offer', async () => {
    // addTrack with a track that already has a sender throws in browsers.
    const { link, pc, signals } = makeLink('answerer');
    link.handleSignal({ type: 'description', sdp: OFFER_SDP, descType: 'offer' });
    link.handleSignal({ type: 'description', sdp: OFFER_SDP, descType: 'offer' });
    await flush();
    expect(pc.log.filter((l) => l.startsWith('addTrack'))).toHaveLength(1);
    expect(signals.map((s) => s.type === 'description' && s.descType)).toEqual(['answer', 'answer']);
    expect(link.stats()).toMatchObject({ badSignals: 0, descriptionsApplied: 2 });
  });

  it('hands a remote track to the media, making a stream when the browser gives none', () => {
    class FakeMediaStream {
      constructor(readonly tracks: unknown[]) {}
    }
    // Only the stream-less case touches the MediaStream global.
    vi.stubGlobal('MediaStream', FakeMediaStream);
    const { pc, attached } = makeLink('answerer');
    const track = { kind: 'audio', id: 'remote' };
    const stream = { id: 's1' };
    pc.ontrack!({ track, streams: [stream] });
    pc.ontrack!({ track, streams: [] });
    expect(attached[0]).toEqual(['peer-b', stream]);
    expect(attached[1]![0]).toBe('peer-b');
    expect(attached[1]![1]).toBeInstanceOf(FakeMediaStream);
    expect((attached[1]![1] as FakeMediaStream).tracks).toEqual([track]);
  });
});

describe('BrowserLink candidates', () => {
  it('queues remote candidates until the remote description, then applies them in order', async () => {
    const { link, pc } = makeLink('offerer');
    link.start();
    link.handleSignal({ type: 'candidate', candidate: cand(1), mid: '0' });
    // libdatachannel peers send the a= attribute form; browsers want it stripped.
    link.handleSignal({ type: 'candidate', candidate: `a=${cand(2, 'srflx')}`, mid: '0' });
    await flush();
    // Nothing reached the browser yet (it would refuse them).
    expect(pc.log.filter((l) => l.startsWith('addIceCandidate'))).toEqual([]);
    link.handleSignal({ type: 'description', sdp: ANSWER_SDP, descType: 'answer' });
    link.handleSignal({ type: 'candidate', candidate: cand(3), mid: '0' });
    await flush();
    const order = pc.log.filter((l) => l.startsWith('setRemote') || l.startsWith('addIceCandidate'));
    expect(order).toEqual(['setRemoteDescription:answer', `addIceCandidate:${cand(1)}`, `addIceCandidate:${cand(2, 'srflx')}`, `addIceCandidate:${cand(3)}`]);
    expect(pc.addedCandidates[0]).toEqual({ candidate: cand(1), sdpMid: '0', sdpMLineIndex: 0 });
    expect(link.stats()).toMatchObject({ badSignals: 0, droppedCandidates: 0 });
  });

  it('keeps at most 64 early candidates, dropping the oldest', async () => {
    const { link, pc } = makeLink('answerer');
    for (let i = 1; i <= 66; i++) link.handleSignal({ type: 'candidate', candidate: cand(i), mid: '0' });
    link.handleSignal({ type: 'description', sdp: OFFER_SDP, descType: 'offer' });
    await flush();
    expect(link.stats().droppedCandidates).toBe(2);
    expect(pc.addedCandidates.map((c) => c.candidate)).toEqual(Array.from({ length: 64 }, (_, i) => cand(i + 3)));
  });

  it('counts a candidate the browser refuses, and carries on', async () => {
    const { link, pc } = makeLink('answerer');
    link.handleSignal({ type: 'description', sdp: OFFER_SDP, descType: 'offer' });
    await flush();
    pc.refuseCandidates = true;
    link.handleSignal({ type: 'candidate', candidate: cand(1), mid: '0' });
    await flush();
    pc.refuseCandidates = false;
    link.handleSignal({ type: 'candidate', candidate: cand(2), mid: '0' });
    await flush();
    expect(link.stats().badSignals).toBe(1);
    expect(pc.addedCandidates.map((c) => c.candidate)).toEqual([cand(2)]);
  });

  it('signals local candidates with their mid and records their types', () => {
    const { link, pc, signals } = makeLink('offerer');
    pc.gather(cand(1));
    pc.gather(cand(2, 'srflx'), null);
    expect(signals).toEqual([
      { type: 'candidate', candidate: cand(1), mid: '0' },
      // A candidate without a mid goes on the only m-line there is.
      { type: 'candidate', candidate: cand(2, 'srflx'), mid: '0' },
    ]);
    expect(link.localCandidateTypes()).toEqual(['host', 'srflx']);
  });

  it('does not signal the end of candidates (null or empty candidate)', () => {
    const { pc, signals, link } = makeLink('offerer');
    pc.gather('');
    pc.gather(null);
    expect(signals).toEqual([]);
    expect(link.localCandidateTypes()).toEqual([]);
  });
});

describe('BrowserLink bad signals', () => {
  it('counts malformed signals, never throws, and leaves the browser alone', async () => {
    const { link, pc, warnings } = makeLink('answerer');
    const bad: unknown[] = [
      null,
      'offer',
      42,
      { type: 'description', sdp: OFFER_SDP, descType: 'pranswer' },
      { type: 'description', sdp: 'hello', descType: 'offer' },
      { type: 'description', sdp: '', descType: 'offer' },
      { type: 'candidate', candidate: 'garbage', mid: '0' },
      { type: 'candidate', candidate: cand(1), mid: 0 },
      { type: 'bye' },
    ];
    for (const s of bad) expect(() => link.handleSignal(s)).not.toThrow();
    await flush();
    expect(link.stats().badSignals).toBe(bad.length);
    expect(warnings.filter((w) => w === 'roundtable bad-signal')).toHaveLength(bad.length);
    expect(pc.log).toEqual([]);
  });

  it('counts a description the browser refuses, and still applies later signals', async () => {
    const { link, pc, signals } = makeLink('answerer');
    pc.refuseRemoteDescription = true;
    link.handleSignal({ type: 'description', sdp: OFFER_SDP, descType: 'offer' });
    await flush();
    expect(link.stats().badSignals).toBe(1);
    expect(signals).toEqual([]);
    pc.refuseRemoteDescription = false;
    link.handleSignal({ type: 'description', sdp: OFFER_SDP, descType: 'offer' });
    await flush();
    expect(signals).toEqual([{ type: 'description', sdp: ANSWER_SDP, descType: 'answer' }]);
  });
});

describe('BrowserLink state', () => {
  it('maps connectionState onto link states, reporting each change once', () => {
    const { link, pc, states } = makeLink('offerer');
    link.start();
    pc.setState('connecting'); // still 'connecting': not reported twice
    pc.setState('connected');
    pc.setState('connected');
    pc.setState('disconnected');
    pc.setState('connected');
    pc.setState('failed');
    expect(states).toEqual(['connecting', 'connected', 'disconnected', 'connected', 'failed']);
  });

  it('sets connectMs from the injected clock, from offer to connected', async () => {
    const { link, pc, clock } = makeLink('offerer');
    expect(link.stats().connectMs).toBeNull();
    link.start();
    await flush(); // the offer is made at t=1000
    clock.advance(250);
    pc.setState('connected');
    expect(link.stats().connectMs).toBe(250);
    expect(link.isOpen).toBe(true);
    // A reconnection does not move it.
    pc.setState('disconnected');
    expect(link.isOpen).toBe(false);
    clock.advance(1000);
    pc.setState('connected');
    expect(link.stats().connectMs).toBe(250);
  });

  it('measures an answerer from the offer it applied', async () => {
    const { link, pc, clock } = makeLink('answerer');
    link.start();
    clock.advance(500); // waiting for an offer does not count
    link.handleSignal({ type: 'description', sdp: OFFER_SDP, descType: 'offer' });
    await flush();
    clock.advance(80);
    pc.setState('connected');
    expect(link.stats().connectMs).toBe(80);
  });

  it('sends no media itself: libwebrtc does', () => {
    const { link } = makeLink('offerer');
    expect(link.sendRtp()).toBe(false);
    expect(link.sendRtcp()).toBe(false);
  });
});

describe('BrowserLink stats polling', () => {
  it('polls getStats every statsIntervalMs once started, and only then', async () => {
    const { link, pc } = makeLink('offerer');
    await vi.advanceTimersByTimeAsync(1000);
    expect(pc.getStatsCalls).toBe(0);
    link.start();
    await vi.advanceTimersByTimeAsync(350);
    expect(pc.getStatsCalls).toBe(3);
  });

  it('reports a packet when transport bytes grow, at the session clock time', async () => {
    const { link, pc, clock, packets, figures } = makeLink('offerer');
    link.start();
    pc.stats = transportStats(1200, { packetsReceived: 10, packetsSent: 12 });
    clock.advance(100);
    await vi.advanceTimersByTimeAsync(100);
    expect(packets).toEqual([1100]);
    // Same byte count: the peer said nothing since.
    clock.advance(100);
    await vi.advanceTimersByTimeAsync(100);
    expect(packets).toEqual([1100]);
    // An RTCP or STUN keepalive alone (no RTP) still counts.
    pc.stats = transportStats(1300, { packetsReceived: 10, packetsSent: 12 });
    clock.advance(100);
    await vi.advanceTimersByTimeAsync(100);
    expect(packets).toEqual([1100, 1300]);
    expect(figures).toHaveLength(3);
    expect(link.stats()).toMatchObject({ packetsReceived: 10, packetsSent: 12, bytesReceived: 1300, bytesSent: 5000 });
    expect(link.selectedCandidatePair()).toEqual({
      local: { address: '127.0.0.1', port: 40001, type: 'host', transportType: 'udp' },
      remote: { address: '127.0.0.1', port: 40002, type: 'host', transportType: 'udp' },
    });
  });

  it('reports no packet for an empty report', async () => {
    const { link, packets, figures } = makeLink('offerer');
    link.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(packets).toEqual([]);
    expect(figures).toHaveLength(1);
    expect(link.selectedCandidatePair()).toBeNull();
  });

  it('ignores a failed getStats', async () => {
    const { link, pc, packets, figures } = makeLink('offerer');
    pc.getStats = () => Promise.reject(new Error('closed'));
    link.start();
    await vi.advanceTimersByTimeAsync(200);
    expect(packets).toEqual([]);
    expect(figures).toEqual([]);
  });
});

describe('BrowserLink close', () => {
  it('stops polling, closes the pc, reports closed once, and is idempotent', async () => {
    const { link, pc, states } = makeLink('offerer');
    link.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(pc.getStatsCalls).toBe(1);
    link.close();
    link.close();
    expect(pc.closeCalls).toBe(1);
    expect(states).toEqual(['connecting', 'closed']);
    expect(link.isOpen).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(pc.getStatsCalls).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    // Nothing left attached to the browser object.
    expect([pc.onicecandidate, pc.onconnectionstatechange, pc.ontrack]).toEqual([null, null, null]);
  });

  it('reports closed once even if the browser had closed first', () => {
    const { link, pc, states } = makeLink('offerer');
    link.start();
    pc.setState('closed');
    link.close();
    expect(states).toEqual(['connecting', 'closed']);
  });

  it('ignores signals after close, even malformed ones', async () => {
    const { link, pc } = makeLink('answerer');
    link.close();
    link.handleSignal({ type: 'description', sdp: OFFER_SDP, descType: 'offer' });
    link.handleSignal({ type: 'candidate', candidate: cand(1), mid: '0' });
    link.handleSignal({ type: 'bogus' });
    await flush();
    expect(pc.log).toEqual(['close']);
    expect(link.stats().badSignals).toBe(0);
  });

  it('drops queued steps and sends no answer once closed mid-negotiation', async () => {
    const { link, pc, signals } = makeLink('answerer');
    link.handleSignal({ type: 'description', sdp: OFFER_SDP, descType: 'offer' });
    link.close();
    await flush();
    expect(pc.log).toEqual(['close']);
    expect(signals).toEqual([]);
  });

  it('does not start after close', async () => {
    const { link, pc, states } = makeLink('offerer');
    link.close();
    link.start();
    await vi.advanceTimersByTimeAsync(500);
    expect(states).toEqual(['closed']);
    expect(pc.log).not.toContain('createOffer');
    expect(pc.getStatsCalls).toBe(0);
  });

  it('drops a stats reading that lands after close', async () => {
    const { link, pc, packets, figures } = makeLink('offerer');
    pc.stats = transportStats(999);
    pc.statsGate = deferred<void>();
    link.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(pc.getStatsCalls).toBe(1);
    link.close();
    pc.statsGate.resolve();
    await flush();
    expect(packets).toEqual([]);
    expect(figures).toEqual([]);
  });

  it('ignores browser events after close', () => {
    const { link, pc, signals, states } = makeLink('offerer');
    const handlers = { ice: pc.onicecandidate!, state: pc.onconnectionstatechange! };
    link.close();
    // Even a handler the browser still held on to does nothing.
    handlers.ice({ candidate: { candidate: cand(1), sdpMid: '0' } });
    pc.connectionState = 'connected';
    handlers.state();
    expect(signals).toEqual([]);
    expect(states).toEqual(['closed']);
  });
});
