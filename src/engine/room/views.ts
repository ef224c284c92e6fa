/**
 * How a peer looks from outside the room: the UI's PeerView (engine/api.ts)
 * and the per-peer figures of `--stats`, both read from the session's peer
 * entry plus the media engine's per-peer stats. Pure functions: no clock, no
 * engine calls of their own.
 */
import type { PeerConnectionState, PeerView } from '../api.js';
import type { PeerMediaStats } from '../media/media-port.js';
import type { CandidatePair } from '../mesh/peer-link.js';
import type { PeerEntry, PeerRole } from './peer-entry.js';

/** Per-peer figures for `--stats` (counters summed over every link generation). */
export interface PeerSessionStats {
  readonly id: string;
  readonly name: string;
  readonly role: PeerRole;
  readonly state: PeerConnectionState;
  /** Links built for this peer (1 + rebuilds). */
  readonly linkGenerations: number;
  /** Negotiation → track open of the first link, ms. */
  readonly connectMs: number | null;
  /** Peer known → first connected, ms. */
  readonly timeToConnectMs: number | null;
  readonly packetsSent: number;
  readonly packetsReceived: number;
  readonly packetsLost: number;
  readonly packetsLate: number;
  readonly framesConcealed: number;
  /** Lost packets played from a RED copy (RFC 2198) instead of concealed. */
  readonly packetsRecovered: number;
  /** RED packets received, and RED payloads that did not parse. */
  readonly redPacketsReceived: number;
  readonly redMalformed: number;
  /** Frames each packet to this peer repeats (0–2) at the end, or null without RED. */
  readonly redDistance: number | null;
  readonly meanJitterBufferMs: number;
  /** Samples the jitter buffer removed (accelerate) and inserted (expand) to follow its target (docs/architecture.md §2). */
  readonly accelerateSamples: number;
  readonly expandSamples: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly rttMs: number | null;
  readonly selectedCandidatePair: CandidatePair | null;
  readonly localCandidateTypes: readonly string[];
  /** Session-relative times (ms since the session started). */
  readonly knownAtMs: number;
  readonly connectedAtMs: number | null;
  readonly goneAtMs: number | null;
  readonly goneReason: string | null;
}

export function peerView(entry: PeerEntry, media: PeerMediaStats | undefined): PeerView {
  const r = media?.receive;
  return {
    id: entry.id,
    name: entry.name,
    state: entry.state,
    speaking: media?.speaking ?? false,
    level: media?.level ?? 0,
    volumePercent: media?.volumePercent ?? 100,
    mutedByMe: media?.mutedByMe ?? false,
    noiseSuppression: media?.noiseSuppression ?? false,
    lossPercent: r !== undefined && r.expected > 0 ? (100 * Math.max(0, r.lost)) / r.expected : 0,
    jitterBufferMs: r?.currentDelayMs ?? 0,
    rttMs: media?.rttMs ?? null,
    packetsReceived: r?.received ?? 0,
    packetsLost: Math.max(0, r?.lost ?? 0),
    packetsLate: r?.late ?? 0,
    framesConcealed: r?.concealedFrames ?? 0,
    packetsRecovered: r?.recovered ?? 0,
    redDistance: media?.redDistance ?? null,
    recording: entry.recording,
  };
}

export interface StatsTimes {
  /** Session clock time the session started: stats times are relative to it. */
  readonly startedMs: number;
  readonly nowMs: number;
  /** Why the peer is gone (then goneAtMs is now), or null while it is here. */
  readonly goneReason: string | null;
}

export function peerSessionStats(entry: PeerEntry, media: PeerMediaStats | undefined, times: StatsTimes): PeerSessionStats {
  const linkStats = entry.link?.stats();
  const rel = (ms: number): number => Math.round(ms - times.startedMs);
  return {
    id: entry.id,
    name: entry.name,
    role: entry.role,
    state: entry.state,
    linkGenerations: entry.gen,
    connectMs: entry.firstConnectMs,
    timeToConnectMs: entry.connectedAtMs === null ? null : Math.round(entry.connectedAtMs - entry.knownAtMs),
    packetsSent: media?.send.sent ?? 0,
    packetsReceived: media?.receive.received ?? 0,
    packetsLost: Math.max(0, media?.receive.lost ?? 0),
    packetsLate: media?.receive.late ?? 0,
    framesConcealed: media?.receive.concealedFrames ?? 0,
    packetsRecovered: media?.receive.recovered ?? 0,
    redPacketsReceived: media?.receive.redPackets ?? 0,
    redMalformed: media?.receive.redMalformed ?? 0,
    redDistance: media?.redDistance ?? null,
    meanJitterBufferMs: media?.receive.meanDelayMs ?? 0,
    accelerateSamples: media?.receive.accelerateSamples ?? 0,
    expandSamples: media?.receive.expandSamples ?? 0,
    bytesSent: entry.closedLinks.bytesSent + (linkStats?.bytesSent ?? 0),
    bytesReceived: entry.closedLinks.bytesReceived + (linkStats?.bytesReceived ?? 0),
    rttMs: media?.rttMs ?? null,
    selectedCandidatePair: entry.link?.selectedCandidatePair() ?? entry.lastPair,
    localCandidateTypes: entry.link?.localCandidateTypes() ?? entry.localTypes,
    knownAtMs: rel(entry.knownAtMs),
    connectedAtMs: entry.connectedAtMs === null ? null : rel(entry.connectedAtMs),
    goneAtMs: times.goneReason === null ? null : rel(times.nowMs),
    goneReason: times.goneReason,
  };
}
