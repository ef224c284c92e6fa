/**
 * One WebRTC connection to one remote peer, over node-datachannel
 * (libdatachannel): a single SendRecv Opus audio track carrying RTP packets
 * that WE build (RFC 3550 header, RFC 7587 Opus payload), plus ICE/DTLS-SRTP.
 *
 * Design choices (see docs/architecture.md §6 and §7 for the measured facts behind them):
 *
 * - Full RTP packets in, full RTP packets out. We do not use libdatachannel's
 *   RtpPacketizer: the send loop owns sequence numbers, timestamps (which
 *   must keep advancing across silence) and the marker bit, and the loopback
 *   simulator can use the very same packets. With no packetizer in the
 *   chain, the track transmits what it is given and demultiplexes RTP from
 *   RTCP by the second byte (RFC 5761 §4), so `sendRtcp` works too.
 * - RtcpSrReporter is the only media handler. It only watches outgoing
 *   packets carrying our SSRC and emits a sender report (RFC 3550 §6.4.1,
 *   with SDES CNAME) at most once per second. We deliberately do NOT chain
 *   RtcpReceivingSession: it swallows every incoming RTCP packet (so the
 *   engine would never see SR/RR) and reports false loss equal to the
 *   sender's first sequence number (docs/architecture.md §6). Incoming RTCP therefore
 *   reaches `onRtcp`, and receiver reports are the engine's to build (from
 *   its own sequence tracking) and send with `sendRtcp`.
 * - Our own track is pre-added before negotiation on both sides: the
 *   offerer in the constructor, the answerer just before applying the first
 *   offer, with the offer's `a=mid` and Opus payload type. A track taken
 *   from onTrack would leave our SSRC out of the SDP.
 * - The payload type on the wire is the one this link negotiated: an
 *   answerer uses the offer's Opus payload type (Firefox offers 109, not
 *   111, docs/architecture.md §7), while the engine packetizes once for all
 *   peers with its own. `sendRtp` rewrites the 7-bit PT field of a packet
 *   whose PT differs, in a per-link scratch buffer (RFC 3550 §5.1).
 * - RED (RFC 2198) beside Opus: the offerer's track offers `red/48000/2`
 *   (ours 63, fmtp `111/111`, listed first, as a browser that prefers RED
 *   does), and learns from the answer whether the other end took it; the
 *   answerer takes it, with the offer's payload type, only when offered.
 *   `negotiatedAudio` says what was agreed. A RED packet from the engine
 *   (our RED payload type) is renumbered like an Opus one, its block
 *   headers too (rtp/red-payload.ts), and refused on a link without RED.
 * - Auto-negotiation is off: every setLocalDescription is ours, and an
 *   answer is created right after a remote offer is applied (a first offer
 *   or a later one). libdatachannel supports renegotiation from either side
 *   (setLocalDescription('offer') on a negotiated connection, e.g. after
 *   pc.addTrack for a second track); the product does not use it, so this
 *   module has no such method. One would go next to `start()`, with an
 *   added track pre-registered like `addOwnTrack`; a tested version
 *   (renegotiate(), addAudioTrack()) is in git history, commit 7480eed.
 * - Every native callback body is wrapped: an exception escaping into
 *   node-datachannel aborts the process (SIGABRT), so errors are logged and
 *   counted instead. Native objects are held in fields for the link's whole
 *   life because objects JS forgets lose their callbacks silently.
 * - DTLS roles (docs/architecture.md §6, "DTLS roles and the answer"): the
 *   answerer keeps libdatachannel's default, the DTLS client, and the offerer
 *   trickles its own candidates only once it has applied the answer. An
 *   answerer that could reach us before that made our ICE connect inside
 *   libdatachannel's setRemoteDescription, before it had stored the
 *   fingerprint, and the DTLS certificate check failed (issue 11 §3).
 * - No ICE restart in libdatachannel: a broken path is repaired by closing
 *   this link and building a new one (the session's job).
 * - The chat data channel (link-types.ts CHAT_CHANNEL) is negotiated out of
 *   band with a fixed stream id and created when the link is built (the
 *   offerer before its offer, the answerer before applying the offer):
 *   adding a data channel to an audio-only connection later fails on the
 *   answerer (docs/architecture.md §6). Chromium creates the same channel
 *   (src/web/browser-link.ts).
 */
import { monotonicClock, type Clock, type TimerHandle } from '../../core/clock.js';
import { SAMPLE_RATE } from '../../core/media-format.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { toNativeIceServers, type IceServerConfig } from './ice-servers.js';
import {
  Audio,
  ensureNativeLogging,
  holdNative,
  PeerConnection,
  releaseNative,
  RtcpSrReporter,
  RtpPacketizationConfig,
  type DataChannel,
  type RtcConfig,
  type Track,
} from './native.js';
import { DEFAULT_OPUS_PAYLOAD_TYPE } from '../rtp/opus-payload.js';
import { DEFAULT_RED_PAYLOAD_TYPE, setRedBlockPayloadTypes } from '../rtp/red-payload.js';
import { buildEmptyReceiverReport, buildGoodbye, hasGoodbye, isRtcpSecondByte, readGoodbye } from '../rtcp/packets.js';
import { carriesCandidates, findAnsweredRed, findOfferedAudio, offerForPassiveAnswer } from './sdp.js';
import { candidateType, checkLinkSignal, stripAttributePrefix, type LinkSignal } from './signal.js';

export type { LinkSignal } from './signal.js';
export { emptyLinkStats, type CandidateInfo, type CandidatePair, type LinkState, type PeerLinkStats } from './link-types.js';
import { CHAT_CHANNEL, emptyLinkStats, type CandidateInfo, type CandidatePair, type LinkState, type NegotiatedAudio, type PeerLinkStats } from './link-types.js';
export { shutdownMesh, configureMeshLogging } from './native.js';


/**
 * Our Opus fmtp (RFC 7587 §6.1): mono speech, 10 ms minimum packet time,
 * in-band FEC allowed. Without it libdatachannel asks for stereo 96 kb/s.
 */
export const OPUS_FMTP = 'minptime=10;useinbandfec=1';
/** RED's fmtp (RFC 2198 §5): the payload types of its blocks, here two levels of Opus, as Chromium writes it. */
function redFmtp(opusPayloadType: number): string {
  return `${opusPayloadType}/${opusPayloadType}`;
}

/** How long the selected candidate pair is taken as known (see selectedCandidatePair). */
const PAIR_REFRESH_MS = 2000;

/**
 * The reason text of the RTCP BYE (RFC 3550 §6.6) a peer sends on each link
 * when it leaves the room (sayGoodbye). Only a BYE with this reason means
 * "gone from the room": a browser's libwebrtc sends a BYE without one when
 * it merely closes a connection (a room moving to the SFU closes mesh links
 * of peers who stay).
 */
export const ROOM_LEAVE_REASON = 'left the room';

/**
 * How long a link must stay up after sayGoodbye before close(): a BYE
 * followed at once by the close was lost in 3 of 15 loopback runs on a
 * loaded machine (the close overtook it inside libdatachannel), in none of
 * 15 with 20 ms between them. The media host holds the native close that
 * long (media/media-host.ts closeLink).
 */
export const GOODBYE_FLUSH_MS = 30;

/**
 * How long a remote's DTLS close waits before it is reported (see
 * updateState): a margin for a BYE that left GOODBYE_FLUSH_MS before it and
 * reaches JS by another native thread; nothing needs the report sooner (a
 * vanished peer is found by inactivity after seconds).
 */
const REMOTE_CLOSE_REPORT_MS = 100;

/** Candidates held while waiting for the remote description; a flood beyond this is dropped. */
const MAX_PENDING_CANDIDATES = 64;

/**
 * After the answer is applied, the offerer holds its candidates until its own
 * ICE is connected, or this long at most (see onLocalCandidate).
 */
export const CANDIDATE_RELEASE_AFTER_ANSWER_MS = 100;

export interface PeerLinkOptions {
  /** Remote peer id (for logs). */
  peerId: string;
  /** The newcomer offers to every existing peer; the others answer (no glare). */
  role: 'offerer' | 'answerer';
  iceServers: IceServerConfig[];
  /** iceTransportPolicy "relay": only TURN-relayed candidates are used. */
  relayOnly?: boolean;
  /** Our own SSRC (random, RFC 3550 §8); every RTP packet we send must carry it. */
  ssrc: number;
  /** RTCP CNAME (RFC 3550 §6.5.1). */
  cname: string;
  /** Send through signaling; candidates are trickled as gathered (RFC 8838). */
  onSignal(signal: LinkSignal): void;
  /** A whole RTP packet (12-byte header onward) and its arrival time on `clock`. */
  onRtp(packet: Uint8Array, arrivalMs: number): void;
  /** RTCP packets (second byte 192–223, RFC 5761 §4) from the remote peer. */
  onRtcp?(packet: Uint8Array): void;
  onState(state: LinkState): void;
  /**
   * The remote said on this link that it leaves the room (an RTCP BYE with
   * ROOM_LEAVE_REASON, sayGoodbye()); called once, before the state change
   * its closing link brings.
   */
  onGoodbye?(): void;
  /** A text message on the link's chat channel (room/chat.ts reads it). */
  onChat?(text: string): void;
  logger?: Logger;
  clock?: Clock;
  /** Bind ICE to this local address only (tests use 127.0.0.1 so no other interface is touched). */
  bindAddress?: string;
  /**
   * When nothing was sent for this long, send an empty RTCP receiver report
   * (RFC 3550 §6.4.2, RC=0) so the remote can tell we are alive even while
   * our voice gate sends no RTP. Default 2000 ms.
   */
  keepaliveMs?: number;
  /**
   * Report 'disconnected' after this long without any packet from the remote
   * (and 'connected' again when packets resume). libjuice has no ICE consent
   * freshness and a vanished peer is otherwise never noticed. Default
   * 6000 ms (three keepalives); 0 disables.
   */
  inactivityTimeoutMs?: number;
  /**
   * Offer or take RED (RFC 2198) beside Opus. Default true; links to an SFU
   * say false: their payloads are SFrame-sealed Opus frames (docs/architecture.md §11).
   */
  red?: boolean;
  /** Carry the chat data channel (link-types.ts CHAT_CHANNEL). Default true; an SFU link has none. */
  chat?: boolean;
}

export class PeerLink {
  private readonly opts: PeerLinkOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  /** selectedCandidatePair's last answer, and when it was asked (null: ask again). */
  private pair: CandidatePair | null = null;
  private pairAtMs: number | null = null;

  // Native objects: held for the link's lifetime, released by close().
  private pc: PeerConnection | undefined;
  private audio: Audio | undefined;
  private track: Track | undefined;
  private rtpConfig: RtpPacketizationConfig | undefined;
  private srReporter: RtcpSrReporter | undefined;
  private readonly dataChannels: DataChannel[] = [];
  private chat: DataChannel | undefined;
  private chatOpen_ = false;
  /** Tracks the remote added (we never send on them): held so their native callbacks stay alive. */
  private readonly remoteTracks: Track[] = [];
  /** Where sendRtp rewrites a packet's payload type; grows to the largest packet, reused for every send. */
  private ptScratch: Buffer = Buffer.alloc(0);

  private payloadType = DEFAULT_OPUS_PAYLOAD_TYPE;
  /** RED on our track (offered, or taken from the offer), or null. */
  private trackRedPayloadType: number | null = null;
  private negotiated: NegotiatedAudio | null = null;
  private started = false;
  private closed = false;
  private remoteDescriptionSet = false;
  private pendingCandidates: Array<{ candidate: string; mid: string }> = [];
  /** The offerer's own candidates, held until the answer is applied and our ICE connected (see onLocalCandidate). */
  private heldLocalCandidates: Array<{ candidate: string; mid: string }> = [];
  private candidatesReleased = false;
  private releaseTimer: TimerHandle | undefined;
  private readonly localTypes: string[] = [];
  private pcState = 'new';
  private trackOpen = false;
  private reportedState: LinkState | null = null;
  private negotiationStartMs: number | null = null;
  private readonly keepaliveMs: number;
  private readonly inactivityTimeoutMs: number;
  private lastSentMs = 0;
  private lastReceivedMs = 0;
  private remoteSilent = false;
  private remoteSaidGoodbye = false;
  /** The remote's DTLS close, reported REMOTE_CLOSE_REPORT_MS later (see updateState). */
  private remoteCloseTimer: TimerHandle | undefined;
  private livenessTimer: TimerHandle | undefined;
  private readonly counters: PeerLinkStats = emptyLinkStats();

  constructor(opts: PeerLinkOptions) {
    if (!Number.isInteger(opts.ssrc) || opts.ssrc < 0 || opts.ssrc > 0xffffffff) {
      throw new RangeError(`ssrc must be a 32-bit unsigned integer, got ${opts.ssrc}`);
    }
    if (opts.role !== 'offerer' && opts.role !== 'answerer') throw new RangeError(`role must be offerer or answerer, got ${String(opts.role)}`);
    if (typeof opts.cname !== 'string' || opts.cname.length === 0 || opts.cname.length > 255) {
      throw new RangeError('cname must be a non-empty string of at most 255 bytes (RFC 3550 §6.5)');
    }
    this.opts = opts;
    this.clock = opts.clock ?? monotonicClock;
    this.log = (opts.logger ?? silentLogger).child({ component: 'peer-link', peer: opts.peerId });
    this.keepaliveMs = opts.keepaliveMs ?? 2000;
    this.inactivityTimeoutMs = opts.inactivityTimeoutMs ?? 6000;
    if (!(this.keepaliveMs > 0)) throw new RangeError(`keepaliveMs must be > 0, got ${this.keepaliveMs}`);
    if (!(this.inactivityTimeoutMs >= 0)) throw new RangeError(`inactivityTimeoutMs must be >= 0, got ${this.inactivityTimeoutMs}`);

    const config: RtcConfig = {
      iceServers: toNativeIceServers(opts.iceServers),
      iceTransportPolicy: opts.relayOnly === true ? 'relay' : 'all',
      disableAutoNegotiation: true,
    };
    if (opts.bindAddress !== undefined) config.bindAddress = opts.bindAddress;

    ensureNativeLogging();
    const pc = new PeerConnection(`roundtable-${opts.peerId}`, config);
    this.pc = pc;
    pc.onLocalDescription((sdp, type) => this.guard('local-description', () => this.onLocalDescription(sdp, type)));
    pc.onLocalCandidate((candidate, mid) => this.guard('local-candidate', () => this.onLocalCandidate(candidate, mid)));
    pc.onStateChange((state) =>
      this.guard('state-change', () => {
        this.pcState = state;
        this.log.debug('pc-state', { state });
        this.updateState();
      }),
    );
    pc.onGatheringStateChange((state) => this.guard('gathering-state', () => this.log.debug('gathering-state', { state })));
    pc.onIceStateChange((state) =>
      this.guard('ice-state', () => {
        if ((state === 'connected' || state === 'completed') && this.remoteDescriptionSet) this.releaseCandidates();
      }),
    );
    pc.onTrack((track) => {
      holdNative(track);
      ignoreErrors(() => track.onClosed(() => releaseNative(track)));
      this.guard('remote-track', () => {
        // A track the remote added by renegotiation. Nothing uses it; it is
        // held until close because a native object JS forgets loses its callbacks.
        this.remoteTracks.push(track);
        this.log.info('remote-track-added', { mid: track.mid() });
      });
    });
    pc.onDataChannel((dc) => {
      holdNative(dc);
      ignoreErrors(() => dc.onClosed(() => releaseNative(dc)));
      this.guard('remote-datachannel', () => this.adoptDataChannel(dc));
    });

    if (opts.role === 'offerer') {
      this.addOwnTrack('audio', DEFAULT_OPUS_PAYLOAD_TYPE, opts.red === false ? null : DEFAULT_RED_PAYLOAD_TYPE);
      this.addChatChannel();
    }
  }

  /** The offerer sends its offer; the answerer waits for one. Idempotent. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    if (this.opts.role !== 'offerer') return;
    this.negotiationStartMs = this.clock.now();
    this.callNative('set-local-offer', (pc) => pc.setLocalDescription('offer'));
  }

  /** The Opus payload type in use (ours, or the one the remote offer chose): put it in every RTP header. */
  get opusPayloadType(): number {
    return this.payloadType;
  }

  /**
   * The payload types agreed (Opus, and RED or null), or null before the
   * remote description is applied. The same object until renegotiation.
   */
  get negotiatedAudio(): NegotiatedAudio | null {
    return this.negotiated;
  }

  /** True while the chat channel can carry messages. */
  get chatOpen(): boolean {
    return !this.closed && this.chatOpen_;
  }

  /** True while the audio track can carry packets. */
  get isOpen(): boolean {
    return !this.closed && this.trackOpen;
  }

  /**
   * Apply one signal from the remote peer. Never throws: malformed signals,
   * and ones the native library refuses, are logged and counted in
   * `badSignals`. Candidates before the remote description are queued (RFC 8838 §4).
   */
  handleSignal(signal: unknown): void {
    try {
      if (this.closed) return;
      const check = checkLinkSignal(signal);
      if (!check.ok) {
        this.counters.badSignals++;
        this.log.warn('bad-signal', { reason: check.reason });
        return;
      }
      const s = check.signal;
      if (s.type === 'candidate') this.applyCandidate(s.candidate, s.mid);
      else if (s.descType === 'offer') this.applyOffer(s.sdp);
      else this.applyAnswer(s.sdp);
    } catch (err) {
      this.counters.badSignals++;
      this.log.warn('signal-failed', { err });
    }
  }

  /**
   * Send one complete RTP packet (RFC 3550 §5.1) on the audio track. Returns
   * false, counted in `sendFailures`, when the track is not open or the
   * packet is not RTP; never throws.
   */
  sendRtp(packet: Uint8Array): boolean {
    if (!(packet instanceof Uint8Array) || packet.length < 12 || packet[0]! >> 6 !== 2 || isRtcpSecondByte(packet[1]!)) {
      this.counters.sendFailures++;
      return false;
    }
    const pt = packet[1]! & 0x7f;
    let rewrite: boolean;
    if (pt === DEFAULT_RED_PAYLOAD_TYPE) {
      const red = this.negotiated?.red ?? null;
      if (red === null) {
        // RED to a peer that did not take it would be dropped there unheard.
        this.counters.sendFailures++;
        return false;
      }
      rewrite = red !== pt || this.payloadType !== DEFAULT_OPUS_PAYLOAD_TYPE;
    } else {
      rewrite = pt !== this.payloadType;
    }
    if (!this.send(rewrite ? this.withNegotiatedPayloadType(packet, pt === DEFAULT_RED_PAYLOAD_TYPE) : packet)) return false;
    if (rewrite) this.counters.payloadTypeRewrites++;
    this.counters.packetsSent++;
    this.counters.bytesSent += packet.length;
    return true;
  }

  /** Send one RTCP packet or compound packet (e.g. our own receiver report, RFC 3550 §6.4.2). */
  sendRtcp(packet: Uint8Array): boolean {
    if (!(packet instanceof Uint8Array) || packet.length < 8 || packet.length % 4 !== 0 || packet[0]! >> 6 !== 2 || !isRtcpSecondByte(packet[1]!)) {
      this.counters.sendFailures++;
      return false;
    }
    if (!this.send(packet)) return false;
    this.counters.rtcpSent++;
    return true;
  }

  /**
   * Tell the remote we leave the room (docs/architecture.md §4, "leaving"):
   * an RTCP BYE with ROOM_LEAVE_REASON on the audio track, so it tears us
   * down at once instead of taking our link's close for a failure, whatever
   * the signaling server is doing. False while the track is not open.
   */
  sayGoodbye(): boolean {
    if (!this.trackOpen || this.closed) return false;
    return this.send(buildGoodbye(this.opts.ssrc, ROOM_LEAVE_REASON));
  }

  /** Send one text message on the chat channel; false (never a throw) while it is not open. */
  sendChat(text: string): boolean {
    const dc = this.chat;
    if (this.closed || dc === undefined || !this.chatOpen_) return false;
    try {
      if (!dc.sendMessage(text)) return false;
      this.counters.chatSent++;
      return true;
    } catch (err) {
      this.log.debug('chat-send-failed', { err });
      return false;
    }
  }

  /** Types (host, srflx, relay, …) of the candidates we gathered and trickled. */
  localCandidateTypes(): string[] {
    return [...this.localTypes];
  }

  /**
   * The candidate pair ICE selected, or null before connection / after
   * close. Asked for with every media snapshot (10 a second per link), and
   * the native call cost 1.3 % of a core with 7 links (profiled in an
   * 8-peer room): the answer is kept for PAIR_REFRESH_MS, and asked again
   * at once when the link's state changes (the pair may change with it).
   */
  selectedCandidatePair(): CandidatePair | null {
    if (this.closed || this.pc === undefined) return null;
    const now = this.clock.now();
    if (this.pairAtMs !== null && now - this.pairAtMs < PAIR_REFRESH_MS) return this.pair;
    this.pairAtMs = now;
    try {
      const pair = this.pc.getSelectedCandidatePair();
      const pick = (c: CandidateInfo): CandidateInfo => ({ address: c.address, port: c.port, type: c.type, transportType: c.transportType });
      this.pair = pair ? { local: pick(pair.local), remote: pick(pair.remote) } : null;
    } catch (err) {
      this.log.debug('selected-pair-failed', { err });
      this.pair = null;
    }
    return this.pair;
  }

  stats(): PeerLinkStats {
    return { ...this.counters };
  }

  /** Close and release every native object. Idempotent; safe after failure. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.trackOpen = false;
    if (this.livenessTimer !== undefined) this.clock.clearTimer(this.livenessTimer);
    this.livenessTimer = undefined;
    if (this.releaseTimer !== undefined) this.clock.clearTimer(this.releaseTimer);
    this.releaseTimer = undefined;
    if (this.remoteCloseTimer !== undefined) this.clock.clearTimer(this.remoteCloseTimer);
    this.remoteCloseTimer = undefined;
    for (const dc of this.dataChannels) ignoreErrors(() => dc.close());
    for (const t of this.remoteTracks) ignoreErrors(() => t.close());
    if (this.track !== undefined) ignoreErrors(() => this.track!.close());
    if (this.pc !== undefined) ignoreErrors(() => this.pc!.close());
    this.dataChannels.length = 0;
    this.chat = undefined;
    this.chatOpen_ = false;
    this.remoteTracks.length = 0;
    this.track = undefined;
    this.srReporter = undefined;
    this.rtpConfig = undefined;
    this.audio = undefined;
    this.pc = undefined;
    this.pendingCandidates = [];
    this.heldLocalCandidates = [];
    this.log.info('link-closed');
    this.emitState('closed');
  }

  // ---- internals -------------------------------------------------------

  private addOwnTrack(mid: string, payloadType: number, redPayloadType: number | null): void {
    const pc = this.pc;
    if (pc === undefined) return;
    const audio = new Audio(mid, 'SendRecv');
    // The m-line lists codecs in the order added: RED first, the order in which libwebrtc sends RED.
    if (redPayloadType !== null) audio.addAudioCodec(redPayloadType, 'red', redFmtp(payloadType));
    audio.addOpusCodec(payloadType, OPUS_FMTP);
    // msid groups our track into one stream for browsers (RFC 8830).
    audio.addSSRC(this.opts.ssrc, this.opts.cname, this.opts.cname, 'audio');
    // Held past close() until its onClosed is delivered (native.ts, holdNative).
    const track = holdNative(pc.addTrack(audio));
    const rtpConfig = new RtpPacketizationConfig(this.opts.ssrc, this.opts.cname, payloadType, SAMPLE_RATE);
    const srReporter = new RtcpSrReporter(rtpConfig);
    track.setMediaHandler(srReporter);
    track.onOpen(() => this.guard('track-open', () => this.onTrackOpen()));
    track.onClosed(() => {
      releaseNative(track);
      this.guard('track-closed', () => {
        this.trackOpen = false;
        this.log.info('track-closed');
        this.updateState();
      });
    });
    track.onError((err) => this.guard('track-error', () => this.log.warn('track-error', { err })));
    track.onMessage((msg) => this.guard('track-message', () => this.onMessage(msg)));
    this.audio = audio;
    this.track = track;
    this.rtpConfig = rtpConfig;
    this.srReporter = srReporter;
    this.payloadType = payloadType;
    this.trackRedPayloadType = redPayloadType;
  }

  /** The chat channel, negotiated out of band: created on both ends before the SDP that announces it. */
  private addChatChannel(): void {
    const pc = this.pc;
    if (pc === undefined || this.chat !== undefined || this.opts.chat === false) return;
    let dc: DataChannel;
    try {
      dc = holdNative(pc.createDataChannel(CHAT_CHANNEL.label, { negotiated: true, id: CHAT_CHANNEL.id }));
    } catch (err) {
      // The call goes on without chat.
      this.log.warn('chat-channel-failed', { err });
      return;
    }
    this.chat = dc;
    this.dataChannels.push(dc);
    dc.onOpen(() => this.guard('chat-open', () => {
      this.chatOpen_ = true;
      this.log.info('chat-open');
    }));
    dc.onClosed(() => {
      releaseNative(dc);
      this.guard('chat-closed', () => {
        this.chatOpen_ = false;
      });
    });
    dc.onError((err) => this.guard('chat-error', () => this.log.warn('chat-error', { err })));
    dc.onMessage((msg) => this.guard('chat-message', () => {
      if (typeof msg !== 'string') return;
      this.counters.chatReceived++;
      this.safeCall('onChat', () => this.opts.onChat?.(msg));
    }));
  }

  private adoptDataChannel(dc: DataChannel): void {
    this.dataChannels.push(dc);
    dc.onOpen(() => this.guard('datachannel-open', () => this.log.info('datachannel-open', { label: dc.getLabel() })));
    dc.onError((err) => this.guard('datachannel-error', () => this.log.warn('datachannel-error', { err })));
    // Messages are not used yet; a handler keeps the channel's queue drained.
    dc.onMessage(() => undefined);
  }

  private onTrackOpen(): void {
    this.trackOpen = true;
    if (this.counters.connectMs === null && this.negotiationStartMs !== null) {
      this.counters.connectMs = this.clock.now() - this.negotiationStartMs;
    }
    this.log.info('track-open', { connectMs: this.counters.connectMs });
    this.lastReceivedMs = this.clock.now();
    this.lastSentMs = 0;
    if (this.livenessTimer === undefined) this.scheduleLiveness();
    this.updateState();
  }

  /** Keepalive out, inactivity in: one timer, every keepaliveMs/2 (or faster for short timeouts). */
  private scheduleLiveness(): void {
    const periodMs = Math.min(this.keepaliveMs / 2, this.inactivityTimeoutMs > 0 ? this.inactivityTimeoutMs / 4 : Infinity);
    this.livenessTimer = this.clock.setTimer(() => {
      this.livenessTimer = undefined;
      this.guard('liveness', () => this.checkLiveness());
      if (!this.closed) this.scheduleLiveness();
    }, periodMs);
  }

  private checkLiveness(): void {
    if (!this.trackOpen) return;
    const now = this.clock.now();
    if (now - this.lastSentMs >= this.keepaliveMs) {
      if (this.send(buildEmptyReceiverReport(this.opts.ssrc))) this.counters.keepalivesSent++;
    }
    if (this.inactivityTimeoutMs > 0 && !this.remoteSilent && now - this.lastReceivedMs > this.inactivityTimeoutMs) {
      this.remoteSilent = true;
      this.log.warn('remote-silent', { silentMs: Math.round(now - this.lastReceivedMs) });
      this.updateState();
    }
  }

  private onMessage(msg: Buffer | string): void {
    if (typeof msg === 'string' || msg.length < 2) {
      this.counters.malformedReceived++;
      return;
    }
    const arrivalMs = this.clock.now();
    this.lastReceivedMs = arrivalMs;
    if (this.remoteSilent) {
      this.remoteSilent = false;
      this.log.info('remote-alive-again');
      this.updateState();
    }
    if (isRtcpSecondByte(msg[1]!)) {
      this.counters.rtcpReceived++;
      if (hasGoodbye(msg)) this.onRemoteGoodbye(msg);
      this.safeCall('onRtcp', () => this.opts.onRtcp?.(msg));
      return;
    }
    if (msg.length < 12) {
      this.counters.malformedReceived++;
      return;
    }
    this.counters.packetsReceived++;
    this.counters.bytesReceived += msg.length;
    this.safeCall('onRtp', () => this.opts.onRtp(msg, arrivalMs));
  }

  private onRemoteGoodbye(msg: Buffer): void {
    const bye = readGoodbye(msg);
    if (bye === null || bye.reason !== ROOM_LEAVE_REASON || this.remoteSaidGoodbye) return;
    this.remoteSaidGoodbye = true;
    this.log.info('remote-goodbye', { reason: bye.reason });
    this.safeCall('onGoodbye', () => this.opts.onGoodbye?.());
  }

  private onLocalDescription(sdp: string, type: string): void {
    if (this.closed) return;
    if (type !== 'offer' && type !== 'answer') {
      this.log.warn('unexpected-local-description', { type });
      return;
    }
    this.safeCall('onSignal', () => this.opts.onSignal({ type: 'description', sdp, descType: type }));
  }

  /**
   * The offerer trickles its candidates only once the answer is applied
   * (docs/architecture.md §4 and §6, "DTLS roles and the answer"). libdatachannel's
   * setRemoteDescription hands the answer's ICE credentials to the ICE agent
   * first and stores the description, whose fingerprint the DTLS certificate
   * check reads, only after that. An answerer that already knew our
   * candidates had been checking us since it took the offer (we answer
   * checks without its credentials), so our ICE connected within
   * microseconds of receiving them, inside that call; the DTLS handshake
   * could then reach the certificate check before the description was
   * stored, which fails with no fingerprint to compare ("certificate verify
   * failed", "unknown CA" at the other end): with three processes joining
   * at once (bench/dtls-race.ts, old and new code alternating) 28 of 180 peer
   * links were rebuilt, 0 of 180 with this. Holding our candidates
   * means nothing can reach us before the answer is stored, and the answer's
   * own candidates are queued until then (applyCandidate), so our ICE has no
   * path at all while setRemoteDescription runs.
   *
   * And a little longer: until our own ICE is connected (at most
   * CANDIDATE_RELEASE_AFTER_ANSWER_MS after the answer). The answerer is the
   * DTLS client (applyOffer) and sends its ClientHello the moment its ICE
   * connects; libdatachannel drops DTLS that arrives before our DTLS
   * transport exists, which it creates only when our ICE connects, and the
   * client retransmits after 1 s. An answerer that has our candidates can
   * connect first (its own checks, while ours are still to go out on a busy
   * machine): 2 of 50 joins waited 1 s that way (bench/join-latency.ts).
   * Without our candidates it can only answer our checks and check back
   * where they came from, so our ICE connects first. Where our checks alone
   * cannot connect (a TURN relay that needs the answerer's permission first)
   * the limit lets them out.
   */
  private onLocalCandidate(raw: string, mid: string): void {
    if (this.closed) return;
    const candidate = stripAttributePrefix(raw);
    const type = candidateType(candidate);
    if (type !== null) this.localTypes.push(type);
    if (this.opts.role === 'offerer' && !this.candidatesReleased) {
      if (this.heldLocalCandidates.length < MAX_PENDING_CANDIDATES) this.heldLocalCandidates.push({ candidate, mid });
      return;
    }
    this.safeCall('onSignal', () => this.opts.onSignal({ type: 'candidate', candidate, mid }));
  }

  private applyOffer(sdp: string): void {
    if (this.track === undefined) {
      const offered = findOfferedAudio(sdp);
      if (offered === null) {
        this.counters.badSignals++;
        this.log.warn('offer-without-opus-audio');
        return;
      }
      this.addOwnTrack(offered.mid, offered.opusPayloadType, this.opts.red === false ? null : offered.redPayloadType);
      this.addChatChannel();
    }
    // A terminal's offer: we answer as the DTLS client (libdatachannel's default), since its
    // offerer connects first (onLocalCandidate); an offer with its candidates (Janus): as the
    // server, since we connect first (offerForPassiveAnswer; docs/architecture.md §6). Relay-only
    // (TURN) we also connect first: the offerer's checks reach us only once our own checks made
    // our allocation's permission for it (RFC 8656 §9), so as the client we sent our ClientHello
    // before its DTLS existed and waited libdatachannel's 1 s retransmit on every clean TURN join
    // (1.22 s each in bench/impaired-link.ts); as the server it is ~260 ms.
    const applied = carriesCandidates(sdp) || this.opts.relayOnly === true ? offerForPassiveAnswer(sdp) : sdp;
    if (!this.callNative('set-remote-offer', (pc) => pc.setRemoteDescription(applied, 'offer'), true)) return;
    // Our answer lists our track's codecs: RED exactly when this (or the first) offer had it.
    const red = this.trackRedPayloadType;
    this.setNegotiated(red !== null && findOfferedAudio(sdp)?.redPayloadType === red ? red : null);
    this.onRemoteDescriptionApplied();
    if (this.negotiationStartMs === null) this.negotiationStartMs = this.clock.now();
    this.callNative('set-local-answer', (pc) => pc.setLocalDescription('answer'));
  }

  private applyAnswer(sdp: string): void {
    if (!this.callNative('set-remote-answer', (pc) => pc.setRemoteDescription(sdp, 'answer'), true)) return;
    const red = this.trackRedPayloadType;
    this.setNegotiated(red === null ? null : findAnsweredRed(sdp, this.payloadType, red));
    this.onRemoteDescriptionApplied();
  }

  private setNegotiated(red: number | null): void {
    if (this.negotiated?.opus === this.payloadType && this.negotiated.red === red) return;
    this.negotiated = { opus: this.payloadType, red };
    this.log.info('audio-negotiated', { opus: this.payloadType, red });
  }

  private onRemoteDescriptionApplied(): void {
    this.counters.descriptionsApplied++;
    if (this.remoteDescriptionSet) return;
    this.remoteDescriptionSet = true;
    const queued = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const c of queued) this.applyCandidate(c.candidate, c.mid);
    // The offerer's candidates go out once the answer is stored and our ICE connected, or soon after
    // the answer at the latest (onLocalCandidate).
    if (this.opts.role !== 'offerer' || this.candidatesReleased) return;
    if (this.pc !== undefined && ['connected', 'completed'].includes(this.pc.iceState())) return this.releaseCandidates();
    this.releaseTimer = this.clock.setTimer(() => {
      this.releaseTimer = undefined;
      this.releaseCandidates();
    }, CANDIDATE_RELEASE_AFTER_ANSWER_MS);
  }

  private releaseCandidates(): void {
    if (this.candidatesReleased || this.closed) return;
    this.candidatesReleased = true;
    if (this.releaseTimer !== undefined) this.clock.clearTimer(this.releaseTimer);
    this.releaseTimer = undefined;
    const held = this.heldLocalCandidates;
    this.heldLocalCandidates = [];
    for (const c of held) this.safeCall('onSignal', () => this.opts.onSignal({ type: 'candidate', candidate: c.candidate, mid: c.mid }));
  }

  private applyCandidate(candidate: string, mid: string): void {
    if (!this.remoteDescriptionSet) {
      // addRemoteCandidate before setRemoteDescription throws: hold it.
      if (this.pendingCandidates.length >= MAX_PENDING_CANDIDATES) {
        this.pendingCandidates.shift();
        this.counters.droppedCandidates++;
      }
      this.pendingCandidates.push({ candidate, mid });
      return;
    }
    this.callNative('add-remote-candidate', (pc) => pc.addRemoteCandidate(candidate, mid), true);
  }

  /**
   * The packet with its 7-bit payload type set to the negotiated one and the
   * marker bit kept (RFC 3550 §5.1, second byte: M | PT); for RED, the
   * negotiated RED type and every block header naming the negotiated Opus
   * type (RFC 2198 §3). The engine's packet is shared by every peer's send
   * loop, so it is copied, into a scratch buffer reused for every send:
   * sendMessageBinary copies the bytes before it returns (node-datachannel
   * TrackWrapper → rtc::Track::send builds a new binary), so the next send
   * may overwrite them. The engine's packets have the 12-byte fixed header
   * only (no CSRCs or extension), so the RED payload starts at byte 12.
   */
  private withNegotiatedPayloadType(packet: Uint8Array, red: boolean): Uint8Array {
    if (this.ptScratch.length < packet.length) this.ptScratch = Buffer.alloc(Math.max(packet.length, 1500));
    const out = this.ptScratch.subarray(0, packet.length);
    out.set(packet);
    out[1] = (packet[1]! & 0x80) | (red ? this.negotiated!.red! : this.payloadType);
    if (red && this.payloadType !== DEFAULT_OPUS_PAYLOAD_TYPE) setRedBlockPayloadTypes(out, this.payloadType, 12);
    return out;
  }

  private send(packet: Uint8Array): boolean {
    const track = this.track;
    if (this.closed || track === undefined || !this.trackOpen) {
      this.counters.sendFailures++;
      return false;
    }
    try {
      const ok = track.sendMessageBinary(Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength));
      if (ok) this.lastSentMs = this.clock.now();
      else this.counters.sendFailures++;
      return ok;
    } catch (err) {
      // The track can close between the isOpen check and the send.
      this.counters.sendFailures++;
      this.log.debug('send-failed', { err });
      return false;
    }
  }

  /** Call into the native pc; a refusal is logged (and, for remote input, counted as a bad signal). */
  private callNative(what: string, fn: (pc: PeerConnection) => void, remoteInput = false): boolean {
    const pc = this.pc;
    if (this.closed || pc === undefined) return false;
    try {
      fn(pc);
      return true;
    } catch (err) {
      if (remoteInput) this.counters.badSignals++;
      this.log.warn('native-call-failed', { what, err });
      return false;
    }
  }

  private updateState(): void {
    if (this.closed) return;
    switch (this.pcState) {
      case 'connecting':
      case 'connected':
        // With the chat channel in the SDP, libdatachannel calls the connection
        // connected only once SCTP is up as well, after the audio track opened:
        // the link is usable (connected) as soon as the track is.
        this.emitState(!this.trackOpen ? 'connecting' : this.remoteSilent ? 'disconnected' : 'connected');
        break;
      case 'disconnected':
      case 'failed':
        this.emitState(this.pcState);
        break;
      case 'closed':
        // The native connection closed though we did not close this link: the
        // remote went away (its DTLS close reached us; in 1 of 15 loopback
        // runs this comes before our inactivity timer). 'closed' is what
        // this link reports after its own close(), so this is 'disconnected'.
        // Reported REMOTE_CLOSE_REPORT_MS later: node-datachannel hands the
        // state change and the track's packets to JS through separate queues
        // fed by different native threads, and the remote's BYE (sayGoodbye),
        // sent before its close, must be read first, so a peer leaving is
        // never taken for a link failing. The track went with the
        // connection: nothing is sent on it from now on.
        this.trackOpen = false;
        this.remoteCloseTimer ??= this.clock.setTimer(() => {
          this.remoteCloseTimer = undefined;
          if (!this.closed) this.emitState('disconnected');
        }, REMOTE_CLOSE_REPORT_MS);
        break;
      default:
        break;
    }
  }

  private emitState(state: LinkState): void {
    if (this.reportedState === state || this.reportedState === 'closed') return;
    this.reportedState = state;
    this.pairAtMs = null;
    this.log.info('link-state', { state });
    this.safeCall('onState', () => this.opts.onState(state));
  }

  /** Body of a native callback: must never throw back into node-datachannel. */
  private guard(where: string, fn: () => void): void {
    try {
      if (this.closed && where !== 'state-change') return;
      fn();
    } catch (err) {
      this.counters.callbackErrors++;
      try {
        this.log.error('callback-error', { where, err });
      } catch {
        /* never rethrow into native code */
      }
    }
  }

  /** Our user's callbacks: their exceptions are theirs, but must not escape into native code. */
  private safeCall(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.counters.callbackErrors++;
      this.log.error('user-callback-threw', { callback: name, err });
    }
  }
}

function ignoreErrors(fn: () => void): void {
  try {
    fn();
  } catch {
    /* closing an already-closed native object */
  }
}
