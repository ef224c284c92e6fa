/**
 * The P2P session: one participant in one room. It ties together
 *
 *   SignalingClient (who is in the room; encrypted relay of link signals)
 *   PeerLink per remote peer (full mesh; ICE/DTLS-SRTP over node-datachannel)
 *   MediaEngine (encode once → per-peer send loops; receive → jitter buffer → mixer)
 *
 * and exposes them to the UI and the CLI through SessionController
 * (session-api.ts). It knows nothing of React or yargs.
 *
 * Mesh rules (DESIGN.md §3):
 * - Who offers: the newcomer. Peers listed in our `joined` get an offer from
 *   us; peers announced by `peer-joined` offer to us. The role is fixed for
 *   the life of the peer entry, so rebuilds never glare.
 * - A link that fails or goes silent is replaced by a NEW PeerLink with the
 *   next generation number (libdatachannel has no ICE restart). Only the
 *   offering side builds one; the answering side asks for it with a
 *   `rebuild` envelope (session/envelope.ts) and follows the generation it
 *   is offered. Signals of older generations are dropped.
 * - Signaling outages do not touch links: established calls keep their
 *   audio while the server is away, and the client rejoins by itself.
 * - A peer the server reports gone ('left') is torn down at once. For other
 *   reasons (socket lost, SIGKILL) the peer is kept only while its link
 *   still brings packets (the remote engine sends RTCP at least every
 *   second, PeerLink a keepalive), so a dead peer disappears within about
 *   `aliveWindowMs`, and a live one whose signaling merely dropped keeps
 *   talking.
 */
import { monotonicClock, type Clock, type TimerHandle } from '../../core/clock.js';
import type { MediaEngine } from '../media/media-engine.js';
import { PeerLink, type CandidatePair, type LinkState, type PeerLinkOptions, type PeerLinkStats } from '../mesh/peer-link.js';
import type { IceServerConfig } from '../mesh/ice-servers.js';
import type { SignalingClient, SignalingEvents, SignalingState } from '../signaling/client.js';
import type {
  PeerConnectionState,
  PeerView,
  SessionAction,
  SessionController,
  SessionError,
  SessionPhase,
  SessionSnapshot,
} from '../api.js';
import { parseEnvelope, type SessionEnvelope } from './envelope.js';
import { silentLogger, type Logger } from '../../core/log.js';

/** What the session needs of a link; PeerLink is the production one. */
export interface SessionLink {
  start(): void;
  handleSignal(signal: unknown): void;
  sendRtp(packet: Uint8Array): boolean;
  sendRtcp(packet: Uint8Array): boolean;
  readonly isOpen: boolean;
  stats(): PeerLinkStats;
  selectedCandidatePair(): CandidatePair | null;
  localCandidateTypes(): string[];
  close(): void;
}

export type LinkFactory = (options: PeerLinkOptions) => SessionLink;

/** What the session needs of the signaling client (SignalingClient in production). */
export type SessionSignaling = Pick<SignalingClient, 'peerId' | 'state' | 'connect' | 'send' | 'close' | 'on'>;

export interface SessionOptions {
  engine: MediaEngine;
  signaling: SessionSignaling;
  roomCode: string;
  serverUrl: string;
  name: string;
  iceServers: IceServerConfig[];
  relayOnly?: boolean;
  /** Bind ICE to one local address (tests and benchmarks: 127.0.0.1). */
  bindAddress?: string;
  linkFactory?: LinkFactory;
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
  /** Rebuild backoff: first delay and cap (defaults 250 ms, 5000 ms), doubling per failed attempt. */
  rebuildInitialMs?: number;
  rebuildMaxMs?: number;
  /** Offerer rebuilds a link that is not connected after this long (default 10000 ms). */
  linkConnectTimeoutMs?: number;
  /** Snapshot notifications while in a call, for levels (default 100 ms). */
  tickMs?: number;
}

/** Per-peer figures for `--stats` (counters summed over every link generation). */
export interface PeerSessionStats {
  readonly id: string;
  readonly name: string;
  readonly role: 'offerer' | 'answerer';
  readonly state: PeerConnectionState;
  /** Links built for this peer (1 + rebuilds). */
  readonly linkGenerations: number;
  /** Negotiation → track open of the first link, ms. */
  readonly connectMs: number | null;
  /** Peer known → first connected, ms. */
  readonly timeToConnectMs: number | null;
  readonly packetsSent: number;
  readonly packetsReceived: number;
  readonly packetsLost: number;
  readonly packetsLate: number;
  readonly framesConcealed: number;
  readonly meanJitterBufferMs: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly rttMs: number | null;
  readonly selectedCandidatePair: CandidatePair | null;
  readonly localCandidateTypes: readonly string[];
  /** Session-relative times (ms since the session started). */
  readonly knownAtMs: number;
  readonly connectedAtMs: number | null;
  readonly goneAtMs: number | null;
  readonly goneReason: string | null;
}

interface PeerEntry {
  readonly id: string;
  name: string;
  readonly role: 'offerer' | 'answerer';
  gen: number;
  link: SessionLink | undefined;
  linkState: LinkState | 'none';
  state: PeerConnectionState;
  /** Still listed by the signaling server. */
  inRoster: boolean;
  lastPacketMs: number;
  knownAtMs: number;
  connectedAtMs: number | null;
  firstConnectMs: number | null;
  rebuildAttempt: number;
  rebuildTimer: TimerHandle | undefined;
  connectTimer: TimerHandle | undefined;
  rebuildAskedGen: number;
  /** Link counters of closed generations. */
  closedLinks: { packetsSent: number; bytesSent: number; packetsReceived: number; bytesReceived: number };
  lastPair: CandidatePair | null;
  localTypes: string[];
}

const DEFAULTS = {
  keepaliveMs: 1000,
  inactivityTimeoutMs: 3000,
  aliveWindowMs: 2000,
  rebuildInitialMs: 250,
  rebuildMaxMs: 5000,
  linkConnectTimeoutMs: 10_000,
  tickMs: 100,
};

const defaultLinkFactory: LinkFactory = (options) => new PeerLink(options);

export class Session implements SessionController {
  private readonly opts: SessionOptions;
  private readonly engine: MediaEngine;
  private readonly signaling: SessionSignaling;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly linkFactory: LinkFactory;
  private readonly cfg: typeof DEFAULTS;
  private readonly peers = new Map<string, PeerEntry>();
  private readonly departed: PeerSessionStats[] = [];
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
  private resolveDone!: () => void;
  /** Resolves once the session has left (by leave(), an action, or a failure). */
  readonly done: Promise<void>;

  constructor(options: SessionOptions) {
    this.opts = options;
    this.engine = options.engine;
    this.signaling = options.signaling;
    this.clock = options.clock ?? monotonicClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'session' });
    this.linkFactory = options.linkFactory ?? defaultLinkFactory;
    this.cfg = {
      keepaliveMs: options.keepaliveMs ?? DEFAULTS.keepaliveMs,
      inactivityTimeoutMs: options.inactivityTimeoutMs ?? DEFAULTS.inactivityTimeoutMs,
      aliveWindowMs: options.aliveWindowMs ?? DEFAULTS.aliveWindowMs,
      rebuildInitialMs: options.rebuildInitialMs ?? DEFAULTS.rebuildInitialMs,
      rebuildMaxMs: options.rebuildMaxMs ?? DEFAULTS.rebuildMaxMs,
      linkConnectTimeoutMs: options.linkConnectTimeoutMs ?? DEFAULTS.linkConnectTimeoutMs,
      tickMs: options.tickMs ?? DEFAULTS.tickMs,
    };
    this.startedMs = this.clock.now();
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
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
    await this.engine.start();
    this.notify();
    try {
      await this.signaling.connect();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.error = { message, hint: 'check --server (is `roundtable serve` running there?)' };
      this.log.error('join-failed', { error: message });
      await this.shutdown('failed');
      throw err;
    }
    this.scheduleTick();
    this.updatePhase();
  }

  // ---- SessionController ----

  snapshot(): SessionSnapshot {
    const self = this.engine.self;
    const peers: PeerView[] = [];
    for (const entry of this.peers.values()) peers.push(this.peerView(entry));
    return {
      roomCode: this.opts.roomCode,
      serverUrl: this.opts.serverUrl,
      phase: this.phase,
      self: { name: this.opts.name, ...self },
      peers,
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
      case 'set-push-to-talk':
        this.engine.setPushToTalk(action.enabled);
        break;
      case 'talk':
        this.engine.setTalking(action.pressed);
        break;
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
    return [...[...this.peers.values()].map((e) => this.peerStats(e)), ...this.departed];
  }

  // ---- signaling ----

  private wireSignaling(): void {
    const s = this.signaling;
    s.on('joined', (e) => this.onJoined(e));
    s.on('peer-joined', (e) => this.onPeerJoined(e));
    s.on('peer-left', (e) => this.onPeerLeft(e));
    s.on('signal', (e) => this.onSignal(e.from, e.data));
    s.on('state', (state) => this.onSignalingState(state));
    s.on('error', (err) => this.log.warn('signaling-error', { code: err.code, error: err.message }));
  }

  private onSignalingState(state: SignalingState): void {
    if (this.closing) return;
    if (state === 'reconnecting') {
      this.wasReconnecting = true;
      // Links are left alone: established calls keep their audio.
      this.log.warn('signaling-lost', { server: this.opts.serverUrl, peers: this.peers.size });
    } else if (state === 'joined' && this.wasReconnecting) {
      this.wasReconnecting = false;
      this.log.info('signaling-rejoined', { server: this.opts.serverUrl, peers: this.peers.size });
    } else if (state === 'closed' && this.started && this.phase !== 'connecting-server') {
      this.log.warn('signaling-closed', { server: this.opts.serverUrl });
    }
    this.updatePhase();
    this.notify();
  }

  private onJoined(e: SignalingEvents['joined']): void {
    if (this.closing) return;
    this.log.info('joined', { selfId: e.selfId, peers: e.peers.length, rejoin: e.rejoin });
    for (const p of e.peers) {
      const entry = this.peers.get(p.id);
      if (entry !== undefined) {
        entry.inRoster = true;
        entry.name = p.name;
        continue;
      }
      // They were here first: we are the newcomer and offer.
      this.addEntry(p.id, p.name, 'offerer');
    }
    this.updatePhase();
    this.notify();
  }

  private onPeerJoined(e: SignalingEvents['peer-joined']): void {
    if (this.closing) return;
    const entry = this.peers.get(e.id);
    if (entry !== undefined) {
      entry.inRoster = true;
      entry.name = e.name;
      this.log.info('peer-back-on-server', { peer: e.id, name: e.name });
      return;
    }
    // The newcomer offers to us: wait for its offer.
    this.addEntry(e.id, e.name, 'answerer');
    this.updatePhase();
    this.notify();
  }

  private onPeerLeft(e: SignalingEvents['peer-left']): void {
    const entry = this.peers.get(e.id);
    if (entry === undefined || this.closing) return;
    if (e.reason !== 'left' && this.linkAlive(entry)) {
      // Its signaling dropped but media still flows: keep the call, check again on every tick.
      entry.inRoster = false;
      this.log.info('peer-off-server-link-alive', { peer: e.id, name: entry.name, reason: e.reason });
      return;
    }
    this.teardown(entry, e.reason);
  }

  private onSignal(from: string, data: unknown): void {
    if (this.closing) return;
    const env = parseEnvelope(data);
    if (env === null) {
      this.log.warn('bad-envelope', { from });
      return;
    }
    let entry = this.peers.get(from);
    if (env.t === 'rebuild') {
      if (entry === undefined || entry.role !== 'offerer') return;
      if (env.gen === entry.gen && entry.rebuildTimer === undefined) {
        this.log.info('rebuild-requested', { peer: from, gen: env.gen });
        this.scheduleRebuild(entry, 0);
      }
      return;
    }
    if (entry === undefined) {
      // An offer from someone we have not seen announced yet (events raced); anything else is stale.
      if (!isOffer(env.signal)) return;
      entry = this.addEntry(from, this.rosterName(from), 'answerer');
    }
    if (entry.role === 'offerer') {
      if (env.gen === entry.gen) entry.link?.handleSignal(env.signal);
      return;
    }
    if (env.gen < entry.gen) return;
    if (env.gen > entry.gen || entry.link === undefined) {
      if (!isOffer(env.signal)) return;
      this.replaceLink(entry, env.gen);
    }
    entry.link?.handleSignal(env.signal);
  }

  private rosterName(id: string): string {
    const signaling = this.signaling as Partial<Pick<SignalingClient, 'peers'>>;
    return signaling.peers?.find((p) => p.id === id)?.name ?? `peer-${id.slice(0, 6)}`;
  }

  private send(to: string, env: SessionEnvelope): void {
    this.signaling.send(to, env).catch((err: unknown) => {
      this.log.warn('signal-send-failed', { peer: to, error: err instanceof Error ? err.message : String(err) });
    });
  }

  // ---- peers and links ----

  private addEntry(id: string, name: string, role: 'offerer' | 'answerer'): PeerEntry {
    const entry: PeerEntry = {
      id,
      name,
      role,
      gen: 0,
      link: undefined,
      linkState: 'none',
      state: 'connecting',
      inRoster: true,
      lastPacketMs: this.clock.now(),
      knownAtMs: this.clock.now(),
      connectedAtMs: null,
      firstConnectMs: null,
      rebuildAttempt: 0,
      rebuildTimer: undefined,
      connectTimer: undefined,
      rebuildAskedGen: 0,
      closedLinks: { packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0 },
      lastPair: null,
      localTypes: [],
    };
    this.peers.set(id, entry);
    // The transport follows whatever link is current, so rebuilding a link
    // keeps the peer's jitter buffer, decoder and stats in the engine.
    this.engine.addPeer(id, {
      sendRtp: (packet) => entry.link?.sendRtp(packet) ?? false,
      sendRtcp: (packet) => entry.link?.sendRtcp(packet) ?? false,
      isOpen: () => entry.link?.isOpen === true,
    });
    this.log.info('peer-joined', { peer: id, name, role });
    if (role === 'offerer') this.replaceLink(entry, 1);
    return entry;
  }

  /** Close the current link (if any) and build generation `gen`. */
  private replaceLink(entry: PeerEntry, gen: number): void {
    this.closeLink(entry);
    entry.gen = gen;
    entry.linkState = 'none';
    if (entry.connectedAtMs !== null) entry.state = 'reconnecting';
    let link: SessionLink | undefined;
    try {
      link = this.linkFactory({
        peerId: entry.id,
        role: entry.role,
        iceServers: this.opts.iceServers,
        ...(this.opts.relayOnly !== undefined ? { relayOnly: this.opts.relayOnly } : {}),
        ...(this.opts.bindAddress !== undefined ? { bindAddress: this.opts.bindAddress } : {}),
        ssrc: this.engine.ssrc,
        cname: `roundtable-${this.signaling.peerId.slice(0, 16)}`,
        keepaliveMs: this.cfg.keepaliveMs,
        inactivityTimeoutMs: this.cfg.inactivityTimeoutMs,
        clock: this.clock,
        logger: this.opts.logger ?? silentLogger,
        onSignal: (signal) => {
          if (entry.link === link) this.send(entry.id, { t: 'link', gen, signal });
        },
        onRtp: (packet, arrivalMs) => {
          if (entry.link !== link) return;
          entry.lastPacketMs = arrivalMs;
          this.engine.receive(entry.id, packet, arrivalMs);
        },
        onRtcp: (packet) => {
          if (entry.link !== link) return;
          const now = this.clock.now();
          entry.lastPacketMs = now;
          this.engine.receive(entry.id, packet, now);
        },
        onState: (state) => {
          if (entry.link === link) this.onLinkState(entry, state);
        },
      });
    } catch (err) {
      // Bad ICE configuration and the like: no rebuild can fix it.
      const message = err instanceof Error ? err.message : String(err);
      this.log.error('link-create-failed', { peer: entry.id, error: message });
      entry.state = 'failed';
      this.error ??= { message: `cannot create a connection: ${message}`, hint: 'check ice.servers in the config file' };
      this.notify();
      return;
    }
    entry.link = link;
    this.log.info('link-start', { peer: entry.id, gen, role: entry.role });
    if (entry.role === 'offerer') {
      entry.connectTimer = this.clock.setTimer(() => {
        entry.connectTimer = undefined;
        if (entry.link === link && entry.linkState !== 'connected') {
          this.log.warn('link-connect-timeout', { peer: entry.id, gen });
          this.scheduleRebuild(entry);
        }
      }, this.cfg.linkConnectTimeoutMs);
    }
    link.start();
  }

  private closeLink(entry: PeerEntry): void {
    const link = entry.link;
    if (entry.connectTimer !== undefined) this.clock.clearTimer(entry.connectTimer);
    entry.connectTimer = undefined;
    if (link === undefined) return;
    entry.link = undefined;
    const s = link.stats();
    entry.closedLinks.packetsSent += s.packetsSent;
    entry.closedLinks.bytesSent += s.bytesSent;
    entry.closedLinks.packetsReceived += s.packetsReceived;
    entry.closedLinks.bytesReceived += s.bytesReceived;
    try {
      link.close();
    } catch (err) {
      this.log.warn('link-close-failed', { peer: entry.id, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private onLinkState(entry: PeerEntry, state: LinkState): void {
    if (this.closing) return;
    entry.linkState = state;
    this.log.info('link-state', { peer: entry.id, name: entry.name, gen: entry.gen, state });
    switch (state) {
      case 'connecting':
        entry.state = entry.connectedAtMs === null ? 'connecting' : 'reconnecting';
        break;
      case 'connected': {
        entry.state = 'connected';
        entry.rebuildAttempt = 0;
        entry.lastPacketMs = this.clock.now();
        if (entry.rebuildTimer !== undefined) this.clock.clearTimer(entry.rebuildTimer);
        entry.rebuildTimer = undefined;
        const link = entry.link;
        if (link !== undefined) {
          entry.lastPair = link.selectedCandidatePair();
          entry.localTypes = link.localCandidateTypes();
          if (entry.firstConnectMs === null) entry.firstConnectMs = link.stats().connectMs;
        }
        const first = entry.connectedAtMs === null;
        if (first) entry.connectedAtMs = this.clock.now();
        this.log.info(first ? 'peer-connected' : 'peer-reconnected', {
          peer: entry.id,
          name: entry.name,
          gen: entry.gen,
          connectMs: link?.stats().connectMs ?? null,
          localCandidate: entry.lastPair?.local.type,
          remoteCandidate: entry.lastPair?.remote.type,
        });
        break;
      }
      case 'disconnected':
      case 'failed':
      case 'closed':
        if (!entry.inRoster) {
          this.teardown(entry, 'disconnected');
          return;
        }
        entry.state = 'reconnecting';
        this.scheduleRebuild(entry);
        break;
    }
    this.updatePhase();
    this.notify();
  }

  /**
   * The offerer replaces the link after a backoff (doubling per attempt, so
   * a peer that cannot be reached does not get a new PeerConnection every
   * few ms); the answerer asks the offerer once per generation.
   */
  private scheduleRebuild(entry: PeerEntry, delayOverrideMs?: number): void {
    if (entry.role === 'answerer') {
      if (entry.rebuildAskedGen !== entry.gen && entry.gen > 0) {
        entry.rebuildAskedGen = entry.gen;
        this.send(entry.id, { t: 'rebuild', gen: entry.gen });
      }
      return;
    }
    if (entry.rebuildTimer !== undefined) return;
    const delayMs = delayOverrideMs ?? Math.min(this.cfg.rebuildMaxMs, this.cfg.rebuildInitialMs * 2 ** entry.rebuildAttempt);
    entry.rebuildAttempt++;
    this.log.info('link-rebuild-scheduled', { peer: entry.id, gen: entry.gen + 1, delayMs });
    entry.rebuildTimer = this.clock.setTimer(() => {
      entry.rebuildTimer = undefined;
      if (this.closing || this.peers.get(entry.id) !== entry) return;
      if (entry.linkState === 'connected') return;
      this.replaceLink(entry, entry.gen + 1);
      this.notify();
    }, delayMs);
  }

  /** A packet (RTP or RTCP) arrived on the current link within the alive window. */
  private linkAlive(entry: PeerEntry): boolean {
    return entry.linkState === 'connected' && this.clock.now() - entry.lastPacketMs <= this.cfg.aliveWindowMs;
  }

  private teardown(entry: PeerEntry, reason: string): void {
    if (this.peers.get(entry.id) !== entry) return;
    const final = this.peerStats(entry, reason);
    if (entry.rebuildTimer !== undefined) this.clock.clearTimer(entry.rebuildTimer);
    entry.rebuildTimer = undefined;
    this.closeLink(entry);
    this.peers.delete(entry.id);
    this.engine.removePeer(entry.id);
    entry.state = 'closed';
    this.departed.push({ ...final, state: 'closed' });
    this.log.info('peer-left', { peer: entry.id, name: entry.name, reason });
    this.updatePhase();
    this.notify();
  }

  // ---- phase, snapshots, ticks ----

  private updatePhase(): void {
    if (this.closing || this.phase === 'failed' || this.phase === 'left') return;
    const s = this.signaling.state;
    let next: SessionPhase;
    if (s === 'idle' || (s === 'connecting' && this.phase === 'connecting-server')) next = 'connecting-server';
    else if (s === 'reconnecting' || s === 'connecting') next = 'reconnecting-server';
    else next = this.peers.size === 0 ? 'waiting-for-peers' : 'in-call';
    if (next !== this.phase) {
      this.phase = next;
      this.log.info('phase', { phase: next });
    }
  }

  private scheduleTick(): void {
    this.tickTimer = this.clock.setTimer(() => {
      this.tickTimer = undefined;
      if (this.closing) return;
      for (const entry of [...this.peers.values()]) {
        if (!entry.inRoster && !this.linkAlive(entry)) this.teardown(entry, 'disconnected');
      }
      this.notify();
      this.scheduleTick();
    }, this.cfg.tickMs);
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

  private peerView(entry: PeerEntry): PeerView {
    const m = this.engine.peerStats(entry.id);
    const r = m?.receive;
    return {
      id: entry.id,
      name: entry.name,
      state: entry.state,
      speaking: m?.speaking ?? false,
      level: m?.level ?? 0,
      volumePercent: m?.volumePercent ?? 100,
      mutedByMe: m?.mutedByMe ?? false,
      lossPercent: r !== undefined && r.expected > 0 ? (100 * Math.max(0, r.lost)) / r.expected : 0,
      jitterBufferMs: r?.currentDelayMs ?? 0,
      rttMs: m?.rttMs ?? null,
      packetsReceived: r?.received ?? 0,
      packetsLost: Math.max(0, r?.lost ?? 0),
      packetsLate: r?.late ?? 0,
      framesConcealed: r?.concealedFrames ?? 0,
    };
  }

  private peerStats(entry: PeerEntry, goneReason: string | null = null): PeerSessionStats {
    const m = this.engine.peerStats(entry.id);
    const linkStats = entry.link?.stats();
    const rel = (ms: number | null): number | null => (ms === null ? null : Math.round(ms - this.startedMs));
    return {
      id: entry.id,
      name: entry.name,
      role: entry.role,
      state: entry.state,
      linkGenerations: entry.gen,
      connectMs: entry.firstConnectMs,
      timeToConnectMs: entry.connectedAtMs === null ? null : Math.round(entry.connectedAtMs - entry.knownAtMs),
      packetsSent: m?.send.sent ?? 0,
      packetsReceived: m?.receive.received ?? 0,
      packetsLost: Math.max(0, m?.receive.lost ?? 0),
      packetsLate: m?.receive.late ?? 0,
      framesConcealed: m?.receive.concealedFrames ?? 0,
      meanJitterBufferMs: m?.receive.meanDelayMs ?? 0,
      bytesSent: entry.closedLinks.bytesSent + (linkStats?.bytesSent ?? 0),
      bytesReceived: entry.closedLinks.bytesReceived + (linkStats?.bytesReceived ?? 0),
      rttMs: m?.rttMs ?? null,
      selectedCandidatePair: entry.link?.selectedCandidatePair() ?? entry.lastPair,
      localCandidateTypes: entry.link?.localCandidateTypes() ?? entry.localTypes,
      knownAtMs: rel(entry.knownAtMs)!,
      connectedAtMs: rel(entry.connectedAtMs),
      goneAtMs: goneReason === null ? null : rel(this.clock.now()),
      goneReason,
    };
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
      // Tell the room first (peers tear us down at once on 'left').
      await this.signaling.close().catch((err: unknown) => this.log.warn('signaling-close-failed', { error: String(err) }));
      for (const entry of [...this.peers.values()]) {
        if (entry.rebuildTimer !== undefined) this.clock.clearTimer(entry.rebuildTimer);
        entry.rebuildTimer = undefined;
        this.departed.push({ ...this.peerStats(entry, 'we-left'), state: 'closed' });
        this.closeLink(entry);
      }
      this.peers.clear();
      try {
        await this.engine.stop();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.log.error('engine-stop-failed', { error: message });
        this.error ??= { message: `could not finish audio output: ${message}` };
      }
      this.phase = finalPhase;
      this.log.info(finalPhase === 'left' ? 'left' : 'failed', {});
      this.notify();
      this.resolveDone();
    })();
    return this.leaving;
  }
}

function isOffer(signal: unknown): boolean {
  const s = signal as { type?: unknown; descType?: unknown } | null;
  return s !== null && typeof s === 'object' && s.type === 'description' && s.descType === 'offer';
}
