/**
 * The one small interface between the engine and whatever drives it (the Ink
 * UI, the headless CLI, tests). Actions go in, snapshots come out. Nothing in
 * here knows about React or yargs, and the UI never reaches past it.
 */

import type { SelfMediaState } from './media/media-port.js';
import { SEND_ORDER, type FilterStageName } from './dsp/frame-filter.js';
import type { ChatLine } from './room/chat.js';

export type { ChatLine } from './room/chat.js';
export type { AudioEndName, AudioEndState, AudioEndsState, DeviceChoices } from './audio/audio-ends.js';
import type { AudioEndName } from './audio/audio-ends.js';
export type { RecordingState } from './media/media-port.js';
export { MAX_CHAT_CHARS } from './room/chat.js';

/** A stage of our microphone's processing: echo cancellation, noise suppression, gain control. */
export type ProcessingStage = FilterStageName;
/** The stages in the order they run (and are shown). */
export const PROCESSING_STAGES: readonly ProcessingStage[] = SEND_ORDER;

/** Connection state of one peer-to-peer link. */
export type PeerConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

export type MediaPath = 'mesh' | 'sfu';

/** How a UI or a log line names the media path (docs/architecture.md §11). */
export function describeMediaPath(path: MediaPath): string {
  return path === 'sfu' ? 'via SFU — end-to-end encrypted, the SFU cannot hear' : 'mesh';
}

/** Where the local session is in its life. */
export type SessionPhase =
  | 'connecting-server'
  /** The room is locked: we knocked and wait for someone inside to let us in. */
  | 'knocking'
  | 'waiting-for-peers'
  | 'in-call'
  | 'reconnecting-server'
  | 'leaving'
  | 'left'
  | 'failed';

export interface PeerView {
  readonly id: string;
  readonly name: string;
  readonly state: PeerConnectionState;
  readonly speaking: boolean;
  /** Recent output level of this peer's stream, 0..1 (linear peak of the last frames). */
  readonly level: number;
  /** Per-peer playback gain, 0..200 %. */
  readonly volumePercent: number;
  /** Muted for me only (the peer still hears everyone). */
  readonly mutedByMe: boolean;
  /**
   * Our own noise suppression runs on this peer's audio, for a peer who
   * sends noise (no suppression of their own). Always false in the web
   * client, which cannot run it.
   */
  readonly noiseSuppression: boolean;
  /** Packets lost as a percentage of packets expected (own sequence tracking). */
  readonly lossPercent: number;
  /** Current jitter-buffer delay in ms. */
  readonly jitterBufferMs: number;
  /** Round-trip time from RTCP when known, else null. */
  readonly rttMs: number | null;
  readonly packetsReceived: number;
  readonly packetsLost: number;
  readonly packetsLate: number;
  readonly framesConcealed: number;
  /** Lost packets played from a redundant copy in a later packet (RFC 2198 RED) instead of being concealed. */
  readonly packetsRecovered: number;
  /** Earlier frames each packet we send this peer repeats (RED, 0–2), or null when the link did not negotiate RED. */
  readonly redDistance: number | null;
  /** The peer records the call (its recording mark, docs/architecture.md §4): shown beside its name. */
  readonly recording: boolean;
}

/** You, as the UI shows you: your name and what the media side reports (mic level, speaking, mute, deafen, push-to-talk, processing, recording). */
export interface SelfView extends SelfMediaState {
  readonly name: string;
}

/** Someone knocking at our locked room, waiting for an answer. */
export interface KnockView {
  readonly id: string;
  /** From the newcomer's sealed hello (sanitized: plain text). */
  readonly name: string;
  /** Wall-clock time (ms since the epoch) the knock reached us. */
  readonly sinceMs: number;
}

export interface SessionError {
  readonly message: string;
  /** What the user can try, e.g. "check --server" or "use --output file.wav". */
  readonly hint?: string;
}

export interface SessionSnapshot {
  readonly roomCode: string;
  readonly serverUrl: string;
  readonly phase: SessionPhase;
  readonly self: SelfView;
  readonly peers: readonly PeerView[];
  /**
   * The room is locked: the server lets nobody new in (members who drop may
   * come back). Any member may lock or unlock it; the last state the server
   * told us, kept across a server restart (docs/architecture.md §4).
   */
  readonly locked: boolean;
  /** Knocks at our locked room waiting for an answer, oldest first (anyone inside may answer; the first answer decides). */
  readonly knocks: readonly KnockView[];
  /** The room's chat, oldest first, bounded (room/chat.ts): messages, and notices such as joins, leaves and knocks. */
  readonly chat: readonly ChatLine[];
  /**
   * How the room's media travels, once the server has told us (docs/architecture.md §11):
   * 'mesh', a link to every peer; 'sfu', one stream up to the SFU and one down per peer,
   * SFrame-encrypted end to end so the SFU cannot hear.
   */
  readonly mediaPath?: MediaPath;
  readonly error?: SessionError;
  /** Where log lines go while a UI owns the terminal, if anywhere. */
  readonly logFile?: string;
}

export type SessionAction =
  | { readonly type: 'toggle-mute' }
  | { readonly type: 'toggle-deafen' }
  | { readonly type: 'set-peer-volume'; readonly peerId: string; readonly volumePercent: number }
  | { readonly type: 'toggle-peer-mute'; readonly peerId: string }
  /** One stage of our microphone's processing on/off; nothing happens where it is unavailable. */
  | { readonly type: 'toggle-processing'; readonly stage: ProcessingStage }
  | { readonly type: 'toggle-peer-noise-suppression'; readonly peerId: string }
  | { readonly type: 'set-push-to-talk'; readonly enabled: boolean }
  | { readonly type: 'talk'; readonly pressed: boolean }
  /**
   * Lock or unlock the room for everyone. Takes effect when the server
   * confirms (the snapshot's `locked` changes then); nothing is sent while
   * the server is out of reach.
   */
  | { readonly type: 'set-lock'; readonly locked: boolean }
  /** Let a knocking newcomer in, or not. Nothing happens when the knock is over already. */
  | { readonly type: 'answer-knock'; readonly peerId: string; readonly admit: boolean }
  /**
   * Send a text message to everyone in the room (peer to peer). Text longer
   * than MAX_CHAT_CHARS is not sent: the chat shows a notice saying so.
   */
  | { readonly type: 'send-chat'; readonly text: string }
  /**
   * Use another sound device (a name from `self.audio.devices`) for the
   * microphone or the speaker; the call goes on, and the old device plays
   * until the new one runs. How it went shows in `self.audio`.
   */
  | { readonly type: 'set-device'; readonly end: AudioEndName; readonly device: string }
  /** List the sound devices again (into `self.audio.devices`), e.g. when a device picker opens. */
  | { readonly type: 'refresh-devices' }
  /**
   * Start the speaker where it waits for the user: a browser starts a page's
   * sound only on a click (and never without an output device), which
   * `self.audio.output` shows as lost with the reason. Dispatch it from the
   * click's handler itself. Nothing to do where the speaker starts by itself.
   */
  | { readonly type: 'start-output' }
  /**
   * Record the call (a stereo WAV: you on the left, the room on the right),
   * or stop and finish the file. `path` is the file (relative to the
   * session's directory; without it, a dated name in the configured
   * directory); a file that exists is not overwritten: a number is added.
   * `self.recording` says when it records, and why it could not. Where the
   * session cannot record (the web page) the chat says so.
   */
  | { readonly type: 'set-recording'; readonly recording: boolean; readonly path?: string }
  | { readonly type: 'leave' };

export interface SessionController {
  /** The current state; cheap to call, returns an immutable object. */
  snapshot(): SessionSnapshot;
  /** Called on every change (the caller throttles redraws). Returns an unsubscribe function. */
  subscribe(listener: (snapshot: SessionSnapshot) => void): () => void;
  dispatch(action: SessionAction): void;
  /** Leave the room cleanly: peers told, files finalized, resources released. */
  leave(): Promise<void>;
}
