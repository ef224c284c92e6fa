/**
 * What the room screen shows for a snapshot, as plain data: the DOM code
 * only copies these strings and numbers into elements. The words and number
 * formats are the terminal UI's (src/ui/labels.ts, src/ui/format.ts), so a
 * browser user and a terminal user describe a call the same way.
 */
import type { PeerView, SelfView, SessionSnapshot } from '../../engine/api.js';
import { clampUnit, formatCount, formatLossPercent, formatMs, formatVolume } from '../../ui/format.js';
import { peerStateLabel, type Tone } from '../../ui/labels.js';

export type { Tone };

/** A meter's fill, 0..100 whole percent (whole so the DOM is touched only on visible change). */
export function meterPercent(level: number): number {
  return Math.round(clampUnit(level) * 100);
}

export interface SelfRowView {
  readonly name: string;
  readonly levelPercent: number;
  /** Whether your voice goes out now: not muted and, in push-to-talk mode, talking. */
  readonly live: boolean;
  readonly speaking: boolean;
  /** Short state words, as the TUI's self line shows them. */
  readonly badges: readonly { readonly text: string; readonly tone: Tone }[];
}

export function selfRow(self: SelfView): SelfRowView {
  const live = !self.muted && (!self.pushToTalk || self.talking);
  const badges: { text: string; tone: Tone }[] = [];
  if (self.muted) badges.push({ text: 'muted', tone: 'red' });
  if (self.deafened) badges.push({ text: 'deafened', tone: 'red' });
  if (self.pushToTalk) {
    badges.push(self.talking ? { text: 'push-to-talk: talking', tone: 'green' } : { text: 'push-to-talk: hold Space or Talk', tone: 'yellow' });
  }
  if (!self.muted && !self.deafened && !self.pushToTalk) badges.push({ text: 'mic open', tone: 'gray' });
  return { name: `${self.name} (you)`, levelPercent: meterPercent(self.micLevel), live, speaking: self.speaking && live, badges };
}

export interface Figure {
  readonly label: string;
  readonly value: string;
  readonly tone?: Tone;
}

export interface PeerRowView {
  readonly id: string;
  readonly name: string;
  readonly stateText: string;
  readonly stateTone: Tone;
  readonly speaking: boolean;
  readonly levelPercent: number;
  readonly volumePercent: number;
  /** `100%`, for the slider's visible value and aria-valuetext. */
  readonly volumeText: string;
  readonly mutedByMe: boolean;
  /** The peer records the call: the page marks it beside the name, as the TUI does. */
  readonly recording: boolean;
  /** Loss, jitter buffer, round trip: the TUI's wide-row columns. */
  readonly link: readonly Figure[];
  /** The TUI's statistics panel (`s`): packet counts. */
  readonly counts: readonly Figure[];
}

export function peerRow(peer: PeerView): PeerRowView {
  const state = peerStateLabel(peer.state);
  const volume = Number.isFinite(peer.volumePercent) ? Math.round(peer.volumePercent) : 100;
  return {
    id: peer.id,
    name: peer.name,
    stateText: state.text,
    stateTone: state.tone,
    speaking: peer.speaking,
    levelPercent: meterPercent(peer.level),
    volumePercent: volume,
    volumeText: formatVolume(volume).trim(),
    mutedByMe: peer.mutedByMe,
    recording: peer.recording === true,
    link: [
      { label: 'loss', value: formatLossPercent(peer.lossPercent), ...lossTone(peer.lossPercent) },
      { label: 'jitter buffer', value: formatMs(peer.jitterBufferMs) },
      { label: 'RTT', value: formatMs(peer.rttMs) },
    ],
    counts: [
      { label: 'received', value: formatCount(peer.packetsReceived) },
      { label: 'lost', value: formatCount(peer.packetsLost) },
      { label: 'late', value: formatCount(peer.packetsLate) },
      { label: 'concealed', value: formatCount(peer.framesConcealed) },
    ],
  };
}

/** The TUI's loss column thresholds. */
function lossTone(lossPercent: number): { tone?: Tone } {
  if (lossPercent >= 5) return { tone: 'red' };
  if (lossPercent >= 1) return { tone: 'yellow' };
  return {};
}

export interface StatusLine {
  /** Stable per line, so the DOM can keep an element per line. */
  readonly key: string;
  readonly text: string;
  readonly hint?: string;
  readonly tone: Tone;
}

/**
 * Progress and trouble in words, like the TUI's status area: what the
 * session is doing, and for each problem what to try. `leaving` is the
 * page's own knowledge that Leave was pressed before the engine says so.
 */
/** What the page knows of its own network that explains a link that does not come up. */
export interface LinkContext {
  /** Relay-only through TURN over TCP/TLS (page-options.ts `turnTcpOnly`). */
  readonly turnTcpOnly?: boolean;
}

/** Why a mesh link from a page that reaches TURN over TCP only does not come up (docs/architecture.md §7, libjuice #355). */
export const TURN_TCP_HINT =
  'This page reaches its TURN server over TCP only, and a terminal participant cannot connect to that (a known limitation of its network library). Ask whoever runs the server for a TURN URL over UDP (turn:HOST:PORT); rooms through the SFU work either way.';

export function statusLines(snapshot: SessionSnapshot, leaving = false, context: LinkContext = {}): StatusLine[] {
  const lines: StatusLine[] = [];
  const phase = snapshot.phase;
  if (phase === 'left') {
    lines.push({ key: 'phase', text: 'You left the room.', tone: 'gray' });
    return lines;
  }
  if (leaving || phase === 'leaving') {
    lines.push({ key: 'phase', text: 'Leaving…', tone: 'gray' });
    return lines;
  }
  if (phase === 'failed') {
    lines.push({
      key: 'phase',
      text: `The call failed: ${snapshot.error?.message ?? 'unknown error'}`,
      hint: snapshot.error?.hint ?? 'Leave, then join again.',
      tone: 'red',
    });
    return lines;
  }
  if (phase === 'connecting-server') {
    lines.push({ key: 'phase', text: 'Connecting to the server…', tone: 'yellow' });
  } else if (phase === 'waiting-for-peers') {
    lines.push({
      key: 'phase',
      text: 'Nobody else is here yet. Share the link to invite people.',
      hint: 'Expecting someone already? Check that you both use the same code: a mistyped code leads to a different, empty room.',
      tone: 'cyan',
    });
  } else if (phase === 'reconnecting-server') {
    lines.push({
      key: 'phase',
      text: 'Lost the server — reconnecting… Calls already up keep going.',
      hint: 'If this lasts, check your network connection.',
      tone: 'yellow',
    });
  }
  if (snapshot.error !== undefined) {
    lines.push({ key: 'error', text: snapshot.error.message, ...hintOf(snapshot.error.hint), tone: 'red' });
  }
  const soundOff = soundNotStarted(snapshot);
  if (soundOff !== null) {
    lines.push({
      key: 'sound',
      text: `Your sound is off: ${soundOff}.`,
      hint: 'click Enable sound. If it stays off, connect a speaker or headphones (or allow sound for this site in the browser), then click it again.',
      tone: 'red',
    });
  }
  const tcpOnlyMesh = context.turnTcpOnly === true && snapshot.mediaPath !== 'sfu';
  for (const peer of snapshot.peers) {
    if (peer.state === 'connecting') {
      lines.push({ key: `peer:${peer.id}`, text: `Connecting to ${peer.name}…`, tone: 'yellow' });
    } else if (peer.state === 'reconnecting') {
      lines.push({ key: `peer:${peer.id}`, text: `Reconnecting to ${peer.name}…`, ...(tcpOnlyMesh ? { hint: TURN_TCP_HINT } : {}), tone: 'yellow' });
    } else if (peer.state === 'failed') {
      lines.push({
        key: `peer:${peer.id}`,
        text: `The connection to ${peer.name} failed: you cannot hear each other.`,
        hint: tcpOnlyMesh
          ? TURN_TCP_HINT
          : 'Roundtable keeps retrying. If it stays like this, a firewall or VPN may block direct connections between you: try another network, or both leave and join again.',
        tone: 'red',
      });
    }
  }
  return lines;
}

/** Why the page's sound has not started (self.audio's speaker, lost), or null while it plays. */
export function soundNotStarted(snapshot: SessionSnapshot): string | null {
  const output = snapshot.self.audio?.output;
  if (output === undefined || output.health !== 'lost') return null;
  return output.problem ?? 'the speaker stopped';
}

function hintOf(hint: string | undefined): { hint?: string } {
  return hint === undefined || hint === '' ? {} : { hint };
}

/**
 * Sentences for the polite live region: what changed between two shown
 * snapshots that a screen-reader user would otherwise miss (people coming
 * and going, who starts or stops recording, links failing, the server dropping, errors, and your own mute
 * state, which the shortcuts change without moving focus). Level and
 * speaking changes are left out: at ten per second they would drown the rest.
 */
export function announcements(prev: SessionSnapshot | null, next: SessionSnapshot): string[] {
  const out: string[] = [];
  if (prev === null) {
    if (next.phase === 'waiting-for-peers') out.push('You joined the room. Nobody else is here yet.');
    else if (next.phase === 'in-call') out.push(`You joined the room. ${peopleCount(next.peers.length)} here.`);
    for (const peer of next.peers) if (peer.state === 'failed') out.push(`The connection to ${peer.name} failed.`);
    if (next.error !== undefined) out.push(next.error.message);
    return out;
  }

  if (prev.phase !== next.phase) {
    if (next.phase === 'reconnecting-server') out.push('Lost the server, reconnecting.');
    else if (prev.phase === 'reconnecting-server' && (next.phase === 'in-call' || next.phase === 'waiting-for-peers')) {
      out.push('Back in touch with the server.');
    } else if (prev.phase === 'connecting-server' && next.phase === 'waiting-for-peers') {
      out.push('You joined the room. Nobody else is here yet.');
    } else if (next.phase === 'failed') out.push(`The call failed: ${next.error?.message ?? 'unknown error'}`);
  }

  const before = new Map(prev.peers.map((p) => [p.id, p]));
  const after = new Set(next.peers.map((p) => p.id));
  for (const peer of next.peers) {
    const old = before.get(peer.id);
    if (old === undefined) {
      out.push(`${peer.name} joined.`);
      continue;
    }
    if (old.recording !== peer.recording) out.push(peer.recording ? `${peer.name} started recording the call.` : `${peer.name} stopped recording.`);
    if (old.state !== peer.state) {
      if (peer.state === 'failed') out.push(`The connection to ${peer.name} failed.`);
      else if (peer.state === 'connected' && (old.state === 'failed' || old.state === 'reconnecting')) {
        out.push(`Connected to ${peer.name} again.`);
      }
    }
  }
  for (const peer of prev.peers) if (!after.has(peer.id)) out.push(`${peer.name} left.`);

  if (next.error !== undefined && next.phase !== 'failed' && next.error.message !== prev.error?.message) {
    out.push(next.error.message);
  }
  const knocking = new Set(prev.knocks.map((k) => k.id));
  for (const k of next.knocks) if (!knocking.has(k.id)) out.push(`${k.name} asks to join: Admit or Deny.`);
  const lastSeen = prev.chat.at(-1)?.n ?? 0;
  for (const l of next.chat) if (l.n > lastSeen && l.kind === 'message' && !l.self) out.push(`${l.from} says: ${l.text}`);
  if (prev.locked !== next.locked) out.push(next.locked ? 'The room is locked: nobody new may join.' : 'The room is unlocked.');
  const soundBefore = soundNotStarted(prev);
  const soundNow = soundNotStarted(next);
  if (soundNow !== null && soundBefore === null) out.push('Your sound is off: press Enable sound.');
  else if (soundNow === null && soundBefore !== null) out.push('Sound on.');
  if (prev.self.muted !== next.self.muted) out.push(next.self.muted ? 'Microphone muted.' : 'Microphone on.');
  if (prev.self.deafened !== next.self.deafened) out.push(next.self.deafened ? 'Deafened: you hear nobody.' : 'Undeafened.');
  if (prev.self.pushToTalk !== next.self.pushToTalk) {
    out.push(next.self.pushToTalk ? 'Push-to-talk on: hold Space or the Talk button to talk.' : 'Push-to-talk off.');
  }
  return out;
}

function peopleCount(n: number): string {
  return n === 1 ? '1 other person' : `${n} other people`;
}

