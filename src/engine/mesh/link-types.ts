/**
 * What every link of the mesh reports, whatever carries it: PeerLink over
 * node-datachannel in a terminal, BrowserLink over RTCPeerConnection in the
 * web client (src/web). No native code here, so both can import it.
 */

/**
 * The chat data channel every link carries beside its audio track
 * (docs/architecture.md §4, "chat"): negotiated out of band (RFC 8832 §6:
 * both ends create it with this stream id before the offer or answer, so no
 * DCEP open message and no renegotiation, which libdatachannel cannot do for
 * a data channel added later). Reliable and ordered (SCTP, RFC 8831), inside
 * the link's DTLS.
 */
export const CHAT_CHANNEL = Object.freeze({ label: 'chat', id: 1 });

export type LinkState = 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface CandidateInfo {
  address: string;
  port: number;
  type: string;
  transportType: string;
}

export interface CandidatePair {
  local: CandidateInfo;
  remote: CandidateInfo;
}

/**
 * The audio payload types a link negotiated (docs/architecture.md §7): Opus
 * (RFC 7587) always, RED (RFC 2198) when both ends took `red/48000/2` with
 * Opus blocks, else null. The engine sends RED to this peer only then, and
 * reads a packet of this peer as RED only when it carries `red`.
 */
export interface NegotiatedAudio {
  readonly opus: number;
  readonly red: number | null;
}

export interface PeerLinkStats {
  /** setLocalDescription (offer, or answer) → audio track open, ms; null until open. */
  connectMs: number | null;
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  rtcpSent: number;
  rtcpReceived: number;
  /** sendRtp/sendRtcp calls that did not hand a packet to the transport. */
  sendFailures: number;
  /** RTP packets sent with their payload type rewritten to the negotiated one (0 when both sides use ours). */
  payloadTypeRewrites: number;
  /** Incoming messages too short to be RTP or RTCP. */
  malformedReceived: number;
  /** Signals rejected: malformed, or refused by the native library. */
  badSignals: number;
  /** Candidates dropped because the pre-description queue was full. */
  droppedCandidates: number;
  /** Exceptions caught in native callbacks or in our own callbacks. */
  callbackErrors: number;
  /** Remote offers/answers applied (1, plus any later offer the remote makes). */
  descriptionsApplied: number;
  /** Empty receiver reports we sent because nothing else was sent for `keepaliveMs`. */
  keepalivesSent: number;
  /** Text messages sent and received on the chat channel. */
  chatSent: number;
  chatReceived: number;
}

/** All counters zero: a new link's figures (and a test double's). */
export function emptyLinkStats(): PeerLinkStats {
  return {
    connectMs: null,
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    rtcpSent: 0,
    rtcpReceived: 0,
    sendFailures: 0,
    payloadTypeRewrites: 0,
    malformedReceived: 0,
    badSignals: 0,
    droppedCandidates: 0,
    callbackErrors: 0,
    descriptionsApplied: 0,
    keepalivesSent: 0,
    chatSent: 0,
    chatReceived: 0,
  };
}
