/**
 * The recording mark (docs/architecture.md §4, "Recording mark"): everyone
 * in the room sees who records the call, as people expect. It travels peer
 * to peer on the chat data channel beside the chat (or, with no channel
 * open, through the relay as chat does: room/envelope.ts), as one small message,
 * `{"t":"rec","on":true}` or `{"t":"rec","on":false}`; like a chat message,
 * it counts for the peer whose link carried it (no name or id inside).
 *
 * When it is sent: each time our recording starts or stops, and on a link
 * whose chat channel has just opened (a newcomer, a rebuilt link) while we
 * record, or once we have told that peer we record (so a "stopped" lost
 * with a dying link is said again on the next). A participant that never
 * records never sends it: a receiver assumes "not recording" for a peer it
 * has heard nothing from. Clients from before the mark drop the message as
 * a chat message that does not parse (room/chat.ts `parseChatMessage`:
 * 'invalid', logged, nothing shown).
 */
import type { SessionLink } from '../media/media-port.js';
import { readChannelMessage } from './chat.js';

/** What carries chat-channel messages to one peer: its link's channel, or the relay (room/session.ts). */
export type ChatCarrier = Pick<SessionLink, 'chatOpen' | 'sendChat'>;

/** Largest recording mark we read (bytes of JSON); anything longer is not one. */
const MAX_MARK_WIRE_CHARS = 64;

export function encodeRecordingMark(on: boolean): string {
  return JSON.stringify({ t: 'rec', on });
}

/** The mark in a channel message; null when the message is something else (a chat message, a type we do not know). */
export function parseRecordingMark(data: string): { readonly on: boolean } | null {
  const o = readChannelMessage(data, MAX_MARK_WIRE_CHARS);
  return o !== null && o.t === 'rec' && typeof o.on === 'boolean' ? { on: o.on } : null;
}

/** What we last told one peer about our recording, and on which carrier. */
export interface MarkTold {
  link: ChatCarrier | undefined;
  on: boolean;
  /** We have told this peer "on" at some time. */
  everOn: boolean;
}

export function nothingTold(): MarkTold {
  return { link: undefined, on: false, everOn: false };
}

/**
 * Tell the peer on `link` our recording state `on` if it does not know it
 * yet (rules above). Returns true when a mark was sent. Call it on every
 * change and periodically: it sends only what is new.
 */
export function announceRecording(told: MarkTold, link: ChatCarrier | undefined, on: boolean): boolean {
  if (link === undefined || !link.chatOpen) return false;
  const newLink = told.link !== link;
  const needed = newLink ? on || told.everOn : told.on !== on;
  if (!needed || !link.sendChat(encodeRecordingMark(on))) return false;
  told.link = link;
  told.on = on;
  told.everOn ||= on;
  return true;
}
