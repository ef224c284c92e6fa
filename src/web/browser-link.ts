/**
 * One link of the mesh in a browser: the room's SessionLink
 * (engine/media/media-port.ts) over RTCPeerConnection. The room above it is
 * the terminal's own (engine/room), so who offers, generations, rebuilds and
 * the signal format (engine/mesh/signal.ts) are one implementation.
 *
 * Unlike a terminal link, packets never pass through here: libwebrtc sends
 * the microphone track and plays what it receives, so `sendRtp`/`sendRtcp`
 * report "not sent" (the browser's media side never calls them). Liveness
 * and the figures the room shows come from getStats() polled every
 * `statsIntervalMs`.
 *
 * Interop rules (docs/architecture.md §7):
 * - RED over Opus, then Opus, by codec preference: a terminal peer takes
 *   Opus (RFC 7587) and RED carrying Opus (RFC 2198, `red/48000/2` with
 *   fmtp `111/111`) and nothing else, so the page neither offers nor
 *   accepts G.722, PCMU/PCMA, CN or telephone-event, even between two
 *   browsers, so that every link in a room behaves the same. RED comes
 *   first: libwebrtc sends RED only when it is preferred over Opus; an
 *   older terminal answers Opus alone and then gets plain Opus.
 * - Candidates trickle as gathered (RFC 8838) in the `candidate:` form; the
 *   end-of-candidates event (an empty candidate) is not sent: the terminal
 *   has no use for it. Remote candidates wait for the remote description.
 * - The answerer answers with its microphone track on the offer's own
 *   transceiver (addTrack reuses it), so one SendRecv m-line carries both ways.
 * - The chat data channel is the terminal's (mesh/link-types.ts
 *   CHAT_CHANNEL): negotiated out of band with the same stream id, created
 *   when the link is built, before any offer or answer, so both ends agree
 *   without a DCEP open message (RFC 8832 §6). Messages are shown as text
 *   only (room/chat.ts sanitizes them; the page uses textContent).
 */
import type { Clock } from '../core/clock.js';
import { CHAT_CHANNEL, emptyLinkStats, type CandidatePair, type LinkState, type PeerLinkStats } from '../engine/mesh/link-types.js';
import { candidateType, checkLinkSignal, type LinkSignal } from '../engine/mesh/signal.js';
import type { SessionLink, SessionLinkOptions } from '../engine/media/media-port.js';
import type { Logger } from '../core/logger.js';
import { EMPTY_FIGURES, readLinkFigures, type LinkFigures, type StatsEntry } from './link-figures.js';

export interface BrowserLinkMedia {
  /** The microphone track every link sends (one track shared by all links). */
  readonly micTrack: MediaStreamTrack;
  readonly micStream: MediaStream;
  /** A remote stream arrived for this peer (replaces the previous link's). */
  attachRemote(peerId: string, stream: MediaStream): void;
  /** Fresh getStats figures of this peer's current link. */
  noteFigures(peerId: string, figures: LinkFigures): void;
}

export interface BrowserLinkDeps {
  media: BrowserLinkMedia;
  clock: Clock;
  logger: Logger;
  statsIntervalMs?: number;
  /** The constructor; injectable so the link's logic is tested without a browser. */
  RTCPeerConnection?: typeof RTCPeerConnection;
  /** The codec list for setCodecPreferences (RED, Opus), or null where the browser lacks it. */
  audioCodecs?: () => RTCRtpCodec[] | null;
}

const MAX_PENDING_CANDIDATES = 64;
const DEFAULT_STATS_INTERVAL_MS = 500;

/**
 * What the page prefers of the browser's audio codecs: its RED entries
 * (`red/48000/2`) whose fmtp, if it has one, names one codec for every
 * block (`111/111`; a capability may list RED without fmtp, the browser
 * writing its own Opus in at negotiation), then its Opus entries
 * (RFC 7587 `opus/48000/2`); null without Opus.
 */
export function preferredAudioCodecs(codecs: readonly RTCRtpCodec[]): RTCRtpCodec[] | null {
  const opus = codecs.filter((c) => c.mimeType.toLowerCase() === 'audio/opus');
  if (opus.length === 0) return null;
  const red = codecs.filter((c) => c.mimeType.toLowerCase() === 'audio/red' && c.clockRate === 48000 && (c.sdpFmtpLine === undefined || /^(\d+)(\/\1)*$/.test(c.sdpFmtpLine)));
  return [...red, ...opus];
}

/** The browser's preferred audio codecs (preferredAudioCodecs), or null when capabilities are unavailable. */
export function browserAudioCodecs(): RTCRtpCodec[] | null {
  const caps = typeof RTCRtpReceiver !== 'undefined' && typeof RTCRtpReceiver.getCapabilities === 'function' ? RTCRtpReceiver.getCapabilities('audio') : null;
  return caps === null ? null : preferredAudioCodecs(caps.codecs);
}

export class BrowserLink implements SessionLink {
  /** Packets never pass here (they stay on the media side, or in libwebrtc): the payload types are not this object's to know. */
  readonly negotiatedAudio = null;
  private readonly opts: SessionLinkOptions;
  private readonly deps: BrowserLinkDeps;
  private readonly log: Logger;
  private readonly pc: RTCPeerConnection;
  private readonly chat: RTCDataChannel | undefined;
  private started = false;
  private closed = false;
  private remoteDescriptionSet = false;
  private pending: RTCIceCandidateInit[] = [];
  private readonly localTypes: string[] = [];
  private negotiationStartMs: number | null = null;
  private connectMs: number | null = null;
  private reported: LinkState | null = null;
  private figures: LinkFigures = EMPTY_FIGURES;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private readonly counters = emptyLinkStats();
  /** Signals applied one after another: each step awaits the browser. */
  private chain: Promise<void> = Promise.resolve();

  constructor(opts: SessionLinkOptions, deps: BrowserLinkDeps) {
    this.opts = opts;
    this.deps = deps;
    this.log = deps.logger.child({ component: 'browser-link', peer: opts.peerId });
    const Ctor = deps.RTCPeerConnection ?? RTCPeerConnection;
    this.pc = new Ctor({
      iceServers: opts.iceServers.map((s) => ({
        urls: s.urls,
        ...(s.username !== undefined ? { username: s.username } : {}),
        ...(s.credential !== undefined ? { credential: s.credential } : {}),
      })),
      iceTransportPolicy: opts.relayOnly === true ? 'relay' : 'all',
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    });
    this.pc.onicecandidate = (ev) => this.onLocalCandidate(ev.candidate);
    this.pc.onconnectionstatechange = () => this.updateState();
    this.pc.ontrack = (ev) => {
      const stream = ev.streams[0] ?? new MediaStream([ev.track]);
      this.deps.media.attachRemote(this.opts.peerId, stream);
    };
    if (opts.role === 'offerer') {
      const transceiver = this.pc.addTransceiver(deps.media.micTrack, { direction: 'sendrecv', streams: [deps.media.micStream] });
      this.preferCodecs(transceiver);
    }
    this.chat = this.openChat();
  }

  private openChat(): RTCDataChannel | undefined {
    try {
      const dc = this.pc.createDataChannel(CHAT_CHANNEL.label, { negotiated: true, id: CHAT_CHANNEL.id });
      dc.onopen = () => this.log.info('chat-open');
      dc.onmessage = (ev: MessageEvent) => {
        if (this.closed || typeof ev.data !== 'string') return;
        this.counters.chatReceived++;
        this.opts.onChat?.(ev.data);
      };
      return dc;
    } catch (err) {
      // The call goes on without chat.
      this.log.warn('chat-channel-failed', { error: err instanceof Error ? err.message : String(err) });
      return undefined;
    }
  }

  sendChat(text: string): boolean {
    const dc = this.chat;
    if (this.closed || dc === undefined || dc.readyState !== 'open') return false;
    try {
      dc.send(text);
      this.counters.chatSent++;
      return true;
    } catch {
      return false;
    }
  }

  get chatOpen(): boolean {
    return !this.closed && this.chat?.readyState === 'open';
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.statsTimer = setInterval(() => void this.pollStats(), this.deps.statsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS);
    this.emit('connecting');
    if (this.opts.role !== 'offerer') return;
    this.run('offer', async () => {
      this.negotiationStartMs = this.deps.clock.now();
      await this.pc.setLocalDescription(await this.pc.createOffer());
      this.sendDescription();
    });
  }

  handleSignal(signal: unknown): void {
    if (this.closed) return;
    const check = checkLinkSignal(signal);
    if (!check.ok) {
      this.counters.badSignals++;
      this.log.warn('bad-signal', { reason: check.reason });
      return;
    }
    const s: LinkSignal = check.signal;
    if (s.type === 'candidate') {
      this.run('candidate', () => this.applyCandidate({ candidate: s.candidate, sdpMid: s.mid, sdpMLineIndex: 0 }));
      return;
    }
    if (s.descType === 'answer') {
      this.run('answer', async () => {
        await this.pc.setRemoteDescription({ type: 'answer', sdp: s.sdp });
        await this.onRemoteDescription();
      });
      return;
    }
    this.run('answer-offer', async () => {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: s.sdp });
      // addTrack takes over the offer's transceiver: one m-line, both ways.
      if (!this.pc.getSenders().some((sender) => sender.track === this.deps.media.micTrack)) this.pc.addTrack(this.deps.media.micTrack, this.deps.media.micStream);
      for (const t of this.pc.getTransceivers()) {
        if (t.receiver.track.kind === 'audio') {
          t.direction = 'sendrecv';
          this.preferCodecs(t);
        }
      }
      await this.onRemoteDescription();
      this.negotiationStartMs ??= this.deps.clock.now();
      await this.pc.setLocalDescription(await this.pc.createAnswer());
      this.sendDescription();
    });
  }

  sendRtp(): boolean {
    return false;
  }

  sendRtcp(): boolean {
    return false;
  }

  get isOpen(): boolean {
    return !this.closed && this.pc.connectionState === 'connected';
  }

  stats(): PeerLinkStats {
    return {
      ...this.counters,
      connectMs: this.connectMs,
      packetsSent: this.figures.packetsSent,
      packetsReceived: this.figures.packetsReceived,
      bytesSent: this.figures.transportBytesSent,
      bytesReceived: this.figures.transportBytesReceived,
    };
  }

  selectedCandidatePair(): CandidatePair | null {
    return this.figures.selectedPair;
  }

  localCandidateTypes(): string[] {
    return [...this.localTypes];
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.statsTimer !== undefined) clearInterval(this.statsTimer);
    this.pc.onicecandidate = null;
    this.pc.onconnectionstatechange = null;
    this.pc.ontrack = null;
    if (this.chat !== undefined) {
      this.chat.onmessage = null;
      this.chat.onopen = null;
    }
    try {
      this.pc.close();
    } catch {
      // Already closed by the browser: nothing left to release.
    }
    this.emit('closed');
  }

  // ---- internals ----

  private preferCodecs(transceiver: RTCRtpTransceiver): void {
    const codecs = (this.deps.audioCodecs ?? browserAudioCodecs)();
    if (codecs === null || typeof transceiver.setCodecPreferences !== 'function') return;
    try {
      transceiver.setCodecPreferences(codecs);
    } catch (err) {
      this.log.warn('codec-preferences-refused', { error: String(err) });
    }
  }

  private run(step: string, fn: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.closed) return;
      try {
        await fn();
      } catch (err) {
        this.counters.badSignals++;
        this.log.warn('signal-failed', { step, error: err instanceof Error ? err.message : String(err) });
      }
    });
  }

  private sendDescription(): void {
    const d = this.pc.localDescription;
    if (d === null || this.closed) return;
    this.opts.onSignal({ type: 'description', sdp: d.sdp, descType: d.type === 'answer' ? 'answer' : 'offer' });
  }

  private onLocalCandidate(c: RTCIceCandidate | null): void {
    // null, or an empty candidate, marks the end of gathering: nothing to send.
    if (this.closed || c === null || c.candidate === '') return;
    const type = candidateType(c.candidate);
    if (type !== null) this.localTypes.push(type);
    this.opts.onSignal({ type: 'candidate', candidate: c.candidate, mid: c.sdpMid ?? '0' });
  }

  private async onRemoteDescription(): Promise<void> {
    this.counters.descriptionsApplied++;
    if (this.remoteDescriptionSet) return;
    this.remoteDescriptionSet = true;
    const queued = this.pending;
    this.pending = [];
    for (const c of queued) await this.applyCandidate(c);
  }

  private async applyCandidate(c: RTCIceCandidateInit): Promise<void> {
    if (!this.remoteDescriptionSet) {
      if (this.pending.length >= MAX_PENDING_CANDIDATES) {
        this.pending.shift();
        this.counters.droppedCandidates++;
      }
      this.pending.push(c);
      return;
    }
    try {
      await this.pc.addIceCandidate(c);
    } catch (err) {
      // A candidate the browser cannot use (e.g. a TCP one it does not pair) costs nothing else.
      this.counters.badSignals++;
      this.log.debug('candidate-refused', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async pollStats(): Promise<void> {
    if (this.closed) return;
    let report: RTCStatsReport;
    try {
      report = await this.pc.getStats();
    } catch {
      return;
    }
    if (this.closed) return;
    const entries: StatsEntry[] = [];
    report.forEach((e: StatsEntry) => entries.push(e));
    const next = readLinkFigures(entries);
    // Any byte on the transport (RTP, RTCP keepalives, STUN consent) shows the peer is there.
    if (next.transportBytesReceived > this.figures.transportBytesReceived) this.opts.onPacket(this.deps.clock.now());
    this.figures = next;
    this.deps.media.noteFigures(this.opts.peerId, next);
  }

  private updateState(): void {
    if (this.closed) return;
    switch (this.pc.connectionState) {
      case 'connected':
        if (this.connectMs === null && this.negotiationStartMs !== null) this.connectMs = this.deps.clock.now() - this.negotiationStartMs;
        this.emit('connected');
        break;
      case 'disconnected':
        this.emit('disconnected');
        break;
      case 'failed':
        this.emit('failed');
        break;
      case 'closed':
        this.emit('closed');
        break;
      default:
        this.emit('connecting');
    }
  }

  private emit(state: LinkState): void {
    if (this.reported === state) return;
    this.reported = state;
    this.log.info('link-state', { state });
    this.opts.onState(state);
  }
}
