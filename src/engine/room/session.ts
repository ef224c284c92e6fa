/**
 * The P2P session: one participant in one room, and the SessionController
 * (engine/api.ts) the UI and the CLI drive. It ties together
 *
 *   SignalingClient (who is in the room; encrypted relay of link signals)
 *   PeerLink per remote peer (full mesh; ICE/DTLS-SRTP over node-datachannel)
 *   the media side (MediaPort: a MediaEngine here, or the media process)
 *
 * This module is the controller: start, leave, actions, snapshots, the
 * session phase and the periodic tick. The mesh rules live next to it
 * (docs/architecture.md §4): roster.ts (who is in the call, who offers),
 * link-lifecycle.ts (generations, rebuilds, connect timeout), liveness.ts
 * (peers off the server are kept while their link brings packets) and
 * views.ts (PeerView and --stats figures). Signaling outages do not touch
 * links: established calls keep their audio while the server is away, and
 * the client rejoins by itself. It knows nothing of React or yargs.
 *
 * Knocks and chat (docs/architecture.md §4): the snapshot lists who knocks
 * at our locked room (answered with `answer-knock`), and the room's chat
 * (room/chat.ts), whose messages travel on each peer's current link.
 *
 * Recording (docs/architecture.md §2 and §4): `set-recording` reaches the
 * media side with a file path the caller's `recording.path` resolves (the
 * media side writes the file); our recording mark goes to every peer on the
 * chat channel (room/recording-mark.ts), theirs comes back as
 * PeerView.recording, and the chat notes who starts and stops.
 *
 * The media path (docs/architecture.md §11): mesh links, or the SFU, as the
 * server says in `joined` and, when the room switches by its size, in
 * `media-path`. A switch is made before break (onMediaPath, progressSwitch):
 * the new path comes up beside the old one, and a peer's old path closes
 * once both ends play each other from the new one.
 */
import { resolveBackoff, type BackoffOptions } from '../../core/backoff.js';
import { monotonicClock, type Clock, type TimerHandle } from '../../core/clock.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { describeMediaPath } from '../api.js';
import type { MediaPath, KnockView, PeerView, SessionAction, SessionController, SessionError, SessionPhase, SessionSnapshot } from '../api.js';
import type { KnockOutcome, SfuRoute } from '../../protocol/index.js';
import { ChatLog, sanitizeChatText } from './chat.js';
import { RECORDING_OFF, type MediaPort, type RecordingState } from '../media/media-port.js';
import { announceRecording, parseRecordingMark, type ChatCarrier } from './recording-mark.js';
import type { IceServerConfig } from '../mesh/ice-servers.js';
import type { SignalingClient, SignalingEvents, SignalingState } from '../signaling/client.js';
import type { SessionEnvelope } from './envelope.js';
import {
  DEFAULT_INACTIVITY_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_MS,
  DEFAULT_LINK_CONNECT_TIMEOUT_MS,
  DEFAULT_REBUILD_BACKOFF,
  DEFAULT_SILENCE_GRACE_MS,
  LinkLifecycle,
} from './link-lifecycle.js';
import { DEFAULT_ALIVE_WINDOW_MS } from './liveness.js';
import type { LinkFactory, PeerEntry } from './peer-entry.js';
import { Roster } from './roster.js';
import { peerSessionStats, peerView, type PeerSessionStats } from './views.js';

export type { LinkFactory, SessionLink, SessionLinkOptions } from './peer-entry.js';
export type { PeerSessionStats } from './views.js';

/** What the session needs of the signaling client (SignalingClient in production). */
export type SessionSignaling = Pick<SignalingClient, 'peerId' | 'state' | 'peers' | 'locked' | 'connect' | 'send' | 'lock' | 'unlock' | 'answerKnock' | 'close' | 'on'> &
  Partial<Pick<SignalingClient, 'roomId' | 'mediaSecret'>>;

export interface SessionOptions {
  /** The media side: a MediaEngine in this thread, or the media process's proxy (docs/architecture.md §1). */
  engine: MediaPort;
  signaling: SessionSignaling;
  roomCode: string;
  serverUrl: string;
  name: string;
  iceServers: IceServerConfig[];
  relayOnly?: boolean;
  /** Bind ICE to one local address (tests and benchmarks: 127.0.0.1). */
  bindAddress?: string;
  /** Builds each link beside the media engine: media/engine-links.ts in this thread, the media process's proxy otherwise. */
  linkFactory: LinkFactory;
  clock?: Clock;
  logger?: Logger;
  /** Shown in the snapshot while a UI owns the terminal. */
  logFile?: string;
  /** PeerLink keepalive when nothing else was sent (default 1000 ms). */
  keepaliveMs?: number;
  /** PeerLink reports 'disconnected' after this long without packets (default 3000 ms). */
  inactivityTimeoutMs?: number;
  /** A peer the server lost is kept while its link brought a packet within this window (default 2000 ms). */
  aliveWindowMs?: number;
  /** Offerer's rebuild delays (default 250 ms doubling to 5000 ms, jitter 0). */
  rebuildBackoff?: Partial<BackoffOptions>;
  /** [0, 1) for rebuild jitter when `rebuildBackoff.jitter` > 0 (default Math.random). */
  random?: () => number;
  /** Offerer rebuilds a link that is not connected after this long (default 10000 ms). */
  linkConnectTimeoutMs?: number;
  /** A silent link may recover by itself this long before it is rebuilt (default 1500 ms). */
  silenceGraceMs?: number;
  /** Snapshot notifications while in a call, for levels, and the liveness sweep (default 100 ms). */
  tickMs?: number;
  /**
   * While the room switches mesh ↔ SFU, both paths run at most this long after the new one is up
   * before the old one closes for peers that never said they moved (default 6000 ms).
   */
  switchTimeoutMs?: number;
  /** Wall-clock time (ms since the epoch) for chat lines and knocks (default Date.now). */
  wallClock?: () => number;
  /**
   * Recording the call, where the media side can (not in the web page). `path`
   * turns what the user asked for (a file name, relative to where they
   * are, or nothing) into the absolute path the media side writes, and may
   * throw an Error that says what is wrong; `startWith` starts a recording
   * as soon as the media side is up (`--record FILE`).
   */
  recording?: { path(requested: string | undefined): string; readonly startWith?: string };
}

const DEFAULT_TICK_MS = 100;
/**
 * A switch's fallback: a peer that is silent sends nothing on the new path, so
 * nothing says its stream moved; silence loses nothing when its old path
 * closes. 6 s is several times what the new path needs to come up (an SFU
 * subscription or a mesh link: about 1 s on the loaded 2-core machine).
 */
export const DEFAULT_SWITCH_TIMEOUT_MS = 6000;

export class Session implements SessionController {
  private readonly opts: SessionOptions;
  private readonly engine: MediaPort;
  private readonly signaling: SessionSignaling;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly tickMs: number;
  private readonly links: LinkLifecycle;
  private readonly roster: Roster;
  private readonly listeners = new Set<(s: SessionSnapshot) => void>();
  private phase: SessionPhase = 'connecting-server';
  private error: SessionError | undefined;
  private startedMs: number;
  private tickTimer: TimerHandle | undefined;
  private started = false;
  private leaving: Promise<void> | undefined;
  /** Set synchronously when shutdown begins, before any await (events during it are ignored). */
  private closing = false;
  private wasReconnecting = false;
  private readonly wallClock: () => number;
  /** Knocks at our locked room waiting for an answer, in arrival order. */
  private readonly knocks = new Map<string, KnockView>();
  private readonly chat: ChatLog;
  /** The relay as a chat carrier, one per peer entry (chatCarrier). */
  private readonly relayCarriers = new WeakMap<PeerEntry, ChatCarrier>();
  /** Our recording as last seen, to tell the chat and the peers what changed. */
  private ownRecording: RecordingState = RECORDING_OFF;
  /** How the room's media travels, from the server's first `joined` (docs/architecture.md §11). */
  private mediaPath: MediaPath | undefined;
  /** Our media going up to the SFU, in an SFU room: start() waits for it. */
  private sfuStarting: Promise<void> | undefined;
  /** Starting and stopping the SFU path, one after the other. */
  private sfuChain: Promise<unknown> = Promise.resolve();
  /** When our SFU path came up in the current SFU phase (a switch's timeout counts from it). */
  private sfuUpAtMs: number | undefined;
  /** When the room's media path last changed, while that switch is under way. */
  private switchStartedMs: number | undefined;
  private readonly switchTimeoutMs: number;
  /** Roster events held until the media side has started (see wireSignaling); undefined once it has. */
  private mediaWaiting: Array<() => void> | undefined = [];
  private resolveDone!: () => void;
  /** Resolves once the session has left (by leave(), an action, or a failure). */
  readonly done: Promise<void>;

  constructor(options: SessionOptions) {
    this.opts = options;
    this.engine = options.engine;
    this.signaling = options.signaling;
    this.clock = options.clock ?? monotonicClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'session' });
    this.tickMs = options.tickMs ?? DEFAULT_TICK_MS;
    this.switchTimeoutMs = options.switchTimeoutMs ?? DEFAULT_SWITCH_TIMEOUT_MS;
    this.startedMs = this.clock.now();
    this.wallClock = options.wallClock ?? Date.now;
    this.chat = new ChatLog(this.wallClock);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.links = new LinkLifecycle({
      engine: this.engine,
      factory: options.linkFactory,
      settings: {
        iceServers: options.iceServers,
        ...(options.relayOnly !== undefined ? { relayOnly: options.relayOnly } : {}),
        ...(options.bindAddress !== undefined ? { bindAddress: options.bindAddress } : {}),
        cname: `roundtable-${this.signaling.peerId.slice(0, 16)}`,
        keepaliveMs: options.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
        inactivityTimeoutMs: options.inactivityTimeoutMs ?? DEFAULT_INACTIVITY_TIMEOUT_MS,
        linkConnectTimeoutMs: options.linkConnectTimeoutMs ?? DEFAULT_LINK_CONNECT_TIMEOUT_MS,
        silenceGraceMs: options.silenceGraceMs ?? DEFAULT_SILENCE_GRACE_MS,
        rebuildBackoff: resolveBackoff({ ...DEFAULT_REBUILD_BACKOFF, ...options.rebuildBackoff }),
        random: options.random ?? Math.random,
      },
      clock: this.clock,
      log: this.log,
      linkLogger: options.logger ?? silentLogger,
      hooks: {
        isCurrent: (entry) => !this.closing && this.roster.holds(entry),
        send: (to, env) => this.send(to, env),
        lost: (entry) => this.roster.teardown(entry, 'disconnected'),
        left: (entry) => this.roster.teardown(entry, 'left'),
        createFailed: (_entry, message) => {
          this.error ??= { message: `cannot create a connection: ${message}`, hint: 'check ice.servers in the config file' };
          this.notify();
        },
        changed: () => this.changed(),
        chat: (entry, text) => this.onChat(entry, text),
      },
    });
    this.roster = new Roster({
      engine: this.engine,
      links: this.links,
      serverPeers: () => this.signaling.peers,
      clock: this.clock,
      log: this.log,
      aliveWindowMs: options.aliveWindowMs ?? DEFAULT_ALIVE_WINDOW_MS,
      finalStats: (entry, reason) => this.peerStats(entry, reason),
      changed: () => this.changed(),
      arrived: (entry) => this.chat.notice(entry.role === 'offerer' ? `${entry.name} is here` : `${entry.name} joined`),
      departed: (entry) => this.chat.notice(`${entry.name} left`),
      chat: (entry, text) => this.onChat(entry, text),
    });
  }

  /** Our id in the room (stable across signaling reconnects). */
  get selfId(): string {
    return this.signaling.peerId;
  }

  /**
   * Start the media engine, then connect and join. Rejects (and the session
   * is 'failed', engine stopped) when the server cannot be reached or
   * refuses the join; the error is the signaling client's.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error('Session already started');
    this.started = true;
    this.startedMs = this.clock.now();
    this.wireSignaling();
    this.engine.onFailure = (message) => {
      if (this.closing) return;
      this.error ??= { message, hint: 'the call ended because its audio stopped; the log file has the details' };
      this.log.error('media-failed', { error: message });
      void this.shutdown('failed');
    };
    // The media side (possibly a process to start) and the signaling connection come up together.
    const media = this.engine.start();
    const connected = this.signaling.connect();
    connected.catch(() => undefined); // handled below, after the media side
    try {
      await media;
    } catch (err) {
      await this.signaling.close().catch(() => undefined);
      throw err;
    }
    const waiting = this.mediaWaiting ?? [];
    this.mediaWaiting = undefined;
    for (const run of waiting) run();
    const startWith = this.opts.recording?.startWith;
    if (startWith !== undefined) this.setRecording(true, startWith);
    this.notify();
    await this.orFail(connected, 'join-failed', 'check --server (is `roundtable serve` running there?)');
    if (this.sfuStarting !== undefined) {
      await this.orFail(this.sfuStarting, 'sfu-failed', 'is the Janus that `roundtable serve --janus` names running, and reachable from here?');
    }
    this.scheduleTick();
    this.updatePhase();
  }

  /**
   * The server says how the room's media travels: in the first `joined`, in a
   * rejoin's, and in `media-path` when the room switches by its size
   * (docs/architecture.md §11). The first answer just starts that path (an
   * SFU room's start() waits for its SFU); a change starts a switch, make
   * before break: the new path comes up beside the old one, each peer's
   * stream moves to the new path once it brings that peer's audio, and the
   * old path closes per peer once both ends play each other from the new one
   * (progressSwitch). The media secret goes only to our own media process.
   */
  private onMediaPath(sfu: SfuRoute | undefined, reason: 'joined' | 'rejoin' | 'server'): void {
    const path: MediaPath = sfu === undefined ? 'mesh' : 'sfu';
    if (path === this.mediaPath) return;
    const first = this.mediaPath === undefined;
    this.mediaPath = path;
    this.log.info('media-path', { path, reason, message: `media: ${describeMediaPath(path)}` });
    if (!first) {
      this.switchStartedMs = this.clock.now();
      for (const entry of this.roster.peers) {
        // What either end said about the previous switch means nothing for this one.
        entry.heardVia = undefined;
        entry.heardSfu = undefined;
        entry.toldVia = undefined;
      }
      this.chat.notice(`the room's media now goes ${path === 'sfu' ? 'through the SFU' : 'peer to peer'}`);
    }
    this.roster.viaSfu = path === 'sfu';
    if (sfu !== undefined) {
      this.startSfuPath(sfu, first);
    } else if (!first) {
      this.engine.preferPath?.('mesh');
      for (const entry of [...this.roster.peers]) this.roster.buildMesh(entry);
    }
    this.notify();
  }

  private startSfuPath(sfu: SfuRoute, first: boolean): void {
    this.sfuUpAtMs = undefined;
    const { roomId, mediaSecret } = this.signaling;
    let starting: Promise<void>;
    if (this.engine.startSfu === undefined || roomId === undefined || mediaSecret === undefined) {
      starting = Promise.reject(new Error('this room goes through an SFU, which this client cannot use here'));
    } else {
      const startSfu = this.engine.startSfu.bind(this.engine);
      const spec = {
        janusUrl: sfu.janus,
        roomId,
        maxPublishers: sfu.publishers,
        peerId: this.signaling.peerId,
        mediaSecret,
        ...(this.opts.bindAddress !== undefined ? { bindAddress: this.opts.bindAddress } : {}),
      };
      // After a stop still under way (a room that came back to the SFU quickly), never beside it.
      starting = this.sfuChain.then(() => startSfu(spec)).then((room) => {
        this.log.info('sfu-publishing', { janus: sfu.janus, room });
        if (this.mediaPath === 'sfu') this.sfuUpAtMs = this.clock.now();
      });
    }
    this.sfuChain = starting.catch(() => undefined);
    if (first) {
      // start() waits for it, and fails the session if it cannot be reached.
      this.sfuStarting = starting;
      starting.catch(() => undefined);
      return;
    }
    starting.catch((err: unknown) => {
      // Mid-call the mesh links we have stay (progressSwitch closes none without the SFU up).
      const message = err instanceof Error ? err.message : String(err);
      this.log.error('sfu-failed', { error: message, hint: 'is the Janus that `roundtable serve --janus` names running, and reachable from here?' });
      this.chat.notice(`${message}: until the room is back on the mesh, only peers whose mesh link stays up are heard`);
      this.notify();
    });
  }

  /**
   * Every tick while a switch is under way: tell each peer which path we
   * play it from (`via`), and close the old path where both ends play each
   * other from the new one. A peer that never says so (silent, so nothing
   * of it ever arrived on the new path; or an older client) is switched
   * anyway `switchTimeoutMs` after the new path came up: after our SFU path
   * came up and the SFU carries that peer's audio and ours both ways, or
   * once every mesh link is connected (at the latest three times the timeout).
   */
  private progressSwitch(): void {
    if (this.switchStartedMs === undefined) return;
    const now = this.clock.now();
    for (const entry of this.roster.peers) {
      const via = this.engine.peerPath?.(entry.id);
      const sfu = this.engine.hasSfuStream?.(entry.id) ?? false;
      if (via !== undefined && `${via}/${sfu}` !== entry.toldVia) {
        entry.toldVia = `${via}/${sfu}`;
        this.send(entry.id, { t: 'via', path: via, sfu });
      }
    }
    const onBoth = (entry: PeerEntry, path: MediaPath): boolean => entry.heardVia === path && this.engine.peerPath?.(entry.id) === path;
    if (this.mediaPath === 'sfu') {
      // Without our SFU path up (still starting, or it failed) the mesh links stay.
      if (this.sfuUpAtMs === undefined) return;
      // A silent peer's mesh link closes at the timeout once the SFU carries both ways between us (Janus
      // may take a few seconds to offer a feed): we have its stream, and it said it has ours (a peer that
      // never said anything is taken at its word). At the latest three times the timeout after our SFU came up.
      const elapsed = now - this.sfuUpAtMs;
      let meshLeft = 0;
      for (const entry of [...this.roster.peers]) {
        if (!entry.mesh) continue;
        const bothWays = this.engine.hasSfuStream?.(entry.id) !== false && entry.heardSfu !== false;
        const late = (elapsed >= this.switchTimeoutMs && bothWays) || elapsed >= 3 * this.switchTimeoutMs;
        if (onBoth(entry, 'sfu')) this.roster.releaseMesh(entry, 'both-ends-on-sfu');
        else if (late) this.roster.releaseMesh(entry, 'switch-timeout');
        else meshLeft++;
      }
      if (meshLeft === 0) this.endSwitch(now);
      return;
    }
    // Silent peers never say they moved; their mesh link being up is what the fallback waits for, so that
    // leaving the SFU never takes away a peer whose link is still connecting (a link gets 10 s for that, §4).
    const elapsed = now - this.switchStartedMs;
    const linksUp = [...this.roster.peers].every((entry) => entry.linkState === 'connected');
    const late = (elapsed >= this.switchTimeoutMs && linksUp) || elapsed >= 3 * this.switchTimeoutMs;
    if (!late && [...this.roster.peers].some((entry) => !onBoth(entry, 'mesh'))) return;
    this.endSwitch(now);
    const stopSfu = this.engine.stopSfu?.bind(this.engine);
    if (stopSfu === undefined) return;
    this.sfuChain = this.sfuChain
      .then(() => stopSfu())
      .then(() => this.log.info('sfu-left', {}))
      .catch((err: unknown) => this.log.warn('sfu-stop-failed', { error: err instanceof Error ? err.message : String(err) }));
  }

  private endSwitch(now: number): void {
    this.log.info('media-path-switched', { path: this.mediaPath, afterMs: Math.round(now - (this.switchStartedMs ?? now)) });
    this.switchStartedMs = undefined;
    this.notify();
  }

  // ---- SessionController ----

  snapshot(): SessionSnapshot {
    const peers: PeerView[] = [];
    for (const entry of this.roster.peers) {
      const media = this.engine.peerStats(entry.id);
      // Without a mesh path a peer is connected once its subscription is a stream in our media (§11).
      if (!entry.mesh) entry.state = media === undefined ? 'connecting' : 'connected';
      peers.push(peerView(entry, media));
    }
    return {
      roomCode: this.opts.roomCode,
      serverUrl: this.opts.serverUrl,
      phase: this.phase,
      self: { name: this.opts.name, ...this.engine.self },
      peers,
      locked: this.signaling.locked,
      knocks: [...this.knocks.values()],
      chat: this.chat.lines,
      ...(this.mediaPath !== undefined ? { mediaPath: this.mediaPath } : {}),
      ...(this.error !== undefined ? { error: this.error } : {}),
      ...(this.opts.logFile !== undefined ? { logFile: this.opts.logFile } : {}),
    };
  }

  subscribe(listener: (snapshot: SessionSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispatch(action: SessionAction): void {
    const self = this.engine.self;
    switch (action.type) {
      case 'toggle-mute':
        this.engine.setMuted(!self.muted);
        break;
      case 'toggle-deafen':
        this.engine.setDeafened(!self.deafened);
        break;
      case 'set-peer-volume':
        if (!Number.isFinite(action.volumePercent)) return;
        this.engine.setPeerVolume(action.peerId, Math.max(0, Math.min(200, action.volumePercent)));
        break;
      case 'toggle-peer-mute': {
        const stats = this.engine.peerStats(action.peerId);
        if (stats === undefined) return;
        this.engine.setPeerMuted(action.peerId, !stats.mutedByMe);
        break;
      }
      case 'toggle-processing': {
        // Unavailable stays unavailable: switching it "on" would claim what cannot run.
        const state = self.processing[action.stage];
        if (state === undefined || state === 'unavailable') return;
        this.engine.setProcessing(action.stage, state === 'off');
        break;
      }
      case 'toggle-peer-noise-suppression': {
        const stats = this.engine.peerStats(action.peerId);
        if (stats === undefined || self.processing['noise-suppression'] === 'unavailable') return;
        this.engine.setPeerNoiseSuppression(action.peerId, !stats.noiseSuppression);
        break;
      }
      case 'set-push-to-talk':
        this.engine.setPushToTalk(action.enabled);
        break;
      case 'set-device':
        if (action.device.trim() === '') return;
        this.engine.setDevice?.(action.end, action.device);
        break;
      case 'refresh-devices':
        this.engine.refreshDevices?.();
        break;
      case 'start-output':
        this.engine.startOutput?.();
        break;
      case 'talk':
        this.engine.setTalking(action.pressed);
        break;
      case 'set-lock':
        // The server answers everyone (us too) with lock/unlock; the snapshot changes then.
        if (this.signaling.state !== 'joined') {
          this.log.warn('lock-not-sent', { locked: action.locked, signaling: this.signaling.state });
          return;
        }
        if (action.locked) this.signaling.lock();
        else this.signaling.unlock();
        break;
      case 'answer-knock': {
        // The server tells everyone how the knock ended (knock-end); the prompt goes then.
        const knock = this.knocks.get(action.peerId);
        if (knock === undefined || this.signaling.state !== 'joined') return;
        this.signaling.answerKnock(knock.id, action.admit);
        this.log.info('knock-answered', { peer: knock.id, name: knock.name, admit: action.admit });
        this.notify();
        return;
      }
      case 'send-chat':
        this.sendChat(action.text);
        return;
      case 'set-recording':
        this.setRecording(action.recording, action.path);
        return;
      case 'leave':
        void this.leave();
        return;
      default:
        return;
    }
    this.log.info('action', { action: action.type });
    this.notify();
  }

  /** Tell the room, close every link, stop the engine (output complete). Idempotent. */
  leave(): Promise<void> {
    return this.shutdown('left');
  }

  /** Per-peer figures: current peers, then those that left. */
  stats(): PeerSessionStats[] {
    return [...[...this.roster.peers].map((e) => this.peerStats(e)), ...this.roster.departed];
  }

  // ---- signaling ----

  private wireSignaling(): void {
    const s = this.signaling;
    // Roster events that arrive while we shut down are ignored; those that arrive before the
    // media side is up (it starts while we connect) wait for it, in order: links need its SSRC.
    const unlessClosing =
      <T>(fn: (arg: T) => void) =>
      (arg: T): void => {
        if (this.closing) return;
        if (this.mediaWaiting === undefined) fn(arg);
        else this.mediaWaiting.push(() => fn(arg));
      };
    s.on(
      'joined',
      unlessClosing((e) => {
        this.onMediaPath(e.sfu, e.rejoin ? 'rejoin' : 'joined');
        this.roster.onJoined(e);
      }),
    );
    s.on('media-path', unlessClosing((e) => this.onMediaPath(e.sfu, 'server')));
    s.on('peer-joined', unlessClosing((e) => this.roster.onPeerJoined(e)));
    s.on('peer-left', unlessClosing((e) => this.roster.onPeerLeft(e)));
    s.on('signal', unlessClosing((e) => this.roster.onSignal(e.from, e.data)));
    s.on('state', (state) => this.onSignalingState(state));
    s.on('lock', (e) => {
      if (this.closing) return;
      this.log.info(e.locked ? 'room-locked' : 'room-unlocked', { by: e.by === this.selfId ? 'self' : (this.signaling.peers.find((p) => p.id === e.by)?.name ?? e.by) });
      this.notify();
    });
    s.on('error', (err) => this.log.warn('signaling-error', { code: err.code, error: err.message }));
    s.on('knocking', (e) => {
      if (this.closing) return;
      this.log.info('knocking', { message: 'the room is locked: waiting to be let in', timeoutMs: e.timeoutMs });
      this.changed();
    });
    // A rejoin's `joined` is followed by the knocks pending now: forget the ones we knew.
    s.on('joined', () => this.knocks.clear());
    s.on('knock', (e) => {
      if (this.closing) return;
      const name = sanitizeChatText(e.name) || `peer-${e.id.slice(0, 6)}`;
      if (!this.knocks.has(e.id)) this.chat.notice(`${name} asks to join`);
      this.knocks.set(e.id, { id: e.id, name, sinceMs: this.wallClock() });
      this.log.info('knock', { peer: e.id, name, message: `${name} asks to join` });
      this.notify();
    });
    s.on('knock-end', (e) => {
      if (this.closing) return;
      const knock = this.knocks.get(e.id);
      this.knocks.delete(e.id);
      const name = knock?.name ?? `peer-${e.id.slice(0, 6)}`;
      const by = e.by === undefined ? undefined : e.by === this.selfId ? 'you' : this.nameOf(e.by);
      const text = knockEndText(name, e.outcome, by);
      this.chat.notice(text);
      this.log.info('knock-end', { peer: e.id, name, outcome: e.outcome, by: by ?? null, message: text });
      this.notify();
    });
  }

  /** A peer's name as the room knows it (the roster, else the server's list). */
  private nameOf(id: string): string {
    for (const entry of this.roster.peers) if (entry.id === id) return entry.name;
    return this.signaling.peers.find((p) => p.id === id)?.name ?? `peer-${id.slice(0, 6)}`;
  }

  // ---- chat ----

  /**
   * What carries chat-channel messages to `entry` now: its link's chat
   * channel while that is open (peer to peer), else the signaling relay,
   * sealed (envelope.ts `chat`): a room through the SFU has no channel, and
   * a mesh link has none until it is up. Undefined while neither can.
   * One relay carrier per entry, so the recording mark sees a change of
   * carrier as a new link and says it again there (recording-mark.ts).
   */
  private chatCarrier(entry: PeerEntry): ChatCarrier | undefined {
    const link = entry.link;
    if (link !== undefined && link.chatOpen) return link;
    if (this.signaling.state !== 'joined' || !entry.inRoster) return undefined;
    let carrier = this.relayCarriers.get(entry);
    if (carrier === undefined) {
      carrier = {
        chatOpen: true,
        sendChat: (text) => {
          this.send(entry.id, { t: 'chat', text });
          return true;
        },
      };
      this.relayCarriers.set(entry, carrier);
    }
    return carrier;
  }

  private sendChat(raw: string): void {
    const own = this.chat.own(this.opts.name, raw);
    if ('error' in own) {
      this.chat.notice(own.error);
      this.log.warn('chat-not-sent', { reason: own.error });
      this.notify();
      return;
    }
    let sent = 0;
    let unreachable = 0;
    for (const entry of this.roster.peers) {
      if (this.chatCarrier(entry)?.sendChat(own.wire) === true) sent++;
      else unreachable++;
    }
    this.log.info('chat', { from: this.opts.name, self: true, text: own.line.text, sent, unreachable });
    if (unreachable > 0) this.chat.notice(`${unreachable} of ${sent + unreachable} peers could not be reached (no connection to them, and the signaling server is away)`);
    this.notify();
  }

  private onChat(entry: PeerEntry, text: string): void {
    if (this.closing) return;
    const mark = parseRecordingMark(text);
    if (mark !== null) {
      this.onRecordingMark(entry, mark.on);
      return;
    }
    const result = this.chat.receive(entry.id, entry.name, text);
    if (result !== 'shown') {
      this.log.warn('chat-dropped', { peer: entry.id, reason: result });
      return;
    }
    const line = this.chat.lines[this.chat.lines.length - 1]!;
    this.log.info('chat', { from: entry.name, peer: entry.id, text: line.text, at: new Date(line.atMs).toISOString() });
    this.notify();
  }

  // ---- recording ----

  private setRecording(on: boolean, requested: string | undefined): void {
    const recording = this.opts.recording;
    if (recording === undefined || this.engine.setRecording === undefined) {
      this.chat.notice('recording is not available here');
      this.notify();
      return;
    }
    const state = this.engine.self.recording.state;
    if (!on) {
      if (state === 'off') return;
      this.engine.setRecording(false);
      this.log.info('action', { action: 'set-recording', recording: false });
      this.notify();
      return;
    }
    if (state === 'starting' || state === 'recording') return;
    let path: string;
    try {
      path = recording.path(requested);
    } catch (err) {
      const message = `cannot record: ${err instanceof Error ? err.message : String(err)}`;
      this.chat.notice(message);
      this.log.warn('recording-refused', { error: message });
      this.notify();
      return;
    }
    this.engine.setRecording(true, path);
    this.log.info('action', { action: 'set-recording', recording: true, path });
    this.notify();
  }

  /**
   * Every tick: what our recording did since the last one goes to the chat,
   * and our mark to every peer whose link has not heard it (recording-mark.ts).
   */
  private syncRecording(): void {
    const now = this.engine.self.recording;
    const before = this.ownRecording;
    this.ownRecording = now;
    const wasOn = before.state === 'recording' && now.count === before.count;
    const isOn = now.state === 'recording';
    if (isOn && !wasOn) this.chat.notice(`you are recording the call to ${now.path}`);
    const ended = now.state === 'off' && now.count > 0 && (before.state !== 'off' || now.count !== before.count);
    if (ended) this.chat.notice(now.error ?? `recording saved: ${now.path} (${Math.round(now.seconds)} s)`);
    for (const entry of this.roster.peers) {
      if (announceRecording(entry.markTold, this.chatCarrier(entry), isOn)) this.log.debug('recording-mark-sent', { peer: entry.id, on: isOn });
    }
  }

  private onRecordingMark(entry: PeerEntry, on: boolean): void {
    if (entry.recording === on) return;
    entry.recording = on;
    const text = `${entry.name} ${on ? 'started' : 'stopped'} recording`;
    this.chat.notice(text);
    this.log.info('peer-recording', { peer: entry.id, name: entry.name, recording: on, message: text });
    this.notify();
  }

  private onSignalingState(state: SignalingState): void {
    if (this.closing) return;
    if (state === 'reconnecting') {
      this.wasReconnecting = true;
      // Links are left alone: established calls keep their audio.
      this.log.warn('signaling-lost', { server: this.opts.serverUrl, peers: this.roster.size });
    } else if (state === 'joined' && this.wasReconnecting) {
      this.wasReconnecting = false;
      this.log.info('signaling-rejoined', { server: this.opts.serverUrl, peers: this.roster.size });
    } else if (state === 'closed' && this.started && this.phase !== 'connecting-server') {
      this.log.warn('signaling-closed', { server: this.opts.serverUrl });
    }
    this.changed();
  }

  private send(to: string, env: SessionEnvelope): void {
    this.signaling.send(to, env).catch((err: unknown) => {
      this.log.warn('signal-send-failed', { peer: to, error: err instanceof Error ? err.message : String(err) });
    });
  }

  // ---- phase, snapshots, ticks ----

  private changed(): void {
    this.updatePhase();
    this.notify();
  }

  private updatePhase(): void {
    if (this.closing || this.phase === 'failed' || this.phase === 'left') return;
    const s = this.signaling.state;
    let next: SessionPhase;
    if (s === 'idle' || (s === 'connecting' && this.phase === 'connecting-server')) next = 'connecting-server';
    else if (s === 'knocking') next = 'knocking';
    else if (s === 'reconnecting' || s === 'connecting') next = 'reconnecting-server';
    else next = this.roster.size === 0 ? 'waiting-for-peers' : 'in-call';
    if (next !== this.phase) {
      this.phase = next;
      this.log.info('phase', { phase: next });
    }
  }

  /** Every tick: the liveness sweep, then a snapshot for the levels. */
  /** Wait for a step of start(); if it fails, the session fails with `hint`, is shut down, and the error is thrown on. */
  private async orFail(step: Promise<unknown>, event: string, hint: string): Promise<void> {
    try {
      await step;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.error = { message, hint };
      this.log.error(event, { error: message });
      await this.shutdown('failed');
      throw err;
    }
  }

  private scheduleTick(): void {
    this.tickTimer = this.clock.setTimer(() => {
      this.tickTimer = undefined;
      if (this.closing) return;
      this.roster.sweep();
      this.progressSwitch();
      this.syncRecording();
      this.notify();
      this.scheduleTick();
    }, this.tickMs);
  }

  private notify(): void {
    if (this.listeners.size === 0) return;
    const snap = this.snapshot();
    for (const fn of [...this.listeners]) {
      try {
        fn(snap);
      } catch (err) {
        this.log.error('listener-threw', { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  private peerStats(entry: PeerEntry, goneReason: string | null = null): PeerSessionStats {
    return peerSessionStats(entry, this.engine.peerStats(entry.id), { startedMs: this.startedMs, nowMs: this.clock.now(), goneReason });
  }

  private shutdown(finalPhase: 'left' | 'failed'): Promise<void> {
    this.leaving ??= (async () => {
      this.closing = true;
      if (finalPhase === 'left') {
        this.phase = 'leaving';
        this.notify();
      }
      if (this.tickTimer !== undefined) this.clock.clearTimer(this.tickTimer);
      this.tickTimer = undefined;
      // Tell the room first (peers tear us down at once on 'left'): each peer
      // on its link, where our link's close follows in order, then the server.
      this.roster.sayGoodbye();
      await this.signaling.close().catch((err: unknown) => this.log.warn('signaling-close-failed', { error: String(err) }));
      this.roster.releaseAll('we-left');
      let phase = finalPhase;
      try {
        await this.engine.stop();
      } catch (err) {
        // An output that could not be finished (a WAV, the media process) is a failed call, not a clean leave.
        const message = err instanceof Error ? err.message : String(err);
        this.log.error('engine-stop-failed', { error: message });
        this.error ??= { message: `could not finish audio output: ${message}` };
        phase = 'failed';
      }
      this.phase = phase;
      this.log.info(phase === 'left' ? 'left' : 'failed', {});
      this.notify();
      this.resolveDone();
    })();
    return this.leaving;
  }
}

/** The chat's notice for a knock that ended ("ada let bob in", "nobody answered bob"). */
export function knockEndText(name: string, outcome: KnockOutcome, by: string | undefined): string {
  switch (outcome) {
    case 'admitted':
      return by === undefined ? `${name} was let in` : `${by} let ${name} in`;
    case 'denied':
      return by === undefined ? `${name} was turned away` : `${by} turned ${name} away`;
    case 'timeout':
      return `nobody answered ${name}`;
    case 'withdrawn':
      return `${name} stopped knocking`;
  }
}
