/**
 * The web page's media through a Janus VideoRoom (docs/architecture.md §11),
 * the counterpart of the terminal's SfuMedia (src/engine/sfu/sfu-media.ts)
 * over RTCPeerConnection: one publisher connection sends the microphone
 * track, one subscriber connection per remote publisher brings that peer's
 * audio. The Janus client, the room number, the keys and the membership
 * rules (src/engine/sfu/janus-membership.ts: 428 retries, the reconcile
 * with `listparticipants`, publishing again after a hang-up) are the
 * terminal's own modules; this file says how a page's connections are built.
 *
 * End-to-end encryption: libwebrtc encodes and decodes, so the frames are
 * sealed and opened where libwebrtc lets a page touch them, in an encoded
 * transform (RTCRtpScriptTransform) running in the page's SFrame worker
 * (sframe-transform.ts): sealed after the encoder on the uplink, opened
 * before the decoder on each subscription, with the terminal's SFrame
 * (RFC 9605) wire format and keys, so terminals and pages in one SFU room
 * hear each other and Janus hears nobody. A browser without
 * RTCRtpScriptTransform cannot take part: startSfu refuses with a message
 * that says so, rather than send audio the SFU could hear.
 *
 * Nothing here runs per audio frame on the page's thread: the worker does
 * the per-frame work, and a timer reads each subscription's getStats every
 * 500 ms for the figures the room shows.
 */
import type { Logger } from '../core/logger.js';
import { JanusError, type JanusSession } from '../engine/sfu/janus-client.js';
import { JanusMembership, type SfuConnections } from '../engine/sfu/janus-membership.js';
import { senderKeying } from '../engine/sfu/sframe-keys.js';
import type { SignalSocketOpener } from '../engine/signaling/socket.js';
import { readLinkFigures, type LinkFigures, type StatsEntry } from './link-figures.js';
import type { FromSFrameWorker, SFrameTransformOptions } from './sframe-worker-protocol.js';

const STATS_INTERVAL_MS = 500;

export interface BrowserSfuOptions {
  janusUrl: string;
  /** The VideoRoom room number (src/engine/sfu/janus-room.ts). */
  room: number;
  maxPublishers: number;
  /** Our peer id: the only thing Janus learns about us (the feed's display). */
  peerId: string;
  /** The room's media secret: every sender's SFrame key derives from it (sframe-keys.ts). */
  mediaSecret: Uint8Array;
  iceServers: RTCIceServer[];
  relayOnly: boolean;
  micTrack: MediaStreamTrack;
  micStream: MediaStream;
  openSocket: SignalSocketOpener;
  /** The SFrame worker (dist/web/sframe-worker.js). */
  makeWorker: () => Worker;
  logger: Logger;
  /** A subscription's stream arrived for `peerId`, or (null) it went. */
  onStream(peerId: string, stream: MediaStream | null): void;
  /** The first frame of `peerId`'s subscription opened: the SFU brings its audio. */
  onFlowing(peerId: string): void;
  /** Fresh getStats figures of `peerId`'s subscription. */
  onFigures(peerId: string, figures: LinkFigures): void;
  RTCPeerConnection?: typeof RTCPeerConnection;
}

export interface BrowserSfuStats {
  framesSealed: number;
  framesOpened: number;
  /** Frames refused by the worker: another member's KID, tampered, malformed. */
  framesRefused: number;
  subscriptions: number;
}

/** Why this browser cannot carry SFrame, or null when it can. */
export function sframeUnsupportedReason(): string | null {
  return typeof RTCRtpScriptTransform === 'function'
    ? null
    : 'this browser cannot encrypt audio end to end through the SFU (no RTCRtpScriptTransform): use a current Chromium, Firefox or Safari, or the terminal client';
}

/** Offer and accept Opus only: the room is `audiocodec: opus`, and sealed frames are no use to any other decoder. */
function opusOnly(transceiver: RTCRtpTransceiver): void {
  const caps = typeof RTCRtpReceiver.getCapabilities === 'function' ? RTCRtpReceiver.getCapabilities('audio') : null;
  const opus = caps?.codecs.filter((c) => c.mimeType.toLowerCase() === 'audio/opus') ?? [];
  if (opus.length > 0 && typeof transceiver.setCodecPreferences === 'function') transceiver.setCodecPreferences(opus);
}

export class BrowserSfu {
  private readonly opts: BrowserSfuOptions;
  private readonly log: Logger;
  private readonly Ctor: typeof RTCPeerConnection;
  private readonly membership: JanusMembership;
  private worker: Worker | undefined;
  private own: SFrameTransformOptions | undefined;
  private publishPc: RTCPeerConnection | null = null;
  /** Peers whose subscription's first frame opened, and that still have one. */
  private readonly subscribed = new Set<string>();
  private stopped = false;
  private readonly counts = { sealed: 0, opened: 0, refused: 0 };

  constructor(opts: BrowserSfuOptions) {
    this.opts = opts;
    this.log = opts.logger.child({ component: 'sfu' });
    this.Ctor = opts.RTCPeerConnection ?? RTCPeerConnection;
    this.membership = new JanusMembership({
      janusUrl: opts.janusUrl,
      room: opts.room,
      maxPublishers: opts.maxPublishers,
      peerId: opts.peerId,
      openSocket: opts.openSocket,
      connections: {
        publish: (ctx) => this.publishUplink(ctx),
        closeUplink: () => this.closeUplink(),
        subscribe: (ctx) => this.answerFeed(ctx),
      },
      logger: this.log,
    });
  }

  get stats(): BrowserSfuStats {
    return { framesSealed: this.counts.sealed, framesOpened: this.counts.opened, framesRefused: this.counts.refused, subscriptions: this.membership.subscriptions };
  }

  /** Connect, create the room if needed, join and publish. Rejects with a clear error when Janus is unreachable. */
  async start(): Promise<void> {
    const own = await senderKeying(this.opts.mediaSecret, this.opts.peerId);
    this.own = { side: 'seal', kid: own.kid.toString(), baseKey: own.baseKey, peerId: this.opts.peerId };
    const worker = this.opts.makeWorker();
    this.worker = worker;
    worker.onmessage = (ev: MessageEvent<FromSFrameWorker>) => this.onWorker(ev.data);
    worker.onerror = (ev) => this.log.error('sframe-worker-failed', { error: ev.message });
    await this.membership.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.membership.stop();
    this.worker?.terminate();
  }

  private onWorker(message: FromSFrameWorker): void {
    if (message.t === 'counts') {
      this.counts.sealed = message.sealed;
      this.counts.opened = message.opened;
      this.counts.refused = message.refused;
      return;
    }
    if (!this.stopped && this.subscribed.has(message.peerId)) this.opts.onFlowing(message.peerId);
  }

  private newConnection(): RTCPeerConnection {
    return new this.Ctor({
      iceServers: this.opts.iceServers,
      iceTransportPolicy: this.opts.relayOnly ? 'relay' : 'all',
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    });
  }

  /**
   * Trickle our candidates to Janus (RFC 8838) once the returned function
   * says the SDP they belong to has been sent; end-of-candidates as Janus's
   * `completed`.
   */
  private trickleTo(session: JanusSession, handle: number, pc: RTCPeerConnection): () => void {
    const queued: Array<{ candidate: string; sdpMid: string } | null> = [];
    let ready = false;
    pc.onicecandidate = (ev) => {
      const c = ev.candidate === null || ev.candidate.candidate === '' ? null : { candidate: ev.candidate.candidate, sdpMid: ev.candidate.sdpMid ?? '0' };
      this.log.debug('sfu-local-candidate', { candidate: c?.candidate ?? 'end' });
      if (ready) session.trickle(handle, c);
      else queued.push(c);
    };
    pc.onicecandidateerror = (ev) => this.log.warn('sfu-ice-candidate-error', { url: ev.url, code: ev.errorCode, text: ev.errorText });
    return () => {
      ready = true;
      for (const c of queued.splice(0)) session.trickle(handle, c);
    };
  }

  /** Our uplink: the microphone track, every encoded frame sealed in the worker before it is packetized. */
  private async publishUplink(ctx: Parameters<SfuConnections['publish']>[0]): Promise<void> {
    const { session, handle } = ctx;
    const pc = this.newConnection();
    this.publishPc = pc;
    const transceiver = pc.addTransceiver(this.opts.micTrack, { direction: 'sendonly', streams: [this.opts.micStream] });
    opusOnly(transceiver);
    transceiver.sender.transform = new RTCRtpScriptTransform(this.worker!, this.own!);
    pc.onconnectionstatechange = () => {
      this.log.info('sfu-uplink-state', { state: pc.connectionState });
      if (pc.connectionState === 'failed' && this.publishPc === pc) ctx.failed();
    };
    const sendCandidates = this.trickleTo(session, handle, pc);
    await pc.setLocalDescription(await pc.createOffer());
    const replied = session.message(handle, { request: 'publish', audio: true, video: false, data: false }, { type: 'offer', sdp: pc.localDescription!.sdp, e2ee: true });
    sendCandidates();
    const reply = await replied;
    if (reply.jsep?.type !== 'answer') throw new JanusError('Janus answered our publish without an SDP answer');
    if (this.publishPc !== pc) return;
    await pc.setRemoteDescription({ type: 'answer', sdp: reply.jsep.sdp });
  }

  private closeUplink(): void {
    this.publishPc?.close();
    this.publishPc = null;
  }

  /** One subscription: a connection answering Janus's offer, every frame opened in the worker before libwebrtc decodes it. */
  private async answerFeed(ctx: Parameters<SfuConnections['subscribe']>[0]): Promise<() => void> {
    const { session, handle, peerId } = ctx;
    const keying = await senderKeying(this.opts.mediaSecret, peerId);
    const options: SFrameTransformOptions = { side: 'open', kid: keying.kid.toString(), baseKey: keying.baseKey, peerId };
    const pc = this.newConnection();
    let closed = false;
    let shown = false;
    let statsTimer: ReturnType<typeof setInterval> | undefined;
    const close = (): void => {
      if (closed) return;
      closed = true;
      if (statsTimer !== undefined) clearInterval(statsTimer);
      pc.close();
      this.subscribed.delete(peerId);
      if (shown) this.opts.onStream(peerId, null);
    };
    try {
      pc.ontrack = (ev) => {
        // Before the first frame reaches the decoder: every frame of this subscription is opened first.
        ev.receiver.transform = new RTCRtpScriptTransform(this.worker!, options);
        if (closed) return;
        shown = true;
        this.subscribed.add(peerId);
        this.opts.onStream(peerId, ev.streams[0] ?? new MediaStream([ev.track]));
      };
      pc.onconnectionstatechange = () => {
        this.log.info('sfu-subscription-state', { peer: peerId, state: pc.connectionState });
        // Dropped here, subscribed again by the next reconcile on a new connection.
        if (pc.connectionState === 'failed') ctx.failed();
      };
      const sendCandidates = this.trickleTo(session, handle, pc);
      await pc.setRemoteDescription({ type: 'offer', sdp: ctx.offer.sdp });
      for (const t of pc.getTransceivers()) opusOnly(t);
      await pc.setLocalDescription(await pc.createAnswer());
      const started = session.message(handle, { request: 'start', room: this.opts.room }, { type: 'answer', sdp: pc.localDescription!.sdp });
      sendCandidates();
      statsTimer = setInterval(() => void this.pollStats(peerId, pc, () => closed), STATS_INTERVAL_MS);
      await started;
    } catch (err) {
      close();
      throw err;
    }
    return close;
  }

  private async pollStats(peerId: string, pc: RTCPeerConnection, closed: () => boolean): Promise<void> {
    let report: RTCStatsReport;
    try {
      report = await pc.getStats();
    } catch {
      return;
    }
    if (closed()) return;
    const entries: StatsEntry[] = [];
    report.forEach((e: StatsEntry) => entries.push(e));
    this.opts.onFigures(peerId, readLinkFigures(entries));
  }
}
