/**
 * Rooms shared by several signaling nodes through one Redis (`roundtable
 * serve --redis`; docs/architecture.md §5, "Several nodes"). The only module
 * that imports ioredis.
 *
 * - State: rooms, locks, knocks and presence live in Redis, changed only by
 *   the Lua scripts of redis-lua.ts (check, change and tell in one step).
 * - Delivery: each start of a node (its instance) subscribes to one channel;
 *   the scripts publish what a member must hear to the channel of the node
 *   that holds its connection, so every node hears a room's changes in the
 *   order Redis made them. A connection whose join is on its way holds what
 *   arrives for it until its `joined` is sent (the script's answer and the
 *   channel are two connections to Redis, and either may be first).
 * - Presence: every member and knock has a deadline in Redis, which this
 *   node pushes forward every half heartbeat for its own connections (TTL: 2
 *   heartbeats). Every node reaps entries past their deadline every half
 *   heartbeat, so the peers of a node that died leave their rooms ('timeout')
 *   within 2.5 heartbeats, the same limit as a silent client on one node.
 * - Redis lost: a node that cannot reach Redis (either connection closed)
 *   stops serving (events.outage): it cannot tell the others anything, and
 *   may have missed what they said. Its clients reconnect (to another node
 *   if they know one); their places stay in Redis for the presence TTL, so a
 *   client back within it resumes its place without the room seeing it
 *   leave. When both connections are ready again, it serves again.
 * - Shutdown (SIGTERM): this node's knocks end as withdrawn; its members keep
 *   their places for the presence TTL, for their clients to resume elsewhere.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { TimerHandle } from '../core/clock.js';
import { encodeMessage, type LeaveReason } from '../protocol/index.js';
import {
  parseBusMessage,
  type ConnMessage,
  parseDoneReply,
  parseJoinReply,
  parseKnockReply,
  parseLeaveReply,
  parseReapReply,
  parseRefreshReply,
  type EndedKnock,
  type Parsed,
} from './cluster-messages.js';
import { DirectoryUnavailableError, type DirectoryJoin, type DirectoryKnock, type DirectoryMember, type DirectoryOptions, type RoomDirectory } from './directory.js';
import { KnockDesk } from './knocks.js';
import { nodeInstance } from './node-id.js';
import { LUA_SCRIPTS, presenceEntry, type ScriptName } from './redis-lua.js';
import { redactRedisUrl } from './redis-url.js';
import { joinRefused } from './room-manager.js';
import { ScriptQueue, type QueuedCall, type ScriptArg } from './script-queue.js';

export interface RedisDirectoryOptions extends DirectoryOptions {
  /** redis:// or rediss:// URL (a password in it is never logged). */
  redisUrl: string;
  nodeId: string;
  /** Prefix of every key and channel (default `rt:`): several clusters may share one Redis. */
  keyPrefix?: string;
  /** Give up reaching Redis at start after this long (default 5 s). */
  connectTimeoutMs?: number;
}

/** Presence lasts this many heartbeats past its last refresh. */
const PRESENCE_TTL_HEARTBEATS = 2;
/** Entries per refresh script (Lua's unpack and one script's run time stay small). */
const REFRESH_CHUNK = 500;
/** Entries one reap takes at most (another follows at once when it was full). */
const REAP_LIMIT = 1000;
/** Repeated log lines about bad channel messages and Redis errors: at most one per this long. */
const NOTICE_INTERVAL_MS = 10_000;

type LocalKind = 'joining' | 'member' | 'knock-pending' | 'knocking';

/** One of this node's connections that is in a room, knocks at one, or is on its way. */
interface LocalConn {
  readonly member: DirectoryMember;
  readonly roomId: string;
  kind: LocalKind;
  /** While joining: what arrived for it, delivered once `joined` is sent. */
  held: ConnMessage[] | undefined;
  /** Its presence entry (redis-lua.ts), made at its first refresh as a member or a knock. */
  presence?: string;
}

class Script {
  readonly sha: string;
  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export async function startRedisDirectory(opts: RedisDirectoryOptions): Promise<RoomDirectory> {
  const directory = new RedisDirectory(opts);
  await directory.start();
  return directory;
}

class RedisDirectory implements RoomDirectory {
  private readonly instance: string;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly ttlMs: number;
  private readonly where: string;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly scripts: Record<ScriptName, Script>;
  private readonly queue: ScriptQueue<Script>;
  private readonly local = new Map<number, LocalConn>();
  /** Timeouts of this node's knocks (the knocks themselves are in Redis). */
  private readonly knockTimers: KnockDesk<DirectoryMember>;
  private up = false;
  private started = false;
  private closed = false;
  private presenceTimer: TimerHandle | undefined;
  private lastRedisError = '';
  private readonly lastNoticeMs = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  constructor(private readonly opts: RedisDirectoryOptions) {
    this.instance = nodeInstance(opts.nodeId);
    this.prefix = opts.keyPrefix ?? 'rt:';
    this.channel = `${this.prefix}node:${this.instance}`;
    this.ttlMs = PRESENCE_TTL_HEARTBEATS * opts.heartbeatMs;
    this.where = redactRedisUrl(opts.redisUrl);
    const connection = {
      lazyConnect: true,
      // Nothing waits for a Redis that is away: the node stops serving instead (see above).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: opts.connectTimeoutMs ?? 5000,
      retryStrategy: (attempt: number): number => Math.min(100 * attempt, 2000),
    };
    // Script calls of one turn of the event loop leave in one write (this.queue; measured: one socket write per
    // command was a fifth of a node's CPU under load); one connection keeps their order.
    this.cmd = new Redis(opts.redisUrl, { ...connection, connectionName: `roundtable:${this.instance}` });
    this.sub = new Redis(opts.redisUrl, { ...connection, connectionName: `roundtable-sub:${this.instance}` });
    this.scripts = Object.fromEntries(Object.entries(LUA_SCRIPTS).map(([name, lua]) => [name, new Script(lua)])) as Record<ScriptName, Script>;
    this.queue = new ScriptQueue<Script>({
      send: (calls) => this.send(calls),
      defer: (flush) => void setImmediate(flush),
      relayScript: this.scripts.relay,
      relayHead: [this.prefix, this.instance],
      badRelayReply: (detail) => this.badReply('relay', detail),
    });
    this.knockTimers = new KnockDesk<DirectoryMember>(opts.clock, opts.knockTimeoutMs, opts.maxKnocksPerRoom, (k) => {
      void this.ownKnockEnds(k.who, k.roomId, 'timeout');
    });
  }

  get knockTimeoutMs(): number {
    return this.opts.knockTimeoutMs;
  }

  /** Connect both connections and subscribe; a Redis that cannot be reached fails the start with a clear error. */
  async start(): Promise<void> {
    for (const [name, conn] of [['command', this.cmd], ['subscriber', this.sub]] as const) {
      conn.on('error', (err: Error) => {
        this.lastRedisError = err.message;
        this.notice('redis-error', 'warn', { connection: name, redis: this.where, error: err.message });
      });
      conn.on('close', () => this.lost(name));
      conn.on('ready', () => void this.maybeRestored());
    }
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onChannel(message);
    });
    try {
      await Promise.all([this.cmd.connect(), this.sub.connect()]);
      await this.sub.subscribe(this.channel);
      for (const s of Object.values(this.scripts)) await this.cmd.script('LOAD', s.lua);
    } catch (err) {
      this.closed = true;
      this.cmd.disconnect();
      this.sub.disconnect();
      const why = this.lastRedisError || errorText(err);
      throw new Error(`cannot reach Redis at ${this.where}: ${why}`, { cause: err });
    }
    this.up = true;
    this.started = true;
    this.opts.log.info('redis-connected', { redis: this.where, instance: this.instance, presenceTtlMs: this.ttlMs });
    // One loop, refresh then reap, on the one command connection (so in that order in Redis): a node
    // whose event loop was held up past its entries' deadline refreshes them before its own reap can
    // see them due, and reaps only what nobody refreshes.
    const every = this.opts.heartbeatMs / 2;
    const tick = (): void => {
      void this.refresh()
        .then(() => this.reap())
        .then((more) => {
          if (!this.closed) this.presenceTimer = this.opts.clock.setTimer(tick, more ? 0 : every);
        });
    };
    this.presenceTimer = this.opts.clock.setTimer(tick, every);
  }

  localCounts(): { rooms: number; peers: number } {
    const rooms = new Set<string>();
    let peers = 0;
    for (const c of this.local.values()) {
      if (c.kind !== 'member') continue;
      peers++;
      rooms.add(c.roomId);
    }
    return { rooms: rooms.size, peers };
  }

  // ---- operations ----

  async join(m: DirectoryMember, roomId: string, relock: readonly string[] | undefined, wantsSfu = false): Promise<DirectoryJoin> {
    if (this.closed) return { ok: false, code: 'shutting-down', message: 'server is shutting down' };
    this.ensureUp();
    const entry: LocalConn = { member: m, roomId, kind: 'joining', held: [] };
    // A room made through a node that coordinates an SFU keeps that node's route and thresholds in Redis
    // (redis-lua.ts), so whichever node a member comes through, all agree on the room's path.
    const sfu = this.opts.sfu;
    const r = await this.runFor(entry, 'join', parseJoinReply, [
      roomId, m.peerId, this.instance, m.connId, m.tokenHash, m.hello ?? '', this.opts.maxPeersPerRoom, this.opts.maxRooms, this.ttlMs,
      sfu?.janus ?? '', sfu?.publishers ?? 0, sfu?.sfuThreshold ?? 0, sfu?.meshThreshold ?? 0, wantsSfu && sfu !== undefined ? '1' : '0',
      relock === undefined ? '0' : '1', ...(relock ?? []),
    ]);
    if (r.kind === 'refused') {
      this.forget(m.connId, entry);
      return joinRefused(r.code, this.opts.maxPeersPerRoom);
    }
    if (this.local.get(m.connId) !== entry) {
      // Redis went away meanwhile (this node dropped its connections) or the node is closing: the place stays for the TTL.
      return { ok: false, code: 'shutting-down', message: 'this signaling node lost its Redis' };
    }
    const peers = r.peers.map((p) => (p.hello === undefined ? { id: p.id } : { id: p.id, hello: p.hello }));
    const knocks = r.knocks.map((k) => (k.hello === undefined ? { id: k.id } : { id: k.id, hello: k.hello }));
    if (r.switched !== undefined) this.opts.log.info('media-path', { room: roomId.slice(0, 8), path: r.switched, members: r.roomSize });
    m.send(encodeMessage({ type: 'joined', selfId: m.peerId, peers, locked: r.locked, heartbeatMs: this.opts.heartbeatMs, resumed: r.resumed, ...(knocks.length > 0 ? { knocks } : {}), ...(r.sfu !== undefined ? { sfu: r.sfu } : {}) }));
    entry.kind = 'member';
    const held = entry.held ?? [];
    entry.held = undefined;
    for (const msg of held) this.apply(m.connId, msg);
    return { ok: true, resumed: r.resumed, relocked: r.relocked, roomSize: r.roomSize };
  }

  async leave(m: DirectoryMember, roomId: string, reason: LeaveReason): Promise<{ left: boolean; roomSize: number }> {
    const entry = this.local.get(m.connId);
    if (entry !== undefined && entry.roomId === roomId) this.local.delete(m.connId);
    // Closing, or Redis away: the place stays until its presence expires (or its client resumes it elsewhere).
    if (this.closed || !this.up) return { left: false, roomSize: 0 };
    const reply = await this.call('leave', parseLeaveReply, [roomId, m.peerId, this.instance, m.connId, reason, reason === 'left' ? '1' : '0']);
    this.logEnded(reply.ended);
    if (reply.switched !== undefined) this.opts.log.info('media-path', { room: roomId.slice(0, 8), path: reply.switched, members: reply.roomSize });
    return { left: reply.left, roomSize: reply.roomSize };
  }

  relay(m: DirectoryMember, roomId: string, to: string, payload: string): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (!this.up) return Promise.reject(this.unavailable());
    // Batched with the signals relayed just before it (script-queue.ts): one script run and one channel message per node.
    return this.queue.relay(roomId, m.peerId, m.connId, to, payload);
  }

  async setLock(m: DirectoryMember, roomId: string, locked: boolean): Promise<boolean> {
    if (this.closed) return false;
    this.ensureUp();
    return this.done('lock', [roomId, m.peerId, this.instance, m.connId, locked ? '1' : '0']);
  }

  async knock(m: DirectoryMember, roomId: string): Promise<DirectoryKnock> {
    if (this.closed) return { ok: false, reason: 'retry' };
    this.ensureUp();
    const entry: LocalConn = { member: m, roomId, kind: 'knock-pending', held: undefined };
    const r = await this.runFor(entry, 'knock', parseKnockReply, [roomId, m.peerId, this.instance, m.connId, m.tokenHash, m.hello ?? '', this.opts.maxKnocksPerRoom, this.ttlMs]);
    if (r.kind !== 'knocking') {
      this.forget(m.connId, entry);
      return r.kind === 'retry' ? { ok: false, reason: 'retry' } : { ok: false, reason: r.reason };
    }
    // The knock may already have ended (an answer raced the script's reply): then the entry is gone.
    if (this.local.get(m.connId) === entry) {
      entry.kind = 'knocking';
      this.knockTimers.open(roomId, m.peerId, m.hello, m);
    }
    return { ok: true, pending: r.pending };
  }

  async answerKnock(m: DirectoryMember, roomId: string, knockerId: string, admit: boolean): Promise<boolean> {
    if (this.closed) return false;
    this.ensureUp();
    return this.done('answer', [roomId, m.peerId, this.instance, m.connId, knockerId, admit ? '1' : '0']);
  }

  async withdrawKnock(m: DirectoryMember, roomId: string): Promise<void> {
    const entry = this.local.get(m.connId);
    if (entry !== undefined && entry.roomId === roomId) this.local.delete(m.connId);
    this.knockTimers.take(roomId, m.peerId);
    if (this.closed || !this.up) return;
    await this.ownKnockEnds(m, roomId, 'withdrawn');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.presenceTimer !== undefined) this.opts.clock.clearTimer(this.presenceTimer);
    const knocking = [...this.local.values()].filter((c) => c.kind === 'knocking');
    this.local.clear();
    this.knockTimers.clear();
    if (this.up) {
      for (const c of knocking) await this.endKnockScript(c.member, c.roomId, 'withdrawn').catch(() => undefined);
      // What this turn queued leaves ahead of the quit.
      this.queue.flush();
      await Promise.allSettled([this.cmd.quit(), this.sub.quit()]);
    }
    this.cmd.disconnect();
    this.sub.disconnect();
    this.opts.log.info('redis-disconnected', { redis: this.where, instance: this.instance });
  }

  // ---- the channel ----

  private onChannel(raw: string): void {
    const parsed = parseBusMessage(raw);
    if (!parsed.ok) {
      this.notice('redis-message-invalid', 'warn', { redis: this.where, detail: parsed.error, bytes: raw.length });
      return;
    }
    const msg = parsed.value;
    if (msg.t === 'deliver') for (const c of msg.c) this.apply(c, msg);
    else if (msg.t === 'signals') for (const [r, c, from, payload] of msg.s) this.apply(c, { t: 'signal', r, from, payload });
    else this.apply(msg.c, msg);
  }

  /** One channel message for one of this node's connections. */
  private apply(connId: number, msg: ConnMessage): void {
    const entry = this.local.get(connId);
    if (entry === undefined || entry.roomId !== msg.r) {
      // Not (or no longer) in that room here: the connection left, or the message is stale or forged.
      this.opts.log.debug('redis-message-not-for-us', { conn: connId, t: msg.t });
      return;
    }
    if (entry.held !== undefined) {
      entry.held.push(msg);
      return;
    }
    switch (msg.t) {
      case 'deliver':
        if (entry.kind === 'member') entry.member.send(msg.f);
        return;
      case 'signal':
        if (entry.kind === 'member') entry.member.send(encodeMessage({ type: 'signal', from: msg.from, payload: msg.payload }));
        return;
      case 'replaced':
        if (entry.kind !== 'member') return;
        this.local.delete(connId);
        this.opts.events.replaced(connId);
        return;
      case 'knock-ended':
        if (entry.kind !== 'knocking' && entry.kind !== 'knock-pending') return;
        this.local.delete(connId);
        this.knockTimers.take(entry.roomId, entry.member.peerId);
        this.opts.events.knockEnded(connId, msg.outcome, msg.by, msg.why);
        return;
    }
  }

  // ---- presence ----

  /** Push this node's deadlines forward; a connection whose entry is gone lost its place (or someone resumed it elsewhere). */
  private async refresh(): Promise<void> {
    if (!this.up || this.closed) return;
    const entries: string[] = [];
    const owners: LocalConn[] = [];
    for (const [connId, c] of this.local) {
      if (c.kind !== 'member' && c.kind !== 'knocking') continue;
      // An entry is a member or a knock for its whole life (an admitted knock joins as a new entry).
      c.presence ??= presenceEntry(c.kind === 'member' ? 'm' : 'k', c.roomId, c.member.peerId, this.instance, connId);
      entries.push(c.presence);
      owners.push(c);
    }
    // Which connection an entry is, looked up only when some are gone (rarely).
    let mine: Map<string, LocalConn> | undefined;
    const chunks: string[][] = [];
    for (let i = 0; i < entries.length; i += REFRESH_CHUNK) chunks.push(entries.slice(i, i + REFRESH_CHUNK));
    // All chunks leave at once (one connection keeps them in order, ahead of the reap that follows).
    const replies = await Promise.allSettled(chunks.map((chunk) => this.run('refresh', [this.ttlMs, ...chunk])));
    for (const settled of replies) {
      if (settled.status === 'rejected') {
        this.notice('redis-refresh-failed', 'warn', { redis: this.where, error: errorText(settled.reason) });
        continue;
      }
      const gone = parseRefreshReply(settled.value);
      if (!gone.ok) {
        this.notice('redis-reply-invalid', 'warn', { script: 'refresh', detail: gone.error });
        continue;
      }
      if (gone.value.length > 0) mine ??= new Map(entries.map((e, i) => [e, owners[i]!]));
      for (const e of gone.value) {
        const c = mine?.get(e);
        if (c === undefined || this.local.get(c.member.connId) !== c) continue;
        const connId = c.member.connId;
        this.local.delete(connId);
        this.knockTimers.take(c.roomId, c.member.peerId);
        this.opts.events.evicted(connId, c.kind === 'member' ? 'its place in the room is gone from Redis' : 'its knock is gone from Redis');
      }
    }
  }

  /** End the members and knocks whose node stopped refreshing them. True when there may be more due now. */
  private async reap(): Promise<boolean> {
    if (!this.up || this.closed) return false;
    try {
      const reply = parseReapReply(await this.run('reap', [REAP_LIMIT]));
      if (!reply.ok) {
        this.notice('redis-reply-invalid', 'warn', { script: 'reap', detail: reply.error });
        return false;
      }
      for (const r of reply.value.reaped) {
        this.opts.log.info('presence-expired', { room: r.roomId.slice(0, 8), peer: r.peerId, what: r.kind === 'm' ? 'member' : 'knock', lostNode: r.instance });
      }
      this.logEnded(reply.value.ended);
      return reply.value.reaped.length >= REAP_LIMIT;
    } catch (err) {
      this.notice('redis-reap-failed', 'warn', { redis: this.where, error: errorText(err) });
      return false;
    }
  }

  // ---- Redis up and down ----

  private ensureUp(): void {
    if (!this.up) throw this.unavailable();
  }

  private unavailable(): DirectoryUnavailableError {
    return new DirectoryUnavailableError(`Redis at ${this.where} is unreachable`);
  }

  private lost(connection: 'command' | 'subscriber'): void {
    if (this.closed || !this.up) return;
    this.up = false;
    // Everything local goes: the server is closing these connections (events.outage).
    this.local.clear();
    this.knockTimers.clear();
    const why = this.lastRedisError === '' ? '' : `: ${this.lastRedisError}`;
    this.opts.events.outage(true, `the ${connection} connection to Redis at ${this.where} closed${why}`);
  }

  private async maybeRestored(): Promise<void> {
    if (!this.started || this.closed || this.up || this.cmd.status !== 'ready' || this.sub.status !== 'ready') return;
    try {
      // Subscribed again before serving again (ioredis resubscribes too; this makes sure it is done).
      await this.sub.subscribe(this.channel);
    } catch {
      return; // lost again; the next 'ready' tries again
    }
    if (this.closed || this.up || this.cmd.status !== 'ready' || this.sub.status !== 'ready') return;
    this.up = true;
    this.lastRedisError = '';
    this.opts.events.outage(false, `reconnected to Redis at ${this.where}`);
  }

  // ---- helpers ----

  private run(name: Exclude<ScriptName, 'relay'>, args: ScriptArg[]): Promise<unknown> {
    return this.queue.call(this.scripts[name], [this.prefix, ...args]);
  }

  /** One turn's script calls, in one write (a pipeline), in order; each settled with its answer. */
  private send(calls: QueuedCall<Script>[]): void {
    const pipeline = this.cmd.pipeline();
    for (const c of calls) pipeline.evalsha(c.script.sha, 0, ...c.argv);
    pipeline.exec().then(
      (results) => {
        for (let i = 0; i < calls.length; i++) {
          const c = calls[i]!;
          const [err, reply] = results?.[i] ?? [new Error('Redis gave no answer'), undefined];
          if (err === null || err === undefined) c.settle(undefined, reply);
          // A Redis that restarted has forgotten the scripts.
          else if (errorText(err).startsWith('NOSCRIPT')) this.cmd.eval(c.script.lua, 0, ...c.argv).then((r) => c.settle(undefined, r), (e: unknown) => c.settle(asError(e)));
          else c.settle(err);
        }
      },
      (err: unknown) => {
        for (const c of calls) c.settle(asError(err));
      },
    );
  }

  /** Run a script and check its reply (a reply that does not parse is an error, and logged). */
  private async call<T>(name: Exclude<ScriptName, 'relay'>, parse: (reply: unknown) => Parsed<T>, args: (string | number)[]): Promise<T> {
    const reply = parse(await this.run(name, args));
    if (!reply.ok) throw this.badReply(name, reply.error);
    return reply.value;
  }

  /** call() for a connection that is known here (`entry`) while its script runs, and forgotten if it fails. */
  private async runFor<T>(entry: LocalConn, name: Exclude<ScriptName, 'relay'>, parse: (reply: unknown) => Parsed<T>, args: (string | number)[]): Promise<T> {
    this.local.set(entry.member.connId, entry);
    try {
      return await this.call(name, parse, args);
    } catch (err) {
      this.forget(entry.member.connId, entry);
      throw err;
    }
  }

  private async done(name: 'lock' | 'answer' | 'endKnock', args: (string | number)[]): Promise<boolean> {
    const reply = await this.call(name, parseDoneReply, args);
    this.logEnded(reply.ended);
    return reply.done;
  }

  private endKnockScript(m: DirectoryMember, roomId: string, outcome: 'timeout' | 'withdrawn'): Promise<boolean> {
    return this.done('endKnock', [roomId, m.peerId, this.instance, m.connId, outcome]);
  }

  /**
   * This node's knock ends by itself (its timeout, its connection gone).
   * Only if it is still pending: an answer that got there first decides, and
   * reaches this node on its channel.
   */
  private async ownKnockEnds(m: DirectoryMember, roomId: string, outcome: 'timeout' | 'withdrawn'): Promise<void> {
    if (this.closed || !this.up) return;
    try {
      await this.endKnockScript(m, roomId, outcome);
    } catch (err) {
      this.notice('redis-knock-end-failed', 'warn', { room: roomId.slice(0, 8), peer: m.peerId, outcome, error: errorText(err) });
    }
  }

  private forget(connId: number, entry: LocalConn): void {
    if (this.local.get(connId) === entry) this.local.delete(connId);
  }

  private logEnded(ended: readonly EndedKnock[]): void {
    for (const k of ended) this.opts.log.info('knock-end', { room: k.roomId.slice(0, 8), peer: k.id, outcome: k.outcome, by: k.by, waitedMs: k.waitedMs });
  }

  private badReply(script: string, detail: string): Error {
    this.notice('redis-reply-invalid', 'warn', { script, detail });
    return new Error(`Redis answered the ${script} script with something unexpected: ${detail}`);
  }

  /** A log line at most once per NOTICE_INTERVAL_MS per event, with how many were left out. */
  private notice(event: string, level: 'warn' | 'error', fields: Record<string, unknown>): void {
    const now = this.opts.clock.now();
    const last = this.lastNoticeMs.get(event);
    if (last !== undefined && now - last < NOTICE_INTERVAL_MS) {
      this.suppressed.set(event, (this.suppressed.get(event) ?? 0) + 1);
      return;
    }
    this.lastNoticeMs.set(event, now);
    const alsoMs = this.suppressed.get(event) ?? 0;
    this.suppressed.delete(event);
    this.opts.log[level](event, alsoMs > 0 ? { ...fields, alsoSinceLastLine: alsoMs } : fields);
  }
}
