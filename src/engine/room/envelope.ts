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
 *
 * `chat` carries one chat-channel message (a chat line or a recording mark,
 * room/chat.ts, room/recording-mark.ts) through the relay, for a peer we
 * have no open chat channel with: a room through the SFU has none at all
 * (docs/architecture.md §11), and a mesh link has none until it is up. The
 * relay seals it like every payload, so the server cannot read it.
 */
import type { MediaPath } from '../api.js';
import { MAX_CHAT_WIRE_CHARS } from './chat.js';

export type SessionEnvelope =
  | { t: 'link'; gen: number; signal: unknown }
  | { t: 'rebuild'; gen: number }
  | { t: 'via'; path: MediaPath; sfu: boolean }
  | { t: 'chat'; text: string };

/** The envelopes a peer's links take (link-lifecycle.ts). */
export type LinkEnvelope = Exclude<SessionEnvelope, { t: 'via' } | { t: 'chat' }>;

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
  // What the text says is read as a channel message is (chat.ts); here only its size.
  if (v.t === 'chat') return typeof v.text === 'string' && v.text.length <= MAX_CHAT_WIRE_CHARS ? { t: 'chat', text: v.text } : null;
  if (!validGeneration(v.gen)) return null;
  if (v.t === 'link' && 'signal' in v) return { t: 'link', gen: v.gen, signal: v.signal };
  if (v.t === 'rebuild') return { t: 'rebuild', gen: v.gen };
  return null;
}
