/**
 * The media side of a browser participant: the room's MediaPort
 * (engine/media/media-port.ts) over getUserMedia and Web Audio, plus the
 * link factory whose links (browser-link.ts) send the microphone track and
 * hand back each peer's stream.
 *
 * libwebrtc does the real-time work on its own threads (capture, Opus,
 * NetEQ, playback), so nothing here runs per audio frame: a timer of
 * `meterMs` reads analysers for meters and speaking indicators, the same
 * level scale (engine/audio/level.ts) and speaking detector
 * (engine/receive/speaking.ts) the terminal uses.
 *
 * Playback: each remote stream is attached to a muted <audio> element
 * (Chromium decodes a remote stream only while an element plays it,
 * docs/architecture.md §7) and played through Web Audio: source → per-peer
 * gain (0–200 %, mute-for-me) → analyser → master gain (deafen) → speakers.
 *
 * Echo cancellation, noise suppression and gain control are the browser's
 * own (the `echoCancellation`, `noiseSuppression` and `autoGainControl`
 * constraints, changed on the live track with applyConstraints); what the
 * page shows is what the track reports it does (getSettings), so a browser
 * that refuses to change one on a live track is seen to refuse. Our per-peer suppression
 * (RNNoise in the terminal's media process) has no counterpart here: the
 * remote audio never passes through our code, so peers always report it off.
 * Nor does the page record the call (no setRecording): it shows the
 * recording marks of the others (docs/architecture.md §4).
 *
 * In a room through the SFU (docs/architecture.md §11) the streams come
 * from browser-sfu.ts instead of, or while the room switches beside, the
 * mesh links: a peer then has one playback chain and up to two streams,
 * and plays exactly one of them, by the terminal's rule
 * (engine/media/peer-paths.ts): the preferred path takes over at its first
 * audio (the SFU's first opened frame, the mesh link's first packets in
 * getStats), and a path that closes hands over to the other.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { PeakMeter, peakLevelOfFloats, rmsLevelOfFloats } from '../engine/audio/level.js';
import { emptyCaptureStats, type CapturePipelineStats } from '../engine/send/capture-stats.js';
import { RECORDING_OFF, type LinkFactory, type MediaAnchors, type MediaPort, type PeerMediaStats, type PeerTransport, type ProcessingStates, type SelfMediaState } from '../engine/media/media-port.js';
import type { FilterState } from '../engine/dsp/filter-chain.js';
import type { AudioEndState, AudioEndsState } from '../engine/audio/audio-ends.js';
import type { FilterStageName } from '../engine/dsp/frame-filter.js';

/** The W3C constraint (mediacapture-main) that is each processing stage. */
const STAGE_CONSTRAINT = {
  'echo-cancellation': 'echoCancellation',
  'noise-suppression': 'noiseSuppression',
  'auto-gain': 'autoGainControl',
} as const satisfies Record<FilterStageName, keyof MediaTrackSettings>;
import { SpeakingDetector } from '../engine/receive/speaking.js';
import { TalkState } from '../engine/send/talk-state.js';
import { BrowserLink, type BrowserLinkMedia } from './browser-link.js';
import { EMPTY_FIGURES, receiveStats, sendStats, type LinkFigures } from './link-figures.js';
import { PeerPaths } from '../engine/media/peer-paths.js';
import type { MediaPath } from '../engine/api.js';
import type { SfuSpec } from '../engine/media/media-port.js';
import type { IceServerConfig } from '../engine/mesh/ice-servers.js';
import { janusRoomNumber } from '../engine/sfu/janus-room.js';
import type { BrowserSfu, BrowserSfuOptions, BrowserSfuStats } from './browser-sfu.js';
import { openBrowserSocket } from './browser-socket.js';
import { SFRAME_WORKER_URL } from './sframe-worker-protocol.js';

const FRAME_MS = 20;
const FRAME_SAMPLES = 960;

/**
 * How long joining waits for the page's sound to start before going on
 * without it. A browser starts an AudioContext only after a click on the
 * page (autoplay policy) and only where it can open an output device:
 * Firefox with no sound server leaves resume() pending for ever. Without a
 * bound the join hung there; with it the call goes on (the microphone is
 * sent all the same) and the page asks for a click (`start-output`).
 */
export const SOUND_START_WAIT_MS = 1000;

/** What the page shows while its sound has not started. */
export const SOUND_NOT_STARTED =
  'the browser has not started this page\'s sound: it waits for a click, or it has no speaker to play to';

/** The browser's own devices, which it does not name to the page. */
const BROWSER_INPUT: AudioEndState = { kind: 'device', name: '', health: 'ok' };
const BROWSER_OUTPUT: AudioEndState = { kind: 'device', name: '', health: 'ok' };
const BROWSER_OUTPUT_NOT_STARTED: AudioEndState = { ...BROWSER_OUTPUT, health: 'lost', problem: SOUND_NOT_STARTED };

export interface BrowserMediaOptions {
  clock: Clock;
  logger: Logger;
  /**
   * The browser's own echo cancellation, noise suppression and gain control
   * on the microphone. On by default (a laptop's speakers otherwise echo
   * into the room); measurements turn it off, since gain control changes
   * levels over seconds.
   */
  processing?: boolean;
  /** How often meters and speaking indicators update (default one Opus frame, 20 ms). */
  meterMs?: number;
  mediaDevices?: Pick<MediaDevices, 'getUserMedia'>;
  /** Makes the AudioContext; called synchronously by the constructor so a click's user activation still counts. */
  makeAudioContext?: () => AudioContext;
  /** STUN/TURN for the SFU's connections (the mesh links get theirs from the room). */
  iceServers?: readonly IceServerConfig[];
  /** Only TURN-relayed candidates toward the SFU too. */
  relayOnly?: boolean;
  /** Builds the SFU path (tests inject one). */
  makeSfu?: (options: BrowserSfuOptions) => Pick<BrowserSfu, 'start' | 'stop' | 'stats'>;
}

/** One path's stream of a peer, and the element that keeps libwebrtc decoding it. */
interface AttachedStream {
  readonly element: HTMLAudioElement;
  readonly source: MediaStreamAudioSourceNode;
}

interface PeerAudio {
  readonly id: string;
  volumePercent: number;
  mutedByMe: boolean;
  /** Each path's stream; only the one PeerPaths says it plays from is connected to the gain. */
  readonly streams: Record<MediaPath, AttachedStream | null>;
  /** Each path's latest figures (cumulative): a path's first packets move the stream to it, and the figures shown follow the stream. */
  readonly pathFigures: Record<MediaPath, LinkFigures>;
  readonly gain: GainNode;
  readonly analyser: AnalyserNode;
  readonly meter: PeakMeter;
  readonly speaking: SpeakingDetector;
  figures: LinkFigures;
  previous: LinkFigures;
}

export class BrowserMedia implements MediaPort, BrowserLinkMedia {
  readonly frameMs = FRAME_MS;
  readonly playbackFrameMs = FRAME_MS;
  /** libwebrtc picks the SSRC it sends with; this one only names us in the room's links (unused on the wire). */
  readonly ssrc: number;
  readonly anchors: MediaAnchors = { firstInputNs: null, firstOutputNs: null };
  readonly outputUnderflows = 0;
  readonly outputUnderflowsAfterWarmup = 0;
  onSourceEnd: (() => void) | undefined;
  onFailure?: ((message: string) => void) | undefined;
  readonly linkFactory: LinkFactory;
  readonly audioContext: AudioContext;
  /** Every peer's audio passes here before the speakers: deafen, and where a test taps what was heard. */
  readonly output: GainNode;

  private readonly opts: BrowserMediaOptions;
  private stream: MediaStream | null = null;
  private track: MediaStreamTrack | null = null;
  private micAnalyser: AnalyserNode | null = null;
  private readonly micMeter = new PeakMeter();
  private readonly micSpeaking = new SpeakingDetector({ frameMs: FRAME_MS });
  private readonly scratch = new Float32Array(2048);
  private readonly peers = new Map<string, PeerAudio>();
  private meterTimer: ReturnType<typeof setInterval> | undefined;
  private deafened = false;
  /** Mute / push-to-talk / talk key → the microphone track (engine/send/talk-state.ts). */
  private readonly talk = new TalkState(() => this.applyTransmitState());
  private framesCaptured = 0;
  private stopped = false;
  /** What was last asked for, per stage, shown until the track's settings say otherwise. */
  private readonly wanted = new Map<FilterStageName, boolean>();
  /** Which path feeds each peer's playback (mesh link, SFU subscription, or both while the room switches). */
  private readonly paths = new PeerPaths();
  private sfu: Pick<BrowserSfu, 'start' | 'stop' | 'stats'> | undefined;
  private sfuRoom: number | undefined;
  private sfuStarting: Promise<number> | undefined;
  /** The last `self.audio`, kept while nothing changes so snapshots compare equal. */
  private lastEnds: AudioEndsState = { input: BROWSER_INPUT, output: BROWSER_OUTPUT, devices: null };

  constructor(opts: BrowserMediaOptions) {
    this.opts = opts;
    this.ssrc = crypto.getRandomValues(new Uint32Array(1))[0]!;
    this.audioContext = (opts.makeAudioContext ?? (() => new AudioContext({ latencyHint: 'interactive', sampleRate: 48_000 })))();
    this.output = this.audioContext.createGain();
    this.output.connect(this.audioContext.destination);
    this.linkFactory = (options) => new BrowserLink(options, { media: this, clock: opts.clock, logger: opts.logger });
  }

  get micTrack(): MediaStreamTrack {
    if (this.track === null) throw new Error('the microphone is not open yet');
    return this.track;
  }

  get micStream(): MediaStream {
    if (this.stream === null) throw new Error('the microphone is not open yet');
    return this.stream;
  }

  /** Opens the microphone; rejects with the browser's DOMException (NotAllowedError, NotFoundError, …) for the page to explain. */
  async start(): Promise<void> {
    const processing = this.opts.processing ?? true;
    const devices = this.opts.mediaDevices ?? navigator.mediaDevices;
    if (devices === undefined) throw new DOMException('the microphone is only available on https or localhost pages', 'SecurityError');
    const stream = await devices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: processing, noiseSuppression: processing, autoGainControl: processing },
      video: false,
    });
    const track = stream.getAudioTracks()[0];
    if (track === undefined) throw new DOMException('the browser gave no audio track', 'NotFoundError');
    if (this.stopped) {
      for (const t of stream.getTracks()) t.stop();
      return;
    }
    this.stream = stream;
    this.track = track;
    track.onended = () => {
      // The device was pulled or the permission revoked mid-call.
      if (!this.stopped) this.onFailure?.('the microphone stopped (unplugged, or permission withdrawn)');
    };
    const ctx = this.audioContext;
    if (ctx.state !== 'running') await this.startSoundWithin(SOUND_START_WAIT_MS);
    if (this.stopped) return;
    this.micAnalyser = ctx.createAnalyser();
    this.micAnalyser.fftSize = 1024;
    ctx.createMediaStreamSource(stream).connect(this.micAnalyser);
    this.applyTransmitState();
    this.meterTimer = setInterval(() => this.updateMeters(), this.opts.meterMs ?? FRAME_MS);
  }

  /** Start the page's sound from a click (its user activation lets the browser start it). */
  startOutput(): void {
    if (this.stopped || this.audioContext.state === 'running') return;
    this.audioContext.resume().catch((err: unknown) => this.opts.logger.warn('sound-start-refused', { error: String(err) }));
  }

  /** resume(), but never waiting more than `ms` (it may never settle, SOUND_START_WAIT_MS). */
  private startSoundWithin(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.opts.clock.setTimer(() => {
        this.opts.logger.warn('sound-not-started', { waitedMs: ms, state: this.audioContext.state });
        resolve();
      }, ms);
      const done = (): void => {
        this.opts.clock.clearTimer(timer);
        resolve();
      };
      this.audioContext.resume().then(done, (err: unknown) => {
        this.opts.logger.warn('sound-start-refused', { error: String(err) });
        done();
      });
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.meterTimer !== undefined) clearInterval(this.meterTimer);
    const sfu = this.sfu;
    this.sfu = undefined;
    await sfu?.stop().catch(() => undefined);
    for (const peer of [...this.peers.values()]) this.dropPeer(peer);
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    await this.audioContext.close().catch(() => undefined);
  }

  /** The room's mesh path for a peer (its link hands the stream to attachRemote). */
  addPeer(id: string, _transport: PeerTransport): void {
    if (this.stopped) return;
    this.paths.add(id, 'mesh');
    this.ensurePeer(id);
  }

  /** A mesh link's remote stream for this peer (replaces the previous link's). */
  attachRemote(peerId: string, stream: MediaStream): void {
    const peer = this.peers.get(peerId);
    if (peer === undefined || this.stopped || !this.paths.has(peerId, 'mesh')) return;
    this.attach(peer, 'mesh', stream);
  }

  /** getStats figures of one of the peer's paths (a mesh link's, unless said). */
  noteFigures(peerId: string, figures: LinkFigures, path: MediaPath = 'mesh'): void {
    const peer = this.peers.get(peerId);
    if (peer === undefined) return;
    const before = peer.pathFigures[path];
    peer.pathFigures[path] = figures;
    // The mesh's first packets while the room comes back from the SFU: the stream moves to the link.
    if (path === 'mesh' && figures.packetsReceived > before.packetsReceived && this.paths.audio(peerId, 'mesh') === 'moved') this.moved(peer, 'mesh', 'audio');
    if (this.paths.from(peerId) !== path) return;
    peer.previous = peer.figures;
    peer.figures = figures;
  }

  /** The latest getStats figures of the path this peer plays from, cumulative (benchmarks compare them with the terminal's). */
  figures(peerId: string): LinkFigures | undefined {
    return this.peers.get(peerId)?.figures;
  }

  /** The room closed a peer's mesh path (it left, or it plays from the SFU now). */
  removePeer(id: string): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    this.detach(peer, 'mesh');
    peer.pathFigures.mesh = EMPTY_FIGURES;
    const change = this.paths.remove(id, 'mesh');
    if (change.kind === 'gone' || (change.kind === 'none' && !this.paths.has(id, 'sfu'))) this.dropPeer(peer);
    else if (change.kind === 'moved') this.moved(peer, change.to, 'mesh-closed');
  }

  /**
   * Send and receive through the SFU (docs/architecture.md §11): publish the
   * microphone, subscribe to each publisher, each frame sealed end to end in
   * the SFrame worker. Resolves with the Janus room number once we publish;
   * a browser without encoded transforms is refused (its audio would reach
   * the SFU in clear). Asked again while it runs, it only prefers the SFU.
   */
  startSfu(spec: SfuSpec): Promise<number> {
    if (this.stopped) return Promise.reject(new Error('the call has ended'));
    this.paths.preferred = 'sfu';
    // Running, or on its way: asked again, it only prefers the SFU again.
    if (this.sfu !== undefined && this.sfuRoom !== undefined) return Promise.resolve(this.sfuRoom);
    this.sfuStarting ??= this.openSfu(spec).finally(() => (this.sfuStarting = undefined));
    return this.sfuStarting;
  }

  private async openSfu(spec: SfuSpec): Promise<number> {
    let makeSfu = this.opts.makeSfu;
    if (makeSfu === undefined) {
      // Loaded only in a room through the SFU: the Janus client and its validation are most of its weight.
      const sfuModule = await import('./browser-sfu.js');
      const unsupported = sfuModule.sframeUnsupportedReason();
      if (unsupported !== null) {
        this.paths.preferred = 'mesh';
        throw new Error(unsupported);
      }
      makeSfu = (o: BrowserSfuOptions) => new sfuModule.BrowserSfu(o);
    }
    const room = await janusRoomNumber(spec.roomId);
    if (this.stopped) throw new Error('the call has ended');
    const sfu = makeSfu({
      janusUrl: spec.janusUrl,
      room,
      maxPublishers: spec.maxPublishers,
      peerId: spec.peerId,
      mediaSecret: spec.mediaSecret,
      iceServers: (this.opts.iceServers ?? []).map((s) => ({
        urls: s.urls,
        ...(s.username !== undefined ? { username: s.username } : {}),
        ...(s.credential !== undefined ? { credential: s.credential } : {}),
      })),
      relayOnly: this.opts.relayOnly === true,
      micTrack: this.micTrack,
      micStream: this.micStream,
      openSocket: openBrowserSocket,
      makeWorker: () => new Worker(new URL(SFRAME_WORKER_URL, document.baseURI)),
      logger: this.opts.logger,
      onStream: (peerId, stream) => this.onSfuStream(peerId, stream),
      onFlowing: (peerId) => {
        const peer = this.peers.get(peerId);
        if (peer !== undefined && this.paths.audio(peerId, 'sfu') === 'moved') this.moved(peer, 'sfu', 'audio');
      },
      onFigures: (peerId, figures) => this.noteFigures(peerId, figures, 'sfu'),
    });
    this.sfu = sfu;
    try {
      await sfu.start();
    } catch (err) {
      await sfu.stop().catch(() => undefined);
      if (this.sfu === sfu) this.sfu = undefined;
      this.paths.preferred = 'mesh';
      throw err;
    }
    if (this.sfu !== sfu) throw new Error('the SFU path was stopped while it started');
    this.sfuRoom = room;
    this.opts.logger.info('sfu-started', { janus: spec.janusUrl, room });
    return room;
  }

  /** Leave the SFU: its subscriptions close (a peer whose mesh link is up plays from it), then the uplink and the session. */
  async stopSfu(): Promise<void> {
    const sfu = this.sfu;
    this.sfu = undefined;
    this.sfuRoom = undefined;
    this.paths.preferred = 'mesh';
    if (sfu === undefined) return;
    await sfu.stop().catch((err: unknown) => this.opts.logger.warn('sfu-stop-failed', { error: err instanceof Error ? err.message : String(err) }));
    this.opts.logger.info('sfu-stopped', { ...sfu.stats });
  }

  preferPath(path: MediaPath): void {
    this.paths.preferred = path;
  }

  peerPath(id: string): MediaPath | undefined {
    return this.paths.from(id);
  }

  hasSfuStream(id: string): boolean {
    return this.paths.has(id, 'sfu');
  }

  /** The SFU path's SFrame counts, or undefined off the SFU (tests and the debug handle read them). */
  get sfuStats(): BrowserSfuStats | undefined {
    return this.sfu?.stats;
  }

  setMuted(muted: boolean): void {
    this.talk.setMuted(muted);
  }

  setDeafened(deafened: boolean): void {
    this.deafened = deafened;
    this.output.gain.value = deafened ? 0 : 1;
  }

  setPeerVolume(id: string, percent: number): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    peer.volumePercent = Math.max(0, Math.min(200, percent));
    this.applyPeerGain(peer);
  }

  setPeerMuted(id: string, muted: boolean): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    peer.mutedByMe = muted;
    this.applyPeerGain(peer);
  }

  setPushToTalk(enabled: boolean): void {
    this.talk.setPushToTalk(enabled);
  }

  /** The browser's own processing stage on the live microphone track. */
  setProcessing(stage: FilterStageName, enabled: boolean): void {
    const track = this.track;
    if (track === null || this.stageState(stage) === 'unavailable') return;
    this.wanted.set(stage, enabled);
    // applyConstraints replaces the whole set: restate the others as they are now, or they fall back to the browser's defaults.
    const current = this.processingStates();
    const constraint = (s: FilterStageName): boolean => (s === stage ? enabled : current[s] === 'on');
    track
      .applyConstraints({
        channelCount: 1,
        echoCancellation: constraint('echo-cancellation'),
        noiseSuppression: constraint('noise-suppression'),
        autoGainControl: constraint('auto-gain'),
      })
      .then(() => {
        if (track.getSettings()[STAGE_CONSTRAINT[stage]] !== enabled) this.opts.logger.warn('processing-not-changed', { stage, wanted: enabled });
      })
      .catch((err: unknown) => this.opts.logger.warn('processing-failed', { stage, error: err instanceof Error ? err.message : String(err) }))
      .finally(() => this.wanted.delete(stage));
  }

  /** Not available in the browser: the remote audio is played by libwebrtc and Web Audio, never by our code. */
  setPeerNoiseSuppression(_id: string, _enabled: boolean): void {}

  setTalking(pressed: boolean): void {
    this.talk.setTalking(pressed);
  }

  get self(): SelfMediaState {
    return {
      micLevel: this.micMeter.level,
      speaking: this.talk.transmitting && this.micSpeaking.speaking,
      muted: this.talk.muted,
      deafened: this.deafened,
      pushToTalk: this.talk.pushToTalk,
      talking: this.talk.talking,
      processing: this.processingStates(),
      // The page does not record (no setRecording); it shows who in the room does (PeerView.recording).
      recording: RECORDING_OFF,
      audio: this.audioEnds(),
    };
  }

  /** The browser's own devices (it lists none to us); the speaker is lost while the page's sound has not started. */
  private audioEnds(): AudioEndsState {
    const running = this.audioContext.state === 'running' || this.stopped;
    const output = running ? BROWSER_OUTPUT : BROWSER_OUTPUT_NOT_STARTED;
    return output === this.lastEnds.output ? this.lastEnds : (this.lastEnds = { input: BROWSER_INPUT, output, devices: null });
  }

  peerStats(id: string): PeerMediaStats | undefined {
    const peer = this.peers.get(id);
    if (peer === undefined) return undefined;
    return {
      receive: receiveStats(peer.figures, peer.previous, FRAME_SAMPLES),
      send: sendStats(peer.figures),
      sendSkippedNotOpen: 0,
      bytesReceived: peer.figures.transportBytesReceived,
      rtcpReceived: 0,
      malformedReceived: 0,
      rttMs: peer.figures.rttMs,
      level: peer.meter.level,
      speaking: peer.speaking.speaking,
      volumePercent: peer.volumePercent,
      mutedByMe: peer.mutedByMe,
      noiseSuppression: false,
      // libwebrtc sends RED itself when negotiated and prefers it; how many frames it repeats is not in getStats().
      redDistance: null,
    };
  }

  get captureStats(): CapturePipelineStats {
    // libwebrtc encodes and sends: only what the page itself measures is filled in.
    return {
      ...emptyCaptureStats(),
      framesCaptured: this.framesCaptured,
      lastLevelDbfs: this.micMeter.level > 0 ? 20 * Math.log10(this.micMeter.level) : -Infinity,
      peers: this.peers.size,
    };
  }

  // ---- internals ----

  private stageState(stage: FilterStageName): FilterState {
    const actual = this.track?.getSettings?.()[STAGE_CONSTRAINT[stage]];
    if (this.track !== null && typeof actual !== 'boolean') return 'unavailable';
    const on = this.wanted.get(stage) ?? actual ?? this.opts.processing ?? true;
    return on ? 'on' : 'off';
  }

  private processingStates(): ProcessingStates {
    return {
      'echo-cancellation': this.stageState('echo-cancellation'),
      'noise-suppression': this.stageState('noise-suppression'),
      'auto-gain': this.stageState('auto-gain'),
    };
  }

  /** A disabled track sends silence (W3C mediacapture-main §4.3.1): mute without renegotiating. */
  private applyTransmitState(): void {
    if (this.track !== null) this.track.enabled = this.talk.transmitting;
  }

  private applyPeerGain(peer: PeerAudio): void {
    peer.gain.gain.value = peer.mutedByMe ? 0 : peer.volumePercent / 100;
  }

  private ensurePeer(id: string): PeerAudio {
    const existing = this.peers.get(id);
    if (existing !== undefined) return existing;
    const ctx = this.audioContext;
    const gain = ctx.createGain();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    gain.connect(analyser);
    analyser.connect(this.output);
    const peer: PeerAudio = {
      id,
      volumePercent: 100,
      mutedByMe: false,
      streams: { mesh: null, sfu: null },
      pathFigures: { mesh: EMPTY_FIGURES, sfu: EMPTY_FIGURES },
      gain,
      analyser,
      meter: new PeakMeter(),
      speaking: new SpeakingDetector({ frameMs: this.opts.meterMs ?? FRAME_MS }),
      figures: EMPTY_FIGURES,
      previous: EMPTY_FIGURES,
    };
    this.peers.set(id, peer);
    return peer;
  }

  private onSfuStream(peerId: string, stream: MediaStream | null): void {
    if (this.stopped) return;
    if (stream !== null) {
      this.paths.add(peerId, 'sfu');
      this.attach(this.ensurePeer(peerId), 'sfu', stream);
      return;
    }
    const peer = this.peers.get(peerId);
    if (peer === undefined) return;
    this.detach(peer, 'sfu');
    peer.pathFigures.sfu = EMPTY_FIGURES;
    const change = this.paths.remove(peerId, 'sfu');
    if (change.kind === 'gone') this.dropPeer(peer);
    else if (change.kind === 'moved') this.moved(peer, change.to, 'sfu-closed');
  }

  /**
   * A path's stream for a peer. Chromium decodes a remote stream only while
   * an element plays it, so each path gets a muted element; only the path
   * the peer plays from reaches the gain.
   */
  private attach(peer: PeerAudio, path: MediaPath, stream: MediaStream): void {
    this.detach(peer, path);
    const element = new Audio();
    element.muted = true;
    element.srcObject = stream;
    element.play().catch((err: unknown) => this.opts.logger.warn('remote-audio-play-refused', { peer: peer.id, path, error: String(err) }));
    const source = this.audioContext.createMediaStreamSource(stream);
    peer.streams[path] = { element, source };
    if (this.paths.from(peer.id) === path) source.connect(peer.gain);
  }

  private detach(peer: PeerAudio, path: MediaPath): void {
    const attached = peer.streams[path];
    if (attached === null) return;
    peer.streams[path] = null;
    attached.source.disconnect();
    attached.element.pause();
    attached.element.srcObject = null;
  }

  /** The peer plays from `to` now: its stream there reaches the gain, the other path's does not; the figures shown follow. */
  private moved(peer: PeerAudio, to: MediaPath, reason: 'audio' | 'mesh-closed' | 'sfu-closed'): void {
    const other: MediaPath = to === 'mesh' ? 'sfu' : 'mesh';
    peer.streams[other]?.source.disconnect();
    peer.streams[to]?.source.connect(peer.gain);
    peer.figures = peer.previous = peer.pathFigures[to];
    this.opts.logger.info('peer-path', { peer: peer.id, path: to, reason });
  }

  private dropPeer(peer: PeerAudio): void {
    this.detach(peer, 'mesh');
    this.detach(peer, 'sfu');
    peer.gain.disconnect();
    peer.analyser.disconnect();
    this.paths.forget(peer.id);
    this.peers.delete(peer.id);
  }

  private updateMeters(): void {
    const buf = this.scratch.subarray(0, 1024);
    if (this.micAnalyser !== null) {
      this.micAnalyser.getFloatTimeDomainData(buf);
      this.framesCaptured++;
      this.micMeter.update(peakLevelOfFloats(buf));
      this.micSpeaking.update(rmsLevelOfFloats(buf));
    }
    for (const peer of this.peers.values()) {
      peer.analyser.getFloatTimeDomainData(buf);
      peer.meter.update(peakLevelOfFloats(buf));
      peer.speaking.update(rmsLevelOfFloats(buf));
    }
  }
}
