/**
 * The life of the links to one peer (docs/architecture.md §4, "link lifecycle"):
 *
 * - Every link carries a GENERATION (room/envelope.ts). libdatachannel has no
 *   ICE restart, so a link that fails, goes silent or does not connect in
 *   time is replaced by a NEW link with the next generation; signals of
 *   older generations still in flight are dropped.
 * - Only the offering side builds links. The answering side asks for a
 *   rebuild with a `rebuild` envelope, once per generation, and follows the
 *   generation it is offered.
 * - The offerer rebuilds after a backoff (core/backoff.ts: 250 ms doubling up
 *   to 5 s, no jitter unless configured), so a peer that cannot be reached
 *   does not get a new PeerConnection every few ms; a connection resets it.
 * - Callbacks of a replaced link are ignored: each checks that its link is
 *   still the entry's current one.
 */
import type { Clock } from '../../core/clock.js';
import { backoffDelayMs, type BackoffOptions } from '../../core/backoff.js';
import type { Logger } from '../../core/logger.js';
import type { IceServerConfig } from '../mesh/ice-servers.js';
import type { LinkState } from '../mesh/peer-link.js';
import { checkLinkSignal } from '../mesh/signal.js';
import type { MediaPort } from '../media/media-port.js';
import type { LinkEnvelope, SessionEnvelope } from './envelope.js';
import { notePacket } from './liveness.js';
import type { LinkFactory, PeerEntry, SessionLink, SessionLinkOptions } from './peer-entry.js';

export type { LinkFactory } from './peer-entry.js';

/** Rebuild delays: 250 ms, 500 ms, 1 s, … capped at 5 s; no jitter (one peer, not a thundering herd). */
export const DEFAULT_REBUILD_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialDelayMs: 250, maxDelayMs: 5000, factor: 2, jitter: 0 });
/** The offerer rebuilds a link that has not connected after this long. */
export const DEFAULT_LINK_CONNECT_TIMEOUT_MS = 10_000;
/** PeerLink keepalive when nothing else was sent. */
export const DEFAULT_KEEPALIVE_MS = 1000;
/** PeerLink reports 'disconnected' after this long without packets. */
export const DEFAULT_INACTIVITY_TIMEOUT_MS = 3000;
/**
 * A link that went silent ('disconnected', its transport not failed) is
 * given this long to bring a packet before it is rebuilt. Measured through
 * the impairment relay (src/engine/sim/udp-relay.ts): after a 3 s outage
 * the old link carried audio again 30–80 ms after the path returned, while
 * a rebuild started at the first sign of silence took 1.3–1.5 s; 2 of 8
 * such calls were rebuilt. A path that stays down is still rebuilt, this
 * much later.
 */
export const DEFAULT_SILENCE_GRACE_MS = 1500;

export interface LinkSettings {
  readonly iceServers: IceServerConfig[];
  readonly relayOnly?: boolean;
  readonly bindAddress?: string;
  /** RTCP CNAME of our links (RFC 3550 §6.5.1). */
  readonly cname: string;
  readonly keepaliveMs: number;
  readonly inactivityTimeoutMs: number;
  readonly linkConnectTimeoutMs: number;
  /** How long a silent link may recover by itself before it is rebuilt (DEFAULT_SILENCE_GRACE_MS). */
  readonly silenceGraceMs: number;
  readonly rebuildBackoff: BackoffOptions;
  /** [0, 1) for the backoff jitter (Math.random, or a seeded one in tests). */
  readonly random: () => number;
}

/** What the link lifecycle asks of the rest of the session. */
export interface LinkHooks {
  /** False once shutdown began or the entry was removed: a late timer then does nothing. */
  isCurrent(entry: PeerEntry): boolean;
  /** Relay an envelope to the peer through signaling. */
  send(to: string, env: SessionEnvelope): void;
  /** The current link of a peer the server no longer lists went down: the peer is gone. */
  lost(entry: PeerEntry): void;
  /** The peer said on its current link that it leaves the room (an RTCP BYE, mesh/peer-link.ts sayGoodbye). */
  left(entry: PeerEntry): void;
  /** A link could not even be created (bad ICE configuration): no rebuild can fix that. */
  createFailed(entry: PeerEntry, message: string): void;
  /** Something a snapshot shows has changed. */
  changed(): void;
  /** A chat message arrived on the peer's current link (room/chat.ts reads it). */
  chat?(entry: PeerEntry, text: string): void;
}

export interface LinkLifecycleOptions {
  readonly engine: Pick<MediaPort, 'ssrc'>;
  readonly factory: LinkFactory;
  readonly settings: LinkSettings;
  readonly clock: Clock;
  /** The session's log. */
  readonly log: Logger;
  /** Handed to every link (it adds its own component field). */
  readonly linkLogger: Logger;
  readonly hooks: LinkHooks;
}

export class LinkLifecycle {
  private readonly engine: LinkLifecycleOptions['engine'];
  private readonly factory: LinkFactory;
  private readonly settings: LinkSettings;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly linkLogger: Logger;
  private readonly hooks: LinkHooks;

  constructor(options: LinkLifecycleOptions) {
    this.engine = options.engine;
    this.factory = options.factory;
    this.settings = options.settings;
    this.clock = options.clock;
    this.log = options.log;
    this.linkLogger = options.linkLogger;
    this.hooks = options.hooks;
  }

  /**
   * A link envelope or rebuild request from the peer. The offerer passes on
   * signals of its current generation only and rebuilds when asked about it;
   * the answerer follows a newer generation when it is offered one.
   */
  onEnvelope(entry: PeerEntry, env: LinkEnvelope): void {
    if (env.t === 'rebuild') {
      if (entry.role !== 'offerer') return;
      if (env.gen === entry.gen && entry.rebuildTimer === undefined) {
        this.log.info('rebuild-requested', { peer: entry.id, gen: env.gen });
        this.scheduleRebuild(entry, 0);
      }
      return;
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

  /** Close the current link (if any) and build generation `gen`. */
  replaceLink(entry: PeerEntry, gen: number): void {
    this.closeLink(entry);
    entry.gen = gen;
    entry.linkState = 'none';
    if (entry.connectedAtMs !== null) entry.state = 'reconnecting';
    let link: SessionLink | undefined;
    try {
      link = this.factory(this.linkOptions(entry, gen, () => link));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error('link-create-failed', { peer: entry.id, error: message });
      entry.state = 'failed';
      this.hooks.createFailed(entry, message);
      return;
    }
    entry.link = link;
    this.log.info('link-start', { peer: entry.id, gen, role: entry.role });
    if (entry.role === 'offerer') this.startConnectTimer(entry, link, gen);
    link.start();
  }

  /** Close the current link, keeping its counters in the entry's totals. */
  closeLink(entry: PeerEntry): void {
    const link = entry.link;
    if (entry.connectTimer !== undefined) this.clock.clearTimer(entry.connectTimer);
    entry.connectTimer = undefined;
    this.cancelSilenceGrace(entry);
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

  /** Stop any pending rebuild and close the link: the peer is leaving the session. */
  release(entry: PeerEntry): void {
    this.cancelRebuild(entry);
    this.cancelSilenceGrace(entry);
    this.closeLink(entry);
  }

  /**
   * The offerer replaces the link after a backoff (or `delayOverrideMs`);
   * the answerer asks the offerer, once per generation.
   */
  scheduleRebuild(entry: PeerEntry, delayOverrideMs?: number): void {
    if (entry.role === 'answerer') {
      if (entry.rebuildAskedGen !== entry.gen && entry.gen > 0) {
        entry.rebuildAskedGen = entry.gen;
        this.hooks.send(entry.id, { t: 'rebuild', gen: entry.gen });
      }
      return;
    }
    if (entry.rebuildTimer !== undefined) return;
    const delayMs = delayOverrideMs ?? backoffDelayMs(entry.rebuildAttempt, this.settings.rebuildBackoff, this.settings.random);
    entry.rebuildAttempt++;
    this.log.info('link-rebuild-scheduled', { peer: entry.id, gen: entry.gen + 1, delayMs });
    entry.rebuildTimer = this.clock.setTimer(() => {
      entry.rebuildTimer = undefined;
      if (!this.hooks.isCurrent(entry) || entry.linkState === 'connected') return;
      this.replaceLink(entry, entry.gen + 1);
      this.hooks.changed();
    }, delayMs);
  }

  private cancelRebuild(entry: PeerEntry): void {
    if (entry.rebuildTimer !== undefined) this.clock.clearTimer(entry.rebuildTimer);
    entry.rebuildTimer = undefined;
  }

  private linkOptions(entry: PeerEntry, gen: number, current: () => SessionLink | undefined): SessionLinkOptions {
    const s = this.settings;
    // Every callback first checks that its link is still the current one.
    const isCurrent = (): boolean => entry.link !== undefined && entry.link === current();
    return {
      peerId: entry.id,
      role: entry.role,
      iceServers: s.iceServers,
      ...(s.relayOnly !== undefined ? { relayOnly: s.relayOnly } : {}),
      ...(s.bindAddress !== undefined ? { bindAddress: s.bindAddress } : {}),
      ssrc: this.engine.ssrc,
      cname: s.cname,
      keepaliveMs: s.keepaliveMs,
      inactivityTimeoutMs: s.inactivityTimeoutMs,
      clock: this.clock,
      logger: this.linkLogger,
      onSignal: (signal) => {
        if (isCurrent()) this.hooks.send(entry.id, { t: 'link', gen, signal });
      },
      onPacket: (arrivalMs) => {
        if (isCurrent()) notePacket(entry, arrivalMs);
      },
      onState: (state) => {
        if (isCurrent()) this.onLinkState(entry, state);
      },
      onChat: (text) => {
        if (isCurrent()) this.hooks.chat?.(entry, text);
      },
      onGoodbye: () => {
        if (isCurrent()) this.hooks.left(entry);
      },
    };
  }

  private startConnectTimer(entry: PeerEntry, link: SessionLink, gen: number): void {
    entry.connectTimer = this.clock.setTimer(() => {
      entry.connectTimer = undefined;
      if (entry.link === link && entry.linkState !== 'connected') {
        this.log.warn('link-connect-timeout', { peer: entry.id, gen });
        this.scheduleRebuild(entry);
      }
    }, this.settings.linkConnectTimeoutMs);
  }

  private onLinkState(entry: PeerEntry, state: LinkState): void {
    if (!this.hooks.isCurrent(entry)) return;
    entry.linkState = state;
    this.log.info('link-state', { peer: entry.id, name: entry.name, gen: entry.gen, state });
    switch (state) {
      case 'connecting':
        entry.state = entry.connectedAtMs === null ? 'connecting' : 'reconnecting';
        break;
      case 'connected':
        this.onConnected(entry);
        break;
      case 'disconnected':
        if (!entry.inRoster) {
          this.hooks.lost(entry);
          return;
        }
        entry.state = 'reconnecting';
        this.startSilenceGrace(entry);
        break;
      case 'failed':
      case 'closed':
        if (!entry.inRoster) {
          this.hooks.lost(entry);
          return;
        }
        entry.state = 'reconnecting';
        this.cancelSilenceGrace(entry);
        this.scheduleRebuild(entry);
        break;
    }
    this.hooks.changed();
  }

  /** Silent, not failed: the path may come back by itself (an outage shorter than the grace). */
  private startSilenceGrace(entry: PeerEntry): void {
    if (entry.silenceTimer !== undefined) return;
    const link = entry.link;
    entry.silenceTimer = this.clock.setTimer(() => {
      entry.silenceTimer = undefined;
      if (!this.hooks.isCurrent(entry) || entry.link !== link || entry.linkState === 'connected') return;
      this.log.info('link-silent-too-long', { peer: entry.id, gen: entry.gen });
      this.scheduleRebuild(entry);
    }, this.settings.silenceGraceMs);
  }

  private cancelSilenceGrace(entry: PeerEntry): void {
    if (entry.silenceTimer !== undefined) this.clock.clearTimer(entry.silenceTimer);
    entry.silenceTimer = undefined;
  }

  private onConnected(entry: PeerEntry): void {
    this.cancelSilenceGrace(entry);
    entry.state = 'connected';
    entry.rebuildAttempt = 0;
    entry.lastPacketMs = this.clock.now();
    this.cancelRebuild(entry);
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
  }
}

/** An SDP offer (validated by mesh/signal.ts): the only signal that may start a link. */
export function isOffer(signal: unknown): boolean {
  const check = checkLinkSignal(signal);
  return check.ok && check.signal.type === 'description' && check.signal.descType === 'offer';
}
