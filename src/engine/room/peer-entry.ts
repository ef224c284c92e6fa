/**
 * What the session remembers about one remote peer, for the life of the peer
 * in the room (not of one link): its fixed role, the current link and its
 * generation, liveness, timers and the figures `--stats` reports. The room
 * modules (roster, link lifecycle, liveness, views) share this record; the
 * mesh rules it encodes are in docs/architecture.md §4.
 */
import type { TimerHandle } from '../../core/clock.js';
import type { CandidatePair, LinkState } from '../mesh/peer-link.js';
import type { SessionLink } from '../media/media-port.js';
import { nothingTold, type MarkTold } from './recording-mark.js';

export type { LinkFactory, SessionLink, SessionLinkOptions } from '../media/media-port.js';
import type { MediaPath, PeerConnectionState } from '../api.js';

/** Who offers: fixed for the life of the entry, so rebuilds never glare (docs/architecture.md §4). */
export type PeerRole = 'offerer' | 'answerer';

/** Link counters summed over the generations already closed. */
export interface ClosedLinkTotals {
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
}

export interface PeerEntry {
  readonly id: string;
  name: string;
  readonly role: PeerRole;
  /** Generation of the current (or last) link; 0 before the first. */
  gen: number;
  link: SessionLink | undefined;
  linkState: LinkState | 'none';
  state: PeerConnectionState;
  /** Still listed by the signaling server. */
  inRoster: boolean;
  /** Session clock time of the last packet (RTP or RTCP) on the current link. */
  lastPacketMs: number;
  knownAtMs: number;
  connectedAtMs: number | null;
  /** connectMs of the first link that connected. */
  firstConnectMs: number | null;
  /** Failed rebuilds since the last connection: the backoff exponent. */
  rebuildAttempt: number;
  rebuildTimer: TimerHandle | undefined;
  connectTimer: TimerHandle | undefined;
  /** Running while the current link is silent: its end rebuilds the link (link-lifecycle.ts). */
  silenceTimer: TimerHandle | undefined;
  /** The answerer asks for a rebuild once per generation: the last one it asked about. */
  rebuildAskedGen: number;
  closedLinks: ClosedLinkTotals;
  lastPair: CandidatePair | null;
  localTypes: string[];
  /** The peer records the call: its last recording mark (room/recording-mark.ts). */
  recording: boolean;
  /** What we last told this peer about our own recording. */
  markTold: MarkTold;
  /**
   * We reach this peer through the mesh (a link, or one being built); false while the
   * room's media goes through the SFU and this peer's mesh path is closed (§11).
   */
  mesh: boolean;
  /** The path the peer last said it plays our audio from (a `via` envelope), while switching. */
  heardVia: MediaPath | undefined;
  /** … and whether it said the SFU brings it our audio (undefined: it never said). */
  heardSfu: boolean | undefined;
  /** What we last told the peer (`via`: path and whether the SFU brings us its audio), as `path/sfu`. */
  toldVia: string | undefined;
}

export function createPeerEntry(id: string, name: string, role: PeerRole, nowMs: number): PeerEntry {
  return {
    id,
    name,
    role,
    gen: 0,
    link: undefined,
    linkState: 'none',
    state: 'connecting',
    inRoster: true,
    lastPacketMs: nowMs,
    knownAtMs: nowMs,
    connectedAtMs: null,
    firstConnectMs: null,
    rebuildAttempt: 0,
    rebuildTimer: undefined,
    connectTimer: undefined,
    silenceTimer: undefined,
    rebuildAskedGen: 0,
    closedLinks: { packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0 },
    lastPair: null,
    localTypes: [],
    recording: false,
    markTold: nothingTold(),
    mesh: false,
    heardVia: undefined,
    heardSfu: undefined,
    toldVia: undefined,
  };
}
