/**
 * Is a peer still there when the server no longer lists it?
 * (docs/architecture.md §4, "liveness")
 *
 * A peer the server reports 'left' is torn down at once. For other reasons
 * (socket lost, SIGKILL, server restart) the server's word is not enough:
 * the peer is kept while its link still brings packets. The remote engine
 * sends RTCP at least once a second and PeerLink a keepalive when nothing
 * else went out, so a dead peer disappears within about `aliveWindowMs`
 * plus one sweep period, and a live one whose signaling merely dropped keeps
 * talking.
 */
import type { PeerEntry } from './peer-entry.js';

/** A peer off the server is kept while its link brought a packet within this window. */
export const DEFAULT_ALIVE_WINDOW_MS = 2000;

/** A packet (RTP or RTCP) arrived on the current, connected link within the alive window. */
export function linkAlive(entry: PeerEntry, nowMs: number, aliveWindowMs: number): boolean {
  return entry.linkState === 'connected' && nowMs - entry.lastPacketMs <= aliveWindowMs;
}

/** Note a packet from the peer's current link (what linkAlive looks at). */
export function notePacket(entry: PeerEntry, arrivalMs: number): void {
  entry.lastPacketMs = arrivalMs;
}

/** The sweep: peers the server no longer lists whose link went quiet; the caller tears them down. */
export function quietPeersOffServer(entries: Iterable<PeerEntry>, nowMs: number, aliveWindowMs: number): PeerEntry[] {
  const gone: PeerEntry[] = [];
  for (const entry of entries) {
    if (!entry.inRoster && !linkAlive(entry, nowMs, aliveWindowMs)) gone.push(entry);
  }
  return gone;
}
