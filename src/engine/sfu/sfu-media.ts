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
 * How a member joins, subscribes, catches up and publishes again is
 * janus-membership.ts, shared with the web page; this file says how a
 * terminal's connections are built and how its frames are sealed.
 */
import { silentLogger, type Logger } from '../../core/logger.js';
import type { MediaEngine } from '../media/media-engine.js';
import { makePeerLink, type MakeLink } from '../media/engine-links.js';
import type { SessionLink } from '../media/media-port.js';
import type { LinkSignal, LinkState } from '../mesh/peer-link.js';
import { parseRtp } from '../rtp/packet.js';
import { openNodeSocket } from '../signaling/node-socket.js';
import { JanusError } from './janus-client.js';
import { JanusMembership, type SfuConnections } from './janus-membership.js';
import { SFRAME_MAX_HEADER_BYTES, SFRAME_TAG_BYTES, SFrameReceiver, SFrameSender } from './sframe.js';
import { senderKeying } from './sframe-keys.js';

const RTP_HEADER_BYTES = 12;

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

export class SfuMedia {
  private readonly opts: SfuMediaOptions;
  private readonly log: Logger;
  private readonly makeLink: MakeLink;
  private readonly membership: JanusMembership;
  private publishLink: SessionLink | null = null;
  /** Made by start(): the key derivation is WebCrypto's, asynchronous. */
  private sender: SFrameSender | undefined;
  /** Header + the largest sealed Opus frame: our uplink packets are built here. */
  private readonly sealed = new Uint8Array(RTP_HEADER_BYTES + SFRAME_MAX_HEADER_BYTES + 1500 + SFRAME_TAG_BYTES);
  private readonly counters = { framesSealed: 0, framesOpened: 0, framesRefused: 0, uplinkBytesSent: 0 };

  constructor(opts: SfuMediaOptions) {
    this.opts = opts;
    this.log = (opts.logger ?? silentLogger).child({ component: 'sfu' });
    this.makeLink = opts.makeLink ?? makePeerLink;
    this.membership = new JanusMembership({
      janusUrl: opts.janusUrl,
      room: opts.room,
      maxPublishers: opts.maxPublishers,
      peerId: opts.peerId,
      openSocket: openNodeSocket,
      connections: {
        publish: (ctx) => this.publishUplink(ctx),
        closeUplink: () => this.closeUplink(),
        subscribe: (ctx) => this.answerFeed(ctx),
      },
      logger: this.log,
    });
  }

  get stats(): SfuMediaStats {
    return { ...this.counters, subscriptions: this.membership.subscriptions, malformedJanusFrames: this.membership.malformedJanusFrames };
  }

  /** True once Janus reports our publisher PeerConnection up. */
  get publishing(): boolean {
    return this.membership.publishing;
  }

  /** Connect, create the room if needed, join and publish. Rejects with a clear error when Janus is unreachable. */
  async start(): Promise<void> {
    const own = await senderKeying(this.opts.mediaSecret, this.opts.peerId);
    this.sender = new SFrameSender(own.kid, own.baseKey);
    await this.membership.start();
  }

  async stop(): Promise<void> {
    await this.membership.stop();
  }

  /** Our uplink: a PeerLink as offerer, the engine's frames sealed on their way to it. */
  private publishUplink(ctx: Parameters<SfuConnections['publish']>[0]): Promise<void> {
    const { session, handle } = ctx;
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
          if (state === 'failed' && this.publishLink === link) ctx.failed();
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

  private closeUplink(): void {
    this.opts.engine.removeUplink('sfu');
    this.publishLink?.close();
    this.publishLink = null;
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

  /** One subscription: a PeerLink answering Janus's offer, each packet opened with the sender's key before the engine sees it. */
  private async answerFeed(ctx: Parameters<SfuConnections['subscribe']>[0]): Promise<() => void> {
    const { session, handle, peerId } = ctx;
    const receiver = new SFrameReceiver();
    const keying = await senderKeying(this.opts.mediaSecret, peerId);
    receiver.addKey(keying.kid, keying.baseKey);
    const engine = this.opts.engine;
    const link = this.makeLink({
      // Janus forwards nothing, not even RTCP, while this peer is quiet: silence is no dead link
      // (a peer that leaves is told by Janus, and by the reconcile).
      ...this.janusLinkOptions(peerId, 'answerer'),
      onSignal: (signal: LinkSignal) => {
        if (signal.type === 'candidate') {
          session.trickle(handle, { candidate: signal.candidate, sdpMid: signal.mid });
          return;
        }
        void session
          .message(handle, { request: 'start', room: this.opts.room }, { type: 'answer', sdp: signal.sdp })
          .catch((err) => this.log.warn('sfu-start-failed', { peer: peerId, err }));
      },
      onRtp: (packet, arrivalMs) => this.receiveSealed(peerId, receiver, packet, arrivalMs),
      onRtcp: (packet) => engine.receive(peerId, packet),
      onState: (state: LinkState) => {
        this.log.info('sfu-subscription-state', { peer: peerId, state });
        // Dropped here, subscribed again by the next reconcile on a new PeerConnection.
        if (state === 'failed') ctx.failed();
      },
    });
    engine.addPeer(peerId, { sendRtp: () => false, sendRtcp: (p) => link.sendRtcp(p), isOpen: () => link.isOpen }, { receiveOnly: true, cue: false });
    this.opts.onPeer?.(peerId, true);
    link.start();
    link.handleSignal({ type: 'description', descType: 'offer', sdp: ctx.offer.sdp });
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      link.close();
      engine.removePeer(peerId, { cue: false });
      this.opts.onPeer?.(peerId, false);
    };
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
}
