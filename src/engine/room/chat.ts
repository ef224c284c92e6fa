/**
 * Room-wide text chat (docs/architecture.md §4, "chat"): what a message is on
 * the wire, how its text is made safe to show, and the bounded log the
 * snapshot carries. Messages go peer to peer on each link's chat data
 * channel (DTLS-encrypted, never through the signaling server); this module
 * knows nothing of channels, so the terminal and the web page share it.
 *
 * - Wire format: one JSON text per message, `{"t":"chat","seq":N,"text":"…"}`.
 *   `seq` rises per sender for the life of its session; the channel is
 *   reliable and ordered, and a receiver drops any seq not above the last it
 *   accepted from that sender (a message repeated on a rebuilt link, a
 *   stale one), so each sender's messages show in the order they were sent.
 *   The sender's name is not in the message: the receiver uses the name from
 *   the sender's sealed hello, which the signaling server cannot forge.
 * - Plain text only: control characters (C0, DEL, C1), whole terminal
 *   escape sequences (CSI, OSC, DCS and the rest, 7- and 8-bit forms) and
 *   bidirectional overrides and isolates (which can make text read in
 *   another order than it was written) are removed before anything is shown
 *   or logged; tabs and newlines become spaces.
 */

/** Longest message, in characters (code points) after sanitizing. */
export const MAX_CHAT_CHARS = 1000;
/** Lines the log keeps (oldest dropped). */
export const CHAT_LOG_LINES = 200;
/** Largest message on the wire we read (bytes of JSON): 4 bytes per character plus the envelope. */
export const MAX_CHAT_WIRE_CHARS = MAX_CHAT_CHARS * 4 + 64;

// ESC followed by a CSI (`[` … final byte), an OSC/DCS/SOS/PM/APC string (up to BEL or ST), or one more character.
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|[ -/]*[0-~]?)/gu;
// 8-bit forms: CSI (0x9b) and the string introducers OSC, DCS, SOS, PM, APC (0x9d 0x90 0x98 0x9e 0x9f).
const C1_SEQUENCE = /\u009b[0-?]*[ -/]*[@-~]?|[\u009d\u0090\u0098\u009e\u009f][^\u0007\u001b\u009c]*(?:\u0007|\u009c)?/gu;
const WHITESPACE_CONTROLS = /\r\n|[\t\n\v\f\r]/gu;
// C0, DEL, C1; bidi embeddings, overrides, isolates and marks; line and paragraph separators.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/gu;

/** The text as it may be shown on a terminal or a page: no control character, escape sequence or bidi override. */
export function sanitizeChatText(raw: string): string {
  return raw.replace(ESCAPE_SEQUENCE, '').replace(C1_SEQUENCE, '').replace(WHITESPACE_CONTROLS, ' ').replace(UNSAFE, '').trim();
}

/** Length in characters (code points), as the limit counts them. */
export function chatLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export interface ChatWireMessage {
  readonly seq: number;
  readonly text: string;
}

export function encodeChatMessage(m: ChatWireMessage): string {
  return JSON.stringify({ t: 'chat', seq: m.seq, text: m.text });
}

/**
 * A message off the chat channel as what every message there is, a JSON
 * object whose `t` says its type (a chat message here, the recording mark
 * in room/recording-mark.ts); null for anything else or anything longer
 * than `maxChars`.
 */
export function readChannelMessage(data: string, maxChars: number): Record<string, unknown> | null {
  if (typeof data !== 'string' || data.length > maxChars) return null;
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  return v === null || typeof v !== 'object' || Array.isArray(v) ? null : (v as Record<string, unknown>);
}

/** A message from the network, sanitized; null when it is not one (another type, or too long). */
export function parseChatMessage(data: string): ChatWireMessage | null {
  const o = readChannelMessage(data, MAX_CHAT_WIRE_CHARS);
  if (o === null || o.t !== 'chat' || typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq < 1 || typeof o.text !== 'string') return null;
  const text = sanitizeChatText(o.text);
  if (text.length === 0 || chatLength(text) > MAX_CHAT_CHARS) return null;
  return { seq: o.seq, text };
}

/** One line of the room's chat as the UI shows it. */
export interface ChatLine {
  /** Rises by one per line in this log (a UI counts unread lines by it). */
  readonly n: number;
  /** A message someone typed, or a notice from the room (joined, left, a knock's end, a message not sent). */
  readonly kind: 'message' | 'notice';
  /** Sender's peer id; null for our own messages and for notices. */
  readonly fromId: string | null;
  /** Sender's name ('' for notices). */
  readonly from: string;
  /** Our own message. */
  readonly self: boolean;
  /** Plain text (sanitized). */
  readonly text: string;
  /** Wall-clock time (ms since the epoch) it was sent (ours) or arrived (theirs). */
  readonly atMs: number;
}

export type ChatAccept = 'shown' | 'duplicate' | 'invalid';

/**
 * The bounded chat log: messages from each sender in their order (a seq not
 * above that sender's last is dropped), our own and notices interleaved in
 * the order they happened here.
 */
export class ChatLog {
  private linesValue: readonly ChatLine[] = [];
  private next = 1;
  private sendSeq = 0;
  private readonly lastSeq = new Map<string, number>();

  constructor(
    private readonly wallClock: () => number = Date.now,
    private readonly capacity = CHAT_LOG_LINES,
  ) {}

  /** The lines, oldest first; a new array after every change (snapshots share it). */
  get lines(): readonly ChatLine[] {
    return this.linesValue;
  }

  /** Our own message: its wire form (with our next seq) and the line shown; null for an empty or too long text. */
  own(name: string, raw: string): { wire: string; line: ChatLine } | { error: string } {
    const text = sanitizeChatText(raw);
    if (text.length === 0) return { error: 'nothing to send' };
    const length = chatLength(text);
    if (length > MAX_CHAT_CHARS) return { error: `message not sent: ${length} characters, the limit is ${MAX_CHAT_CHARS}` };
    const seq = ++this.sendSeq;
    const line = this.push({ kind: 'message', fromId: null, from: name, self: true, text });
    return { wire: encodeChatMessage({ seq, text }), line };
  }

  /** A message from peer `fromId` (named `name`) as it came off its channel. */
  receive(fromId: string, name: string, data: string): ChatAccept {
    const m = parseChatMessage(data);
    if (m === null) return 'invalid';
    if (m.seq <= (this.lastSeq.get(fromId) ?? 0)) return 'duplicate';
    this.lastSeq.set(fromId, m.seq);
    // The name came from the sender's hello: as untrusted as the text.
    this.push({ kind: 'message', fromId, from: sanitizeChatText(name), self: false, text: m.text });
    return 'shown';
  }

  /** A line from the room itself (someone joined or left, a knock ended, a message could not be sent). */
  notice(text: string): ChatLine {
    return this.push({ kind: 'notice', fromId: null, from: '', self: false, text: sanitizeChatText(text) });
  }

  private push(line: Omit<ChatLine, 'n' | 'atMs'>): ChatLine {
    const full: ChatLine = { ...line, n: this.next++, atMs: this.wallClock() };
    const kept = this.linesValue.length >= this.capacity ? this.linesValue.slice(this.linesValue.length - this.capacity + 1) : this.linesValue;
    this.linesValue = [...kept, full];
    return full;
  }
}
