/**
 * One participant's membership of a Janus VideoRoom (docs/architecture.md
 * §11), whatever its connections are made of: the terminal's links
 * (sfu-media.ts, libdatachannel) and the web page's (src/web/browser-sfu.ts,
 * RTCPeerConnection) share these rules, and only say how to build, answer
 * and close a connection (`SfuConnections`).
 *
 *   start: connect → attach → create the room if needed (427: it exists) →
 *          join as publisher (display = our peer id) → publish → reconcile every RECONCILE_MS
 *   each publisher announced (join reply, events, reconcile): attach a handle →
 *          join as subscriber (428 "No such feed": ask again) → answer Janus's offer
 *   a feed gone (`leaving`, `unpublished`, missing from `listparticipants`, its connection failed):
 *          close it and detach; the next reconcile subscribes again if it is still there
 *   our uplink hung up, failed, or not up PUBLISH_UP_TIMEOUT_MS after publishing:
 *          unpublish and publish again on a new connection (libdatachannel has no ICE restart, §4)
 */
import { silentLogger, type Logger } from '../../core/logger.js';
import type { SignalSocketOpener } from '../signaling/socket.js';
import {
  ensureAudioRoom,
  feedGone,
  JanusSession,
  listPublishers,
  PUBLISH_UP_TIMEOUT_MS,
  RECONCILE_MS,
  REPUBLISH_MS,
  subscriberOffer,
  type Jsep,
  type Publisher,
} from './janus-client.js';

/** How one kind of client builds its connections to Janus. */
export interface SfuConnections {
  /**
   * Build our uplink on `handle`: send `publish` with our offer (JSEP
   * `e2ee: true`), trickle candidates, apply Janus's answer; resolve once it
   * is applied. Call `failed()` if the connection fails later.
   */
  publish(ctx: { session: JanusSession; handle: number; failed: () => void }): Promise<void>;
  /** Close the current uplink (before publishing again, and at stop). */
  closeUplink(): void;
  /**
   * Answer Janus's `offer` for `peerId`'s feed on `handle` (send `start`
   * with our answer, trickle candidates) and return how to close it. Call
   * `failed()` if the connection fails later.
   */
  subscribe(ctx: { session: JanusSession; handle: number; peerId: string; offer: Jsep; failed: () => void }): Promise<() => void>;
}

export interface JanusMembershipOptions {
  janusUrl: string;
  room: number;
  /** At least the room limit: VideoRoom allows 3 publishers unless told. */
  maxPublishers: number;
  /** Our peer id: the only thing Janus learns about us (as the feed's display). */
  peerId: string;
  openSocket: SignalSocketOpener;
  connections: SfuConnections;
  logger?: Logger;
}

interface Subscription {
  readonly feed: number;
  readonly peerId: string;
  handleId: number | null;
  close: (() => void) | null;
  closed: boolean;
}

export class JanusMembership {
  private readonly opts: JanusMembershipOptions;
  private readonly log: Logger;
  private session: JanusSession | undefined;
  private publisherUp = false;
  private readonly subs = new Map<number, Subscription>();
  private stopped = false;
  private reconcileTimer: ReturnType<typeof setInterval> | undefined;
  private republishTimer: ReturnType<typeof setTimeout> | undefined;
  private upTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: JanusMembershipOptions) {
    this.opts = opts;
    this.log = opts.logger ?? silentLogger;
  }

  /** True once Janus reports our uplink up (`webrtcup`). */
  get publishing(): boolean {
    return this.publisherUp;
  }

  get subscriptions(): number {
    return this.subs.size;
  }

  /** Frames Janus sent that did not validate (dropped). */
  get malformedJanusFrames(): number {
    return this.session?.malformedFrames ?? 0;
  }

  /** Connect, create the room if needed, join and publish. Rejects with a clear error when Janus is unreachable. */
  async start(): Promise<void> {
    const session = await JanusSession.connect(this.opts.janusUrl, { openSocket: this.opts.openSocket, logger: this.log });
    if (this.stopped) {
      await session.close();
      return;
    }
    this.session = session;
    const handle = await session.attach({
      onEvent: (data) => {
        if (data.publishers !== undefined) this.onPublishers(data.publishers);
        const gone = feedGone(data);
        if (gone !== null) this.unsubscribe(gone);
      },
      onWebrtcUp: () => {
        this.publisherUp = true;
        this.log.info('sfu-publishing');
      },
      onHangup: (reason) => {
        this.publisherUp = false;
        if (this.stopped) return;
        this.log.warn('sfu-publisher-hangup', { reason });
        this.republishSoon(session, handle);
      },
    });
    await ensureAudioRoom(session, handle, this.opts.room, this.opts.maxPublishers);
    const joined = await session.message(handle, { request: 'join', ptype: 'publisher', room: this.opts.room, display: this.opts.peerId });
    this.onPublishers(joined.data.publishers ?? []);
    await this.publish(session, handle);
    this.reconcileTimer = setInterval(() => void this.reconcile(session, handle), RECONCILE_MS);
    (this.reconcileTimer as { unref?: () => void }).unref?.();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.reconcileTimer !== undefined) clearInterval(this.reconcileTimer);
    if (this.republishTimer !== undefined) clearTimeout(this.republishTimer);
    if (this.upTimer !== undefined) clearTimeout(this.upTimer);
    for (const feed of [...this.subs.keys()]) this.unsubscribe(feed);
    this.opts.connections.closeUplink();
    await this.session?.close();
  }

  private publish(session: JanusSession, handle: number): Promise<void> {
    // Janus says `webrtcup` within a second on loopback; without it by then, start over.
    if (this.upTimer !== undefined) clearTimeout(this.upTimer);
    this.upTimer = setTimeout(() => {
      this.upTimer = undefined;
      if (!this.publisherUp) this.republishSoon(session, handle);
    }, PUBLISH_UP_TIMEOUT_MS);
    (this.upTimer as { unref?: () => void }).unref?.();
    return this.opts.connections.publish({
      session,
      handle,
      failed: () => {
        this.publisherUp = false;
        this.republishSoon(session, handle);
      },
    });
  }

  /**
   * Publish again on a new connection, after Janus hung ours up or when it
   * never came up (on the loaded 2-core machine 1 run in 6 of 10
   * participants had one uplink that Janus never reported up). Whoever seals
   * keeps its SFrame counter, so no nonce is used twice.
   */
  private republishSoon(session: JanusSession, handle: number): void {
    if (this.stopped || this.republishTimer !== undefined) return;
    this.republishTimer = setTimeout(() => {
      this.republishTimer = undefined;
      if (this.stopped || this.publisherUp) return;
      this.log.warn('sfu-republish');
      this.opts.connections.closeUplink();
      void session
        .message(handle, { request: 'unpublish' })
        .catch(() => undefined)
        .then(() => this.publish(session, handle))
        .catch((err: unknown) => {
          this.log.warn('sfu-republish-failed', { error: err instanceof Error ? err.message : String(err) });
          this.republishSoon(session, handle);
        });
    }, REPUBLISH_MS);
    (this.republishTimer as { unref?: () => void }).unref?.();
  }

  /**
   * Compare our subscriptions with the room's publishers as Janus lists them:
   * an announcement or a departure we missed (1 run in 10 of 10 participants
   * on the loaded 2-core machine lacked one subscription) is caught up here.
   */
  private async reconcile(session: JanusSession, handle: number): Promise<void> {
    if (this.stopped) return;
    try {
      const publishers = await listPublishers(session, handle, this.opts.room);
      this.onPublishers(publishers);
      const present = new Set(publishers.map((p) => p.id));
      for (const feed of [...this.subs.keys()]) if (!present.has(feed)) this.unsubscribe(feed);
    } catch (err) {
      this.log.debug('sfu-reconcile-failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private onPublishers(list: readonly Publisher[]): void {
    for (const p of list) {
      const peerId = p.display;
      if (peerId === undefined || peerId === this.opts.peerId || this.subs.has(p.id) || this.stopped) continue;
      const sub: Subscription = { feed: p.id, peerId, handleId: null, close: null, closed: false };
      this.subs.set(p.id, sub);
      void this.subscribe(sub).catch((err: unknown) => {
        this.log.warn('sfu-subscribe-failed', { peer: peerId, error: err instanceof Error ? err.message : String(err) });
        // Forget it, so that the next reconcile tries again.
        if (this.subs.get(p.id) === sub) this.unsubscribe(p.id);
      });
    }
  }

  private async subscribe(sub: Subscription): Promise<void> {
    const session = this.session;
    if (session === undefined || this.stopped) return;
    const handle = await session.attach({ onHangup: (reason) => this.log.info('sfu-subscription-hangup', { peer: sub.peerId, reason }) });
    sub.handleId = handle;
    if (sub.closed) {
      void session.detach(handle);
      return;
    }
    const offer = await subscriberOffer(session, handle, this.opts.room, sub.feed, () => sub.closed || this.stopped);
    if (sub.closed || this.stopped) return;
    const close = await this.opts.connections.subscribe({ session, handle, peerId: sub.peerId, offer, failed: () => this.unsubscribe(sub.feed) });
    // Closed while it was being answered: close it now.
    if (sub.closed) close();
    else sub.close = close;
  }

  private unsubscribe(feed: number): void {
    const sub = this.subs.get(feed);
    if (sub === undefined) return;
    this.subs.delete(feed);
    sub.closed = true;
    sub.close?.();
    sub.close = null;
    if (sub.handleId !== null) void this.session?.detach(sub.handleId);
  }
}
