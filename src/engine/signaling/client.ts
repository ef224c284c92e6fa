/**
 * Client side of signaling: connect, join the room derived from the join
 * code, relay end-to-end encrypted payloads, and survive server outages.
 *
 * Identity across reconnects (the mesh relies on this): each client picks a
 * random peer id and a random resume token once, at construction, and sends
 * both in every join. The server uses the client's id as its room id for the
 * peer, so after a reconnect — even to a restarted server — the peer has the
 * same id and the mesh keeps its existing peer connection. The token (the
 * server stores only its hash) stops another client from taking the id.
 * The id is also bound into every sealed payload's associated data, so the
 * server cannot pass one peer's blob off as another's.
 *
 * Roster across a rejoin: peers already known are not announced again;
 * a known peer missing from the new `joined` list is given `peerGraceMs` to
 * come back (after a server restart everyone reconnects at a different
 * moment) before `peer-left` is emitted. `peer-joined` carries
 * `rejoined: true` for an id seen earlier in this session, so the mesh can
 * keep a P2P link that is still healthy.
 *
 * Lock across a rejoin: a client that last saw its room locked rejoins with
 * `relock` and the ids it knew, so the lock survives a server restart
 * (docs/architecture.md §4); the `joined` answer says whether the room is
 * locked now.
 *
 * Knocking (docs/architecture.md §4): a join a locked room would refuse is
 * held by the server while the members are asked; this client is then
 * 'knocking' (connect() still pending) until it is let in (`joined`), told
 * no (`knock-denied`) or nobody answered (`knock-timeout`): both reject
 * connect(). A member hears of knocks as `knock` (the newcomer's name opened
 * from its sealed hello) and `knock-end`, and answers with admit() / deny().
 *
 * Signals are sealed as {seq, data}; `seq` rises per sender, and a blob whose
 * seq is not above the last one accepted from that sender is dropped, so the
 * server cannot replay old offers or candidates.
 *
 * Several servers (docs/architecture.md §5, "Several nodes"): given the URLs
 * of nodes that share rooms, the client connects to the first; when a
 * connection cannot be made or drops, the next attempt (after the same
 * backoff) goes to the next URL, round the list. The rejoin is the one
 * above: same id and token, so the room sees the same peer (a node that
 * shares rooms lets it resume its place) and calls keep their links.
 */
import { monotonicClock, type Clock, type TimerHandle } from '../../core/clock.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import {
  deriveRoomSecrets,
  encodeMessage,
  MAX_PAYLOAD_CHARS,
  openPayload,
  parseServerMessage,
  randomBytes,
  sealPayload,
  toBase64Url,
  type ClientMessageBody,
  type ErrorCode,
  type KnockOutcome,
  type SfuRoute,
  type LeaveReason,
  type PeerInfo,
  type RoomSecrets,
  type ServerMessage,
} from '../../protocol/index.js';
import type { SignalSocket, SignalSocketOpener } from './socket.js';
import { backoffDelayMs, resolveBackoff, type BackoffOptions } from '../../core/backoff.js';

export type SignalingState = 'idle' | 'connecting' | 'knocking' | 'joined' | 'reconnecting' | 'closed';

export interface SignalingPeer {
  readonly id: string;
  readonly name: string;
}

export interface SignalingEvents {
  /** `sfu`: the room's media goes through this SFU (docs/architecture.md §11); absent in a mesh room. */
  joined: { selfId: string; peers: SignalingPeer[]; locked: boolean; rejoin: boolean; sfu?: SfuRoute };
  'peer-joined': { id: string; name: string; rejoined: boolean };
  'peer-left': { id: string; reason: LeaveReason };
  signal: { from: string; data: unknown };
  lock: { locked: boolean; by: string };
  /** We knock at a locked room: the members were asked; the server gives up after `timeoutMs`. */
  knocking: { timeoutMs: number };
  /** Someone knocks at our locked room. */
  knock: { id: string; name: string };
  /** A knock at our room is over (`by`: the member who answered). */
  'knock-end': { id: string; outcome: KnockOutcome; by: string | undefined };
  /** The room's media path changed (docs/architecture.md §11): through this SFU from now on, or (no `sfu`) the mesh. */
  'media-path': { sfu?: SfuRoute };
  state: SignalingState;
  error: SignalingError;
}

export class SignalingError extends Error {
  constructor(
    readonly code: ErrorCode | 'unreachable' | 'protocol',
    message: string,
  ) {
    super(message);
    this.name = 'SignalingError';
  }
}

export interface SignalingCounters {
  decryptFailures: number;
  replayDrops: number;
  invalidMessages: number;
  serverErrors: number;
  reconnects: number;
  droppedQueuedSignals: number;
  signalsSent: number;
  signalsReceived: number;
}

export interface ReconnectOptions extends Partial<BackoffOptions> {
  /** false: a lost connection ends the client (state 'closed'). Default true. */
  enabled?: boolean;
}

export interface SignalingClientOptions {
  /** ws://host:port of `roundtable serve`, or several nodes sharing rooms to fail over between (in this order). */
  url: string | readonly string[];
  /** Opens the WebSocket: signaling/node-socket.ts in Node, the web client's own in a browser. */
  openSocket: SignalSocketOpener;
  /** Join code as typed by the user (normalized here). */
  code: string;
  /** Display name, sent only inside the encrypted hello. */
  name: string;
  logger?: Logger;
  reconnect?: ReconnectOptions;
  /** Rounds of attempts connect() makes (each tries every URL once) before rejecting with 'unreachable'. Default 1. */
  connectAttempts?: number;
  connectTimeoutMs?: number;
  /** How long a known peer missing after our rejoin keeps its place before peer-left. */
  peerGraceMs?: number;
  /** Signals queued while disconnected (oldest dropped beyond this). */
  maxQueuedSignals?: number;
  clock?: Clock;
  random?: () => number;
  /** Ask for the SFU path if our join creates the room (`create --sfu`); an existing room keeps its mode. */
  sfu?: boolean;
}

const MAX_NAME_CHARS = 64;
/** Join errors after which retrying cannot help. */
const FATAL_JOIN_ERRORS: ReadonlySet<string> = new Set([
  'room-locked',
  'knock-denied',
  'knock-timeout',
  'knock-rate-limited',
  'room-full',
  'peer-id-taken',
  'unsupported-version',
  'bad-message',
  'sfu-unavailable',
]);

type Listener<T> = (arg: T) => void;

export class SignalingClient {
  readonly peerId: string;
  private readonly token: string;
  private readonly urls: readonly string[];
  /** The URL in use: where the current or next connection goes. */
  private urlIndex = 0;
  private readonly code: string;
  private readonly name: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly backoff: BackoffOptions;
  private readonly reconnectEnabled: boolean;
  private readonly connectAttempts: number;
  private readonly connectTimeoutMs: number;
  private readonly peerGraceMs: number;
  private readonly maxQueuedSignals: number;
  private readonly askSfu: boolean;
  /** The server said the room goes through the SFU: a rejoin asks for it again, so a restarted server recreates the room as it was (like relock). */
  private roomViaSfu = false;

  private readonly listeners = new Map<keyof SignalingEvents, Set<Listener<never>>>();
  private secrets: RoomSecrets | undefined;
  private helloBlob: string | undefined;
  private ws: SignalSocket | undefined;
  private readonly openSocketFn: SignalSocketOpener;
  private stateValue: SignalingState = 'idle';
  private joinedOnce = false;
  private attempt = 0;
  private reconnectTimer: TimerHandle | undefined;
  private livenessTimer: TimerHandle | undefined;
  private heartbeatMs = 1500;
  private lastHeardMs = 0;
  private lockedValue = false;
  private sendSeq = 0;
  private readonly lastSeqFrom = new Map<string, number>();
  private readonly known = new Map<string, SignalingPeer>();
  private readonly everSeen = new Set<string>();
  private readonly graceTimers = new Map<string, TimerHandle>();
  private queue: { to: string | undefined; frame: string }[] = [];
  private inbound: Promise<void> = Promise.resolve();
  private outbound: Promise<void> = Promise.resolve();
  private pendingConnect: { resolve: () => void; reject: (e: Error) => void; attemptsLeft: number } | undefined;
  /** The server refused the join for now (rate or room limit); the socket closing next is not a failure to reach it. */
  private refusedForNow = false;

  readonly counters: SignalingCounters = {
    decryptFailures: 0,
    replayDrops: 0,
    invalidMessages: 0,
    serverErrors: 0,
    reconnects: 0,
    droppedQueuedSignals: 0,
    signalsSent: 0,
    signalsReceived: 0,
  };

  constructor(opts: SignalingClientOptions) {
    this.urls = typeof opts.url === 'string' ? [opts.url] : [...opts.url];
    if (this.urls.length === 0) throw new SignalingError('unreachable', 'no signaling server URL given');
    this.code = opts.code;
    this.name = opts.name.slice(0, MAX_NAME_CHARS);
    this.log = (opts.logger ?? silentLogger).child({ component: 'signaling' });
    this.clock = opts.clock ?? monotonicClock;
    this.random = opts.random ?? Math.random;
    this.backoff = resolveBackoff(opts.reconnect);
    this.reconnectEnabled = opts.reconnect?.enabled ?? true;
    this.connectAttempts = Math.max(1, opts.connectAttempts ?? 1) * this.urls.length;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
    this.peerGraceMs = opts.peerGraceMs ?? 15_000;
    this.maxQueuedSignals = opts.maxQueuedSignals ?? 512;
    this.askSfu = opts.sfu === true;
    this.peerId = toBase64Url(randomBytes(16));
    this.openSocketFn = opts.openSocket;
    this.token = toBase64Url(randomBytes(24));
  }

  // ---- events ----

  on<K extends keyof SignalingEvents>(event: K, fn: Listener<SignalingEvents[K]>): this {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener<never>);
    return this;
  }

  off<K extends keyof SignalingEvents>(event: K, fn: Listener<SignalingEvents[K]>): this {
    this.listeners.get(event)?.delete(fn as Listener<never>);
    return this;
  }

  private emit<K extends keyof SignalingEvents>(event: K, arg: SignalingEvents[K]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const fn of [...set]) {
      try {
        (fn as Listener<SignalingEvents[K]>)(arg);
      } catch (err) {
        // A listener's bug must not break the signaling state machine.
        this.log.error('listener-threw', { event, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  // ---- public API ----

  get state(): SignalingState {
    return this.stateValue;
  }

  /** The server the current (or next) connection goes to. */
  get url(): string {
    return this.urls[this.urlIndex]!;
  }

  get roomId(): string | undefined {
    return this.secrets?.roomId;
  }

  /** The room's media secret (SFrame keys, docs/architecture.md §11), once connect() has derived it; it never leaves this end. */
  get mediaSecret(): Uint8Array | undefined {
    return this.secrets?.mediaSecret;
  }

  get locked(): boolean {
    return this.lockedValue;
  }

  /** Peers currently in the room (as this client knows them). */
  get peers(): SignalingPeer[] {
    return [...this.known.values()];
  }

  /**
   * Connect and join. Resolves on the first `joined`; rejects with a
   * SignalingError: code 'unreachable' ("cannot reach signaling server ws://…")
   * when no connection could be made, or the server's code (room-locked,
   * room-full, …) when the join was refused.
   */
  async connect(): Promise<void> {
    if (this.stateValue !== 'idle') throw new SignalingError('protocol', `connect() called in state ${this.stateValue}`);
    this.setState('connecting');
    try {
      this.secrets = await deriveRoomSecrets(this.code);
      this.helloBlob = await sealPayload(
        this.secrets.key,
        { purpose: 'hello', roomId: this.secrets.roomId, from: this.peerId, to: '*' },
        { name: this.name },
      );
    } catch (err) {
      this.setState('closed');
      throw err;
    }
    // close() may have been called while deriving.
    if ((this.stateValue as SignalingState) !== 'connecting') throw new SignalingError('protocol', 'closed before connecting');
    return new Promise<void>((resolve, reject) => {
      this.pendingConnect = { resolve, reject, attemptsLeft: this.connectAttempts };
      this.openSocket();
    });
  }

  /** Encrypt `data` (any JSON value) for peer `to` and relay it; queued while reconnecting. */
  send(to: string, data: unknown): Promise<void> {
    if (this.stateValue === 'closed' || this.stateValue === 'idle' || this.secrets === undefined) {
      return Promise.reject(new SignalingError('not-joined', `cannot send in state ${this.stateValue}`));
    }
    const secrets = this.secrets;
    const seq = ++this.sendSeq;
    const job = this.outbound.then(async () => {
      const payload = await sealPayload(secrets.key, { purpose: 'signal', roomId: secrets.roomId, from: this.peerId, to }, { seq, data });
      if (payload.length > MAX_PAYLOAD_CHARS) {
        throw new SignalingError('too-large', `signal of ${payload.length} chars exceeds ${MAX_PAYLOAD_CHARS} after encryption`);
      }
      this.counters.signalsSent++;
      this.transmit(encodeMessage({ type: 'signal', to, payload }), to);
    });
    this.outbound = job.catch(() => undefined);
    return job;
  }

  lock(): void {
    this.transmit(encodeMessage({ type: 'lock' }), null);
  }

  unlock(): void {
    this.transmit(encodeMessage({ type: 'unlock' }), null);
  }

  /** Answer a knock at our room: let the newcomer in, or not. The first member to answer decides. */
  answerKnock(id: string, admit: boolean): void {
    this.transmit(encodeMessage({ type: admit ? 'admit' : 'deny', id }), null);
  }

  /** Leave the room and stop reconnecting. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.setState('closed');
    this.clearTimers();
    this.failPendingConnect(new SignalingError('protocol', 'client closed before joining'));
    const ws = this.ws;
    this.ws = undefined;
    if (ws !== undefined && !ws.isClosed) {
      ws.close('bye');
      // A server that never answers the close handshake must not hang us.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        ws.closed,
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 1000);
        }),
      ]);
      clearTimeout(timer);
    }
  }

  // ---- connection lifecycle ----

  private setState(s: SignalingState): void {
    if (this.stateValue === s) return;
    this.stateValue = s;
    this.emit('state', s);
  }

  private openSocket(): void {
    let ws: SignalSocket | undefined;
    let lastError = '';
    try {
      ws = this.openSocketFn(
        this.url,
        {
          onOpen: () => {
            if (this.ws !== ws || ws === undefined) return;
            this.lastHeardMs = this.clock.now();
            ws.send(encodeMessage({ type: 'join', roomId: this.secrets!.roomId, peerId: this.peerId, token: this.token, hello: this.helloBlob, ...this.relock(), ...(this.askSfu || this.roomViaSfu ? { sfu: true as const } : {}) }));
          },
          onBinary: () => {
            if (this.ws !== ws) return;
            this.lastHeardMs = this.clock.now();
            this.counters.invalidMessages++;
          },
          onText: (text) => {
            if (this.ws !== ws) return;
            this.lastHeardMs = this.clock.now();
            this.inbound = this.inbound.then(() => this.handleFrame(text)).catch((err: unknown) => {
              this.log.error('frame-handler-failed', { error: err instanceof Error ? err.message : String(err) });
            });
          },
          onError: (message) => {
            lastError = message;
          },
          onClose: (code, reason) => {
            if (this.ws !== ws) return;
            this.ws = undefined;
            this.stopLiveness();
            this.onSocketGone(code, lastError || reason || `close code ${code}`);
          },
        },
        { handshakeTimeoutMs: this.connectTimeoutMs, maxPayloadBytes: 1024 * 1024 },
      );
    } catch (err) {
      // Malformed URL: no retry can fix it.
      const e = new SignalingError('unreachable', `cannot reach signaling server ${this.url}: ${err instanceof Error ? err.message : String(err)}`);
      this.setState('closed');
      this.failPendingConnect(e);
      return;
    }
    this.ws = ws;
  }

  private onSocketGone(code: number, why: string): void {
    if (this.stateValue === 'closed') return;
    this.log.info('signaling-disconnected', { url: this.url, code, why });
    const refusedForNow = this.refusedForNow;
    this.refusedForNow = false;
    if (!this.joinedOnce && this.pendingConnect !== undefined && !refusedForNow) {
      // A server that said "not now" (join rate, room count) was reached: that
      // costs no connect attempt, the backoff below simply asks again later.
      this.pendingConnect.attemptsLeft--;
      if (this.pendingConnect.attemptsLeft <= 0) {
        this.setState('closed');
        this.failPendingConnect(new SignalingError('unreachable', `cannot reach signaling server ${this.urls.join(' or ')}: ${why}`));
        return;
      }
    } else if (!this.reconnectEnabled) {
      this.setState('closed');
      this.emit('error', new SignalingError('unreachable', `lost connection to signaling server ${this.url}: ${why}`));
      return;
    }
    if (this.joinedOnce) this.setState('reconnecting');
    this.failOver();
    const delayMs = backoffDelayMs(this.attempt++, this.backoff, this.random);
    this.reconnectTimer = this.clock.setTimer(() => {
      this.reconnectTimer = undefined;
      if (this.stateValue === 'closed') return;
      if (this.joinedOnce) this.counters.reconnects++;
      this.openSocket();
    }, delayMs);
  }

  /** With several servers, the next attempt goes to the next one (round the list). */
  private failOver(): void {
    if (this.urls.length < 2) return;
    const from = this.url;
    this.urlIndex = (this.urlIndex + 1) % this.urls.length;
    this.log.info('signaling-failover', { from, to: this.url });
  }

  /**
   * A rejoin to a room we last saw locked asks the server to lock it again,
   * naming the peers we knew there (protocol/messages.ts): after a server
   * restart the lock lives on in its members.
   */
  private relock(): { relock?: string[] } {
    if (!this.joinedOnce || !this.lockedValue) return {};
    return { relock: [...this.known.keys()].slice(0, 256) };
  }

  private failPendingConnect(err: Error): void {
    const p = this.pendingConnect;
    this.pendingConnect = undefined;
    p?.reject(err);
  }

  /**
   * Send now if joined, else queue (signals only; `to` null = not queueable).
   * A signal for a peer still in its rejoin grace waits for that peer: sent
   * now, the server would answer unknown-peer and the signal would be lost.
   */
  private transmit(frame: string, to: string | null): void {
    const ws = this.ws;
    if (ws !== undefined && ws.isOpen && this.stateValue === 'joined' && (to === null || !this.graceTimers.has(to))) {
      ws.send(frame);
      return;
    }
    if (to === null) return;
    this.queue.push({ to, frame });
    if (this.queue.length > this.maxQueuedSignals) {
      this.queue.shift();
      this.counters.droppedQueuedSignals++;
    }
  }

  private flushQueue(): void {
    const queued = this.queue;
    this.queue = [];
    for (const q of queued) this.transmit(q.frame, q.to ?? null);
  }

  // Client-side liveness: ping a quiet server, drop a silent one (then reconnect).
  private startLiveness(): void {
    this.stopLiveness();
    const tick = (): void => {
      const ws = this.ws;
      if (ws === undefined) return;
      const silentMs = this.clock.now() - this.lastHeardMs;
      if (silentMs > 3 * this.heartbeatMs) {
        this.log.warn('signaling-server-silent', { silentMs: Math.round(silentMs) });
        ws.terminate();
        return;
      }
      if (silentMs >= this.heartbeatMs && ws.isOpen) ws.send(encodeMessage({ type: 'ping', ts: Math.round(this.clock.now()) }));
      this.livenessTimer = this.clock.setTimer(tick, this.heartbeatMs / 2);
    };
    this.livenessTimer = this.clock.setTimer(tick, this.heartbeatMs / 2);
  }

  private stopLiveness(): void {
    if (this.livenessTimer !== undefined) this.clock.clearTimer(this.livenessTimer);
    this.livenessTimer = undefined;
  }

  private clearTimers(): void {
    this.stopLiveness();
    if (this.reconnectTimer !== undefined) this.clock.clearTimer(this.reconnectTimer);
    this.reconnectTimer = undefined;
    for (const t of this.graceTimers.values()) this.clock.clearTimer(t);
    this.graceTimers.clear();
  }

  // ---- inbound ----

  private async handleFrame(text: string): Promise<void> {
    if (this.stateValue === 'closed') return;
    const parsed = parseServerMessage(text);
    if (!parsed.ok) {
      this.counters.invalidMessages++;
      this.log.warn('invalid-server-message', { code: parsed.code, error: parsed.error });
      return;
    }
    const msg = parsed.message;
    switch (msg.type) {
      case 'joined':
        return this.onJoined(msg);
      case 'peer-joined':
        return this.onPeerJoined(msg.id, msg.hello);
      case 'peer-left':
        return this.onPeerLeft(msg.id, msg.reason);
      case 'signal':
        return this.onSignal(msg.from, msg.payload);
      case 'lock':
      case 'unlock':
        this.lockedValue = msg.type === 'lock';
        this.emit('lock', { locked: this.lockedValue, by: msg.by });
        return;
      case 'knocking':
        this.setState('knocking');
        this.log.info('knocking', { timeoutMs: msg.timeoutMs });
        this.emit('knocking', { timeoutMs: msg.timeoutMs });
        return;
      case 'knock':
        this.emit('knock', { id: msg.id, name: await this.peerName(msg.id, msg.hello) });
        return;
      case 'knock-end':
        this.emit('knock-end', { id: msg.id, outcome: msg.outcome, by: msg.by });
        return;
      case 'media-path':
        this.log.info('media-path-changed', { path: msg.sfu === undefined ? 'mesh' : 'sfu' });
        this.emit('media-path', msg.sfu === undefined ? {} : { sfu: msg.sfu });
        return;
      case 'ping':
        this.sendRaw({ type: 'pong', ts: msg.ts });
        return;
      case 'pong':
        return;
      case 'error':
        return this.onServerError(msg);
    }
  }

  private sendRaw(body: ClientMessageBody): void {
    const ws = this.ws;
    if (ws !== undefined && ws.isOpen) ws.send(encodeMessage(body));
  }

  private async peerName(id: string, hello: string | undefined): Promise<string> {
    const fallback = `peer-${id.slice(0, 6)}`;
    if (hello === undefined || this.secrets === undefined) return fallback;
    try {
      const value = await openPayload(this.secrets.key, { purpose: 'hello', roomId: this.secrets.roomId, from: id, to: '*' }, hello);
      const name = (value as { name?: unknown } | null)?.name;
      return typeof name === 'string' && name.length > 0 ? name.slice(0, MAX_NAME_CHARS) : fallback;
    } catch {
      this.counters.decryptFailures++;
      this.log.warn('hello-decrypt-failed', { peer: id });
      return fallback;
    }
  }

  private async onJoined(msg: Extract<ServerMessage, { type: 'joined' }>): Promise<void> {
    const rejoin = this.joinedOnce;
    this.joinedOnce = true;
    this.attempt = 0;
    this.heartbeatMs = msg.heartbeatMs;
    this.lockedValue = msg.locked;
    // Asked for again on a rejoin only when the room was created for the SFU, not switched for its size.
    if (msg.sfu !== undefined && msg.sfu.auto !== true) this.roomViaSfu = true;
    const peers: SignalingPeer[] = [];
    for (const info of msg.peers as PeerInfo[]) peers.push({ id: info.id, name: await this.peerName(info.id, info.hello) });
    const present = new Set(peers.map((p) => p.id));
    const newcomers = peers.filter((p) => !this.known.has(p.id));
    for (const p of peers) {
      this.cancelGrace(p.id);
      this.known.set(p.id, p);
      this.everSeen.add(p.id);
    }
    if (rejoin) {
      for (const id of this.known.keys()) if (!present.has(id)) this.startGrace(id);
    }
    this.setState('joined');
    this.startLiveness();
    this.log.info('signaling-joined', { selfId: msg.selfId, peers: peers.length, rejoin, resumed: msg.resumed, ...(this.urls.length > 1 ? { url: this.url } : {}) });
    const knocks: SignalingPeer[] = [];
    for (const info of msg.knocks ?? []) knocks.push({ id: info.id, name: await this.peerName(info.id, info.hello) });
    if (!rejoin) {
      this.emit('joined', { selfId: msg.selfId, peers, locked: msg.locked, rejoin, ...(msg.sfu !== undefined ? { sfu: msg.sfu } : {}) });
      const p = this.pendingConnect;
      this.pendingConnect = undefined;
      p?.resolve();
    } else {
      this.emit('joined', { selfId: msg.selfId, peers, locked: msg.locked, rejoin, ...(msg.sfu !== undefined ? { sfu: msg.sfu } : {}) });
      for (const p of newcomers) this.emit('peer-joined', { id: p.id, name: p.name, rejoined: false });
    }
    // Knocks already waiting at the door when we came in.
    for (const k of knocks) this.emit('knock', k);
    this.flushQueue();
  }

  private async onPeerJoined(id: string, hello: string | undefined): Promise<void> {
    const name = await this.peerName(id, hello);
    const wasKnown = this.known.has(id);
    const wasInGrace = this.graceTimers.has(id);
    this.cancelGrace(id);
    this.known.set(id, { id, name });
    if (wasInGrace) this.flushQueue();
    // Same id still known (it rejoined while we kept it in grace): not a new peer.
    if (wasKnown) return;
    const rejoined = this.everSeen.has(id);
    this.everSeen.add(id);
    this.emit('peer-joined', { id, name, rejoined });
  }

  private onPeerLeft(id: string, reason: LeaveReason): void {
    this.cancelGrace(id);
    if (!this.known.delete(id)) return;
    this.emit('peer-left', { id, reason });
  }

  private startGrace(id: string): void {
    if (this.graceTimers.has(id)) return;
    this.graceTimers.set(
      id,
      this.clock.setTimer(() => {
        this.graceTimers.delete(id);
        const before = this.queue.length;
        this.queue = this.queue.filter((q) => q.to !== id);
        this.counters.droppedQueuedSignals += before - this.queue.length;
        if (this.known.delete(id)) this.emit('peer-left', { id, reason: 'disconnected' });
      }, this.peerGraceMs),
    );
  }

  private cancelGrace(id: string): void {
    const t = this.graceTimers.get(id);
    if (t !== undefined) this.clock.clearTimer(t);
    this.graceTimers.delete(id);
  }

  private async onSignal(from: string, payload: string): Promise<void> {
    if (this.secrets === undefined) return;
    let value: unknown;
    try {
      value = await openPayload(this.secrets.key, { purpose: 'signal', roomId: this.secrets.roomId, from, to: this.peerId }, payload);
    } catch (err) {
      this.counters.decryptFailures++;
      this.log.warn('signal-decrypt-failed', { from, error: err instanceof Error ? err.message : String(err) });
      return;
    }
    const seq = (value as { seq?: unknown } | null)?.seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) {
      this.counters.invalidMessages++;
      return;
    }
    const last = this.lastSeqFrom.get(from) ?? 0;
    if (seq <= last) {
      this.counters.replayDrops++;
      this.log.warn('signal-replay-dropped', { from, seq, last });
      return;
    }
    this.lastSeqFrom.set(from, seq);
    this.counters.signalsReceived++;
    this.emit('signal', { from, data: (value as { data?: unknown }).data ?? null });
  }

  private onServerError(msg: Extract<ServerMessage, { type: 'error' }>): void {
    this.counters.serverErrors++;
    const err = new SignalingError(msg.code, `signaling server: ${msg.message} (${msg.code})`);
    this.log.warn('signaling-server-error', { code: msg.code, message: msg.message });
    if (this.stateValue !== 'joined' && FATAL_JOIN_ERRORS.has(msg.code)) {
      // The join itself was refused and retrying cannot help.
      const ws = this.ws;
      this.ws = undefined;
      this.setState('closed');
      this.clearTimers();
      ws?.close('join refused');
      if (this.pendingConnect !== undefined) this.failPendingConnect(err);
      else this.emit('error', err);
      return;
    }
    this.emit('error', err);
    if (this.stateValue !== 'joined' && this.ws !== undefined && (msg.code === 'join-rate-limited' || msg.code === 'too-many-rooms')) {
      // Refused for now: drop this socket and let the backoff try again.
      this.refusedForNow = true;
      this.ws.close('retrying join later');
    }
  }
}
