/**
 * What sessions send each other through the (end-to-end encrypted) signaling
 * relay. A PeerLink's own signals (SDP, trickled candidates, RFC 8838) travel
 * inside a `link` envelope stamped with the link GENERATION: libdatachannel
 * cannot restart ICE, so a broken connection is replaced by a new PeerLink
 * with a higher generation, and signals from an older link that are still in
 * flight are recognised and dropped instead of confusing the new one.
 *
 * `rebuild` is how the answering side asks the offering side (the only one
 * allowed to offer, so there is never glare) to replace a broken link.
 *
 * `via` tells the peer which path we play its audio from now (mesh or SFU),
 * and whether the SFU brings us its audio at all (`sfu`), while the room
 * switches between them (docs/architecture.md §11): a path may close only
 * once both ends play each other from the other one, or the peer would hear
 * a gap in us.
 */
import type { MediaPath } from '../api.js';

export type SessionEnvelope =
  | { t: 'link'; gen: number; signal: unknown }
  | { t: 'rebuild'; gen: number }
  | { t: 'via'; path: MediaPath; sfu: boolean };

/** The envelopes a peer's links take (link-lifecycle.ts). */
export type LinkEnvelope = Exclude<SessionEnvelope, { t: 'via' }>;

/** Generations are small positive integers; anything else is not ours. */
const MAX_GENERATION = 1_000_000;

function validGeneration(gen: unknown): gen is number {
  return typeof gen === 'number' && Number.isInteger(gen) && gen >= 1 && gen <= MAX_GENERATION;
}

/** Validate a payload from the network; null when it is not a session envelope. */
export function parseEnvelope(data: unknown): SessionEnvelope | null {
  if (data === null || typeof data !== 'object') return null;
  const v = data as Record<string, unknown>;
  if (v.t === 'via') return (v.path === 'mesh' || v.path === 'sfu') && typeof v.sfu === 'boolean' ? { t: 'via', path: v.path, sfu: v.sfu } : null;
  if (!validGeneration(v.gen)) return null;
  if (v.t === 'link' && 'signal' in v) return { t: 'link', gen: v.gen, signal: v.signal };
  if (v.t === 'rebuild') return { t: 'rebuild', gen: v.gen };
  return null;
}
