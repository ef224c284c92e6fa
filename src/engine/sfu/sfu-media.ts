/**
 * One participant's media through a Janus VideoRoom (docs/architecture.md
 * §11): one publisher PeerConnection carries our Opus frames, SFrame-sealed
 * (RFC 9605), up to the SFU; one subscriber PeerConnection per remote
 * publisher brings that peer's frames down, opened with that peer's key
 * before they reach the engine. Each subscription is one peer's stream in the
 * engine (its own jitter buffer, decoder, gain, meter, speaking detector), so
 * the mix, per-peer volume, mute-for-me and speaking indicators work as in
 * the mesh. Janus rewrites SSRC, sequence numbers and timestamps per
 * subscriber; a stream is told apart by its subscription (feed → peer id,
 * from the feed's `display`), never by SSRC.
 *
 * Runs where the engine and the links run (the media process, or a test's
 * own thread). Nothing here allocates per frame beyond what node:crypto
 * does for SFrame and a new buffer per received packet (the jitter buffer
 * keeps a view of it, as it keeps node-datachannel's own buffer in the mesh).
 */
import { silentLogger, type Logger } from '../../core/logger.js';
import type { MediaEngine } from '../media/media-engine.js';
import { makePeerLink, type MakeLink } from '../media/engine-links.js';
import type { SessionLink } from '../media/media-port.js';
import type { LinkSignal, LinkState } from '../mesh/peer-link.js';
import { parseRtp } from '../rtp/packet.js';
import { ensureAudioRoom, JanusError, JanusSession, type Jsep, type Publisher } from './janus-client.js';
import { SFRAME_MAX_HEADER_BYTES, SFRAME_TAG_BYTES, SFrameReceiver, SFrameSender } from './sframe.js';
import { senderKeying } from './sframe-keys.js';

const RTP_HEADER_BYTES = 12;
/** Janus answers 428 "No such feed" when asked for a feed before its PeerConnection is up: ask again. */
const SUBSCRIBE_RETRY_MS = 250;
const SUBSCRIBE_ATTEMPTS = 40;
/** How often the subscriptions are compared with Janus's list of publishers. */
const RECONCILE_MS = 2000;
/** How long our uplink may take to come up before it is built again, and the pause before that. */
const PUBLISH_UP_TIMEOUT_MS = 5000;
const REPUBLISH_MS = 500;

export type SfuEngine = Pick<MediaEngine, 'addPeer' | 'removePeer' | 'receive' | 'addUplink' | 'removeUplink' | 'ssrc'>;

export interface SfuMediaOptions {
  janusUrl: string;
  /** The VideoRoom room number (the room id both ends derive; numeric, as Janus wants it). */
  room: number;
  /** At least the room limit: VideoRoom allows 3 publishers unless told. */
  maxPublishers: number;
  /** Our peer id: the only thing Janus learns about us (as the feed's display). */
  peerId: string;
  /** The room's media secret (room-crypto.ts): every sender's SFrame key derives from it. */
  mediaSecret: Uint8Array;
  engine: SfuEngine;
  makeLink?: MakeLink;
  /** Bind ICE to this address (tests: the namespace's own). */
  bindAddress?: string;
  logger?: Logger;
  /** A remote peer's stream appeared or went (the room's roster may show it). */
  onPeer?(peerId: string, present: boolean): void;
}

export interface SfuMediaStats {
  framesSealed: number;
  framesOpened: number;
  /** Frames refused: wrong or unknown key, tampered, malformed. */
  framesRefused: number;
  subscriptions: number;
  /** Frames from Janus that did not validate (dropped). */
  malformedJanusFrames: number;
  /** RTP bytes our uplink sent (headers + sealed frames). */
  uplinkBytesSent: number;
}

interface Subscription {
  readonly feed: number;
  readonly peerId: string;
  handleId: number | null;
  link: SessionLink | null;
  closed: boolean;
}

export class SfuMedia {
  private readonly opts: SfuMediaOptions;
  private readonly log: Logger;
  private readonly makeLink: MakeLink;
  private session: JanusSession | undefined;
  private publishHandle: number | null = null;
  private publishLink: SessionLink | null = null;
  private publisherUp = false;
  /** Made by start(): the key derivation is WebCrypto's, asynchronous. */
  private sender: SFrameSender | undefined;
  /** Header + the largest sealed Opus frame: our uplink packets are built here. */
  private readonly sealed = new Uint8Array(RTP_HEADER_BYTES + SFRAME_MAX_HEADER_BYTES + 1500 + SFRAME_TAG_BYTES);
  private readonly subs = new Map<number, Subscription>();
  private stopped = false;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private republishTimer: NodeJS.Timeout | undefined;
  private upTimer: NodeJS.Timeout | undefined;
  private readonly counters: SfuMediaStats = { framesSealed: 0, framesOpened: 0, framesRefused: 0, subscriptions: 0, malformedJanusFrames: 0, uplinkBytesSent: 0 };

  constructor(opts: SfuMediaOptions) {
    this.opts = opts;
    this.log = (opts.logger ?? silentLogger).child({ component: 'sfu' });
    this.makeLink = opts.makeLink ?? makePeerLink;
  }

  get stats(): SfuMediaStats {
    return { ...this.counters, subscriptions: this.subs.size, malformedJanusFrames: this.session?.malformedFrames ?? 0 };
  }

  /** True once Janus reports our publisher PeerConnection up. */
  get publishing(): boolean {
    return this.publisherUp;
  }

  /** Connect, create the room if needed, join and publish. Rejects with a clear error when Janus is unreachable. */
  async start(): Promise<void> {
    const own = await senderKeying(this.opts.mediaSecret, this.opts.peerId);
    this.sender = new SFrameSender(own.kid, own.baseKey);
    const session = await JanusSession.connect(this.opts.janusUrl, { logger: this.log });
    this.session = session;
    const handle = await session.attach({
      onEvent: (data) => {
        if (data.publishers !== undefined) this.onPublishers(data.publishers);
        const gone = typeof data.leaving === 'number' ? data.leaving : typeof data.unpublished === 'number' ? data.unpublished : null;
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
    this.publishHandle = handle;
    await ensureAudioRoom(session, handle, this.opts.room, this.opts.maxPublishers);
    const joined = await session.message(handle, { request: 'join', ptype: 'publisher', room: this.opts.room, display: this.opts.peerId });
    this.onPublishers(joined.data.publishers ?? []);
    await this.publish(session, handle);
    this.reconcileTimer = setInterval(() => void this.reconcile(session, handle), RECONCILE_MS);
    this.reconcileTimer.unref();
  }

  /**
   * Compare our subscriptions with the room's publishers as Janus lists them:
   * an announcement or a departure we missed (1 run in 10 of 10 participants
   * on the loaded 2-core machine lacked one subscription) is caught up here.
   */
  private async reconcile(session: JanusSession, handle: number): Promise<void> {
    if (this.stopped) return;
    try {
      const reply = await session.message(handle, { request: 'listparticipants', room: this.opts.room });
      const publishers = (reply.data.participants ?? []).filter((p) => p.publisher === true);
      this.onPublishers(publishers);
      const present = new Set(publishers.map((p) => p.id));
      for (const feed of [...this.subs.keys()]) if (!present.has(feed)) this.unsubscribe(feed);
    } catch (err) {
      this.log.debug('sfu-reconcile-failed', { err });
    }
  }

  /**
   * Publish again on a new PeerConnection (libdatachannel has no ICE
   * restart, §4): after Janus hung ours up, or when it never came up. On
   * the loaded 2-core machine 1 run in 6 of 10 participants had one uplink
   * that Janus never reported up. The SFrame counter carries on, so no
   * nonce is used twice.
   */
  private republishSoon(session: JanusSession, handle: number): void {
    if (this.stopped || this.republishTimer !== undefined) return;
    this.republishTimer = setTimeout(() => {
      this.republishTimer = undefined;
      if (this.stopped || this.publisherUp) return;
      this.log.warn('sfu-republish');
      this.opts.engine.removeUplink('sfu');
      this.publishLink?.close();
      this.publishLink = null;
      void session
        .message(handle, { request: 'unpublish' })
        .catch(() => undefined)
        .then(() => this.publish(session, handle))
        .catch((err) => {
          this.log.warn('sfu-republish-failed', { err });
          this.republishSoon(session, handle);
        });
    }, REPUBLISH_MS);
    this.republishTimer.unref();
  }

  private publish(session: JanusSession, handle: number): Promise<void> {
    // Janus says `webrtcup` within a second on loopback; without it by then, start over.
    if (this.upTimer !== undefined) clearTimeout(this.upTimer);
    this.upTimer = setTimeout(() => {
      this.upTimer = undefined;
      if (!this.publisherUp) this.republishSoon(session, handle);
    }, PUBLISH_UP_TIMEOUT_MS);
    this.upTimer.unref();
    return new Promise<void>((resolve, reject) => {
      const link = this.makeLink({
        // Janus sends RTCP on our uplink only about media we send: a quiet microphone is no dead link.
        ...this.janusLinkOptions('sfu-uplink', 'offerer'),
        onSignal: (signal: LinkSignal) => {
          if (signal.type === 'candidate') {
            session.trickle(handle, { candidate: signal.candidate, sdpMid: signal.mid });
            return;
          }
          session
            .message(handle, { request: 'publish', audio: true, video: false, data: false }, { type: 'offer', sdp: signal.sdp, e2ee: true })
            .then((reply) => {
              if (reply.jsep?.type !== 'answer') throw new JanusError('Janus answered our publish without an SDP answer');
              link.handleSignal({ type: 'description', descType: 'answer', sdp: reply.jsep.sdp });
              resolve();
            })
            .catch(reject);
        },
        onRtp: () => undefined,
        onState: (state: LinkState) => {
          this.log.info('sfu-uplink-state', { state });
          if (state !== 'failed' || this.publishLink !== link) return;
          this.publisherUp = false;
          this.republishSoon(session, handle);
        },
      });
      this.publishLink = link;
      this.opts.engine.addUplink('sfu', {
        sendRtp: (packet) => this.sendSealed(link, packet),
        isOpen: () => link.isOpen,
      });
      link.start();
    });
  }

  /**
   * Seal the Opus payload of one of the engine's packets (12-byte header,
   * no CSRCs or extension) and send it: the RTP header stays readable
   * (Janus needs it to forward), the frame does not.
   */
  private sendSealed(link: SessionLink, packet: Uint8Array): boolean {
    const out = this.sealed;
    // The uplink exists only once start() has made the sender.
    if (this.sender === undefined) return false;
    out.set(packet.subarray(0, RTP_HEADER_BYTES));
    const n = this.sender.encrypt(packet.subarray(RTP_HEADER_BYTES), out, RTP_HEADER_BYTES);
    this.counters.framesSealed++;
    const sent = link.sendRtp(out.subarray(0, RTP_HEADER_BYTES + n));
    if (sent) this.counters.uplinkBytesSent += RTP_HEADER_BYTES + n;
    return sent;
  }

  private onPublishers(list: readonly Publisher[]): void {
    for (const p of list) {
      const peerId = p.display;
      if (peerId === undefined || peerId === this.opts.peerId || this.subs.has(p.id)) continue;
      const sub: Subscription = { feed: p.id, peerId, handleId: null, link: null, closed: false };
      this.subs.set(p.id, sub);
      void this.subscribe(sub).catch((err) => {
        this.log.warn('sfu-subscribe-failed', { peer: peerId, err });
        // Forget it, so that the next reconcile tries again.
        if (sub.link === null && this.subs.get(p.id) === sub) {
          this.subs.delete(p.id);
          if (sub.handleId !== null) void this.session?.detach(sub.handleId);
        }
      });
    }
  }

  private async subscribe(sub: Subscription): Promise<void> {
    const session = this.session;
    if (session === undefined || this.stopped) return;
    const receiver = new SFrameReceiver();
    const keying = await senderKeying(this.opts.mediaSecret, sub.peerId);
    receiver.addKey(keying.kid, keying.baseKey);
    const handle = await session.attach({ onHangup: (reason) => this.log.info('sfu-subscription-hangup', { peer: sub.peerId, reason }) });
    sub.handleId = handle;
    let offer: Jsep | undefined;
    for (let attempt = 1; offer === undefined; attempt++) {
      try {
        const reply = await session.message(handle, { request: 'join', ptype: 'subscriber', room: this.opts.room, streams: [{ feed: sub.feed }] });
        offer = reply.jsep;
        if (offer?.type !== 'offer') throw new JanusError('Janus answered our subscription without an SDP offer');
      } catch (err) {
        if (!(err instanceof JanusError && err.code === 428) || attempt >= SUBSCRIBE_ATTEMPTS || sub.closed) throw err;
        await new Promise((r) => setTimeout(r, SUBSCRIBE_RETRY_MS));
      }
    }
    if (sub.closed || this.stopped) return;
    const engine = this.opts.engine;
    const link = this.makeLink({
      // Janus forwards nothing, not even RTCP, while this peer is quiet: silence is no dead link
      // (a peer that leaves is told by Janus, and by the reconcile).
      ...this.janusLinkOptions(sub.peerId, 'answerer'),
      onSignal: (signal: LinkSignal) => {
        if (signal.type === 'candidate') {
          session.trickle(handle, { candidate: signal.candidate, sdpMid: signal.mid });
          return;
        }
        void session
          .message(handle, { request: 'start', room: this.opts.room }, { type: 'answer', sdp: signal.sdp })
          .catch((err) => this.log.warn('sfu-start-failed', { peer: sub.peerId, err }));
      },
      onRtp: (packet, arrivalMs) => this.receiveSealed(sub.peerId, receiver, packet, arrivalMs),
      onRtcp: (packet) => engine.receive(sub.peerId, packet),
      onState: (state: LinkState) => {
        this.log.info('sfu-subscription-state', { peer: sub.peerId, state });
        // Dropped here, subscribed again by the next reconcile on a new PeerConnection.
        if (state === 'failed') this.unsubscribe(sub.feed);
      },
    });
    sub.link = link;
    engine.addPeer(sub.peerId, { sendRtp: () => false, sendRtcp: (p) => link.sendRtcp(p), isOpen: () => link.isOpen }, { receiveOnly: true, cue: false });
    this.opts.onPeer?.(sub.peerId, true);
    link.start();
    link.handleSignal({ type: 'description', descType: 'offer', sdp: offer.sdp });
  }

  /**
   * What every link to Janus shares: plain Opus and no data channel (Janus
   * forwards neither RED nor our chat), and no inactivity timeout (Janus is
   * silent on a link while nobody speaks on it).
   */
  private janusLinkOptions(peerId: string, role: 'offerer' | 'answerer') {
    const ssrc = this.opts.engine.ssrc;
    return {
      peerId,
      role,
      iceServers: [],
      ssrc,
      cname: `rt-${ssrc.toString(16)}`,
      red: false,
      chat: false,
      inactivityTimeoutMs: 0,
      ...(this.opts.bindAddress === undefined ? {} : { bindAddress: this.opts.bindAddress }),
      logger: this.log,
    };
  }

  /** Open one SFrame-sealed packet from a subscription into a plain RTP packet for the engine. */
  private receiveSealed(peerId: string, receiver: SFrameReceiver, packet: Uint8Array, arrivalMs: number): void {
    const parsed = parseRtp(packet);
    if (!parsed.ok) {
      this.counters.framesRefused++;
      return;
    }
    const headerBytes = parsed.packet.headerBytes;
    const body = packet.subarray(headerBytes, packet.length - parsed.packet.paddingBytes);
    // A new buffer per packet: the jitter buffer keeps a view of what it is given.
    const out = new Uint8Array(RTP_HEADER_BYTES + Math.max(0, body.length - SFRAME_TAG_BYTES));
    out.set(packet.subarray(0, RTP_HEADER_BYTES));
    // Janus's header extensions and CSRCs are not ours to pass on: a plain 12-byte header.
    out[0] = 0x80;
    const n = receiver.decrypt(body, out, RTP_HEADER_BYTES);
    if (n < 0) {
      this.counters.framesRefused++;
      return;
    }
    this.counters.framesOpened++;
    this.opts.engine.receive(peerId, out.subarray(0, RTP_HEADER_BYTES + n), arrivalMs);
  }

  private unsubscribe(feed: number): void {
    const sub = this.subs.get(feed);
    if (sub === undefined) return;
    this.subs.delete(feed);
    sub.closed = true;
    sub.link?.close();
    if (sub.link !== null) {
      this.opts.engine.removePeer(sub.peerId, { cue: false });
      this.opts.onPeer?.(sub.peerId, false);
    }
    if (sub.handleId !== null) void this.session?.detach(sub.handleId);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.reconcileTimer !== undefined) clearInterval(this.reconcileTimer);
    if (this.republishTimer !== undefined) clearTimeout(this.republishTimer);
    if (this.upTimer !== undefined) clearTimeout(this.upTimer);
    for (const feed of [...this.subs.keys()]) this.unsubscribe(feed);
    this.opts.engine.removeUplink('sfu');
    this.publishLink?.close();
    await this.session?.close();
  }
}
