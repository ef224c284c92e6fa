/**
 * What the room (control side) asks of the media side of one participant
 * (docs/architecture.md §1): a MediaPort, and a LinkFactory for the links
 * that carry its packets. MediaEngine implements it in this thread; the
 * media process's control-side proxy (media/remote-media.ts) implements it
 * across a process boundary, so the room, the CLI and the UI work the same
 * with either. Nothing here carries audio: packets and frames stay on the
 * media side.
 */
import type { FrameMs } from '../../core/media-format.js';
import type { FilterState } from '../dsp/filter-chain.js';
import type { FilterStageName } from '../dsp/frame-filter.js';
import type { CapturePipelineStats } from '../send/capture-pipeline.js';
import type { RemoteStreamStats } from '../receive/remote-stream.js';
import type { SendLoopStats } from '../send/send-loop.js';
import type { CandidatePair, PeerLinkOptions, PeerLinkStats } from '../mesh/peer-link.js';
import type { NegotiatedAudio } from '../mesh/link-types.js';
import type { AudioEndName, AudioEndsState } from '../audio/audio-ends.js';
import type { MediaPath } from '../api.js';

/** How packets reach one remote peer. */
export interface PeerTransport {
  /** Send one whole RTP packet; false (or a throw) means it was not sent. */
  sendRtp(packet: Uint8Array): boolean | void;
  /** Send one compound RTCP packet (receiver reports); optional. */
  sendRtcp?(packet: Uint8Array): boolean | void;
  /** While false, frames for this peer are skipped rather than counted as send errors. */
  isOpen?(): boolean;
  /**
   * The payload types the link negotiated, or null before it has; without
   * it (or null) the peer gets plain Opus and nothing it sends is read as RED.
   */
  audioFormat?(): NegotiatedAudio | null;
}

/** The local participant as the media side knows it (the UI adds the name). */
export interface SelfMediaState {
  /** Microphone level, 0..1. */
  readonly micLevel: number;
  readonly speaking: boolean;
  readonly muted: boolean;
  readonly deafened: boolean;
  readonly pushToTalk: boolean;
  /** In push-to-talk mode: whether the talk key is currently held/toggled on. */
  readonly talking: boolean;
  /** Our microphone's processing, per stage: 'unavailable' where a stage cannot run. */
  readonly processing: ProcessingStates;
  /**
   * Our microphone and speaker: which, whether lost, the devices to switch
   * to. Absent where the ends are not ours to know (in-process engines). The
   * browser chooses its own devices and lists none; its speaker is lost while
   * the page's sound has not started (`start-output`).
   */
  readonly audio?: AudioEndsState;
  /** Our call recording, if any (docs/architecture.md §2, "Recording"). */
  readonly recording: RecordingState;
  /**
   * How the system schedules our audio engine (docs/architecture.md §1, "Who
   * gets the CPU first"): realtime (SCHED_RR), raised (a lower nice value
   * only), normal (neither was allowed). Absent where the engine is not a
   * process of ours (in-process engines, the browser).
   */
  readonly priority?: EnginePriority;
  /** What our encoder sends (absent where the encoder is not ours: the browser's). */
  readonly codec?: SendCodec;
}

export type EnginePriority = 'realtime' | 'raised' | 'normal';

/** Our Opus encoder's settings, as the statistics panel shows them. */
export interface SendCodec {
  readonly frameMs: FrameMs;
  readonly bitrateBps: number;
  /** Opus's low-delay application (codec/opus.ts): 2.5 ms of lookahead instead of 6.5. */
  readonly lowDelay: boolean;
}

/**
 * Our call recording as the media side reports it: a stereo WAV with our
 * microphone on the left and what we hear on the right.
 */
export interface RecordingState {
  /** off; starting: the file is being created; recording; stopping: the file is being finished. */
  readonly state: 'off' | 'starting' | 'recording' | 'stopping';
  /** The file of the current recording, or of the last one; null before any. */
  readonly path: string | null;
  /** Seconds of audio in that file. */
  readonly seconds: number;
  /** Why the last recording could not start or stopped early (a full disk, a bad path); null when it did not fail. */
  readonly error: string | null;
  /** Recordings asked for in this session, so a command can tell its own start from an earlier one. */
  readonly count: number;
}

/** No recording yet. */
export const RECORDING_OFF: RecordingState = { state: 'off', path: null, seconds: 0, error: null, count: 0 };

/** Echo cancellation, noise suppression and gain control of our microphone (dsp/frame-filter.ts names them). */
export type ProcessingStates = Readonly<Record<FilterStageName, FilterState>>;

/** Every stage off: before the media side has reported anything. */
export const PROCESSING_OFF: ProcessingStates = { 'echo-cancellation': 'off', 'noise-suppression': 'off', 'auto-gain': 'off' };

export interface PeerMediaStats {
  readonly receive: RemoteStreamStats;
  readonly send: SendLoopStats;
  /** Frames skipped because the transport was not open yet. */
  readonly sendSkippedNotOpen: number;
  readonly bytesReceived: number;
  readonly rtcpReceived: number;
  readonly malformedReceived: number;
  readonly rttMs: number | null;
  readonly level: number;
  readonly speaking: boolean;
  readonly volumePercent: number;
  readonly mutedByMe: boolean;
  /** Our own noise suppression runs on this peer's audio (before the mix). */
  readonly noiseSuppression: boolean;
  /**
   * Earlier frames each packet to this peer repeats (RFC 2198 RED, 0–2), or
   * null when the link did not negotiate RED (plain Opus).
   */
  readonly redDistance: number | null;
}

/** Monotonic anchors (ns, `process.hrtime.bigint()`) for cross-process latency measurement (docs/architecture.md §8). */
export interface MediaAnchors {
  /** When the first input sample entered capture (one frame before the first frame was delivered). */
  readonly firstInputNs: bigint | null;
  /** When the first output sample left for playback. */
  readonly firstOutputNs: bigint | null;
}

/**
 * Route our media through an SFU (docs/architecture.md §11). The media
 * secret crosses only this local IPC to our own media process; no server
 * ever sees it.
 */
export interface SfuSpec {
  readonly janusUrl: string;
  /** The room id the signaling server knows; the Janus room number derives from it (sfu/janus-room.ts). */
  readonly roomId: string;
  readonly maxPublishers: number;
  readonly peerId: string;
  readonly mediaSecret: Uint8Array;
  readonly bindAddress?: string;
}

export interface MediaPort {
  readonly frameMs: FrameMs;
  readonly playbackFrameMs: FrameMs;
  /** Our RTP SSRC (RFC 3550 §8): known once start() has resolved; links announce it in their SDP. */
  readonly ssrc: number;
  /** Start playback and capture. Rejects with a clear error when an audio end cannot open. */
  start(): Promise<void>;
  /** Stop capture and playback; an output file is complete once this resolves. Idempotent. */
  stop(): Promise<void>;
  /**
   * A remote peer's media: its stream in the mix, its send loop. The
   * transport is for media in this thread; the media process binds the
   * peer's current link itself and ignores it.
   */
  addPeer(id: string, transport: PeerTransport): void;
  removePeer(id: string): void;
  /**
   * Send and receive through an SFU instead of per-peer links (docs/architecture.md §11):
   * the media side then adds and removes each remote peer itself, by peer id, as the SFU
   * announces them. Resolves with the Janus room number once we publish; absent where
   * the SFU path cannot run (the browser).
   */
  startSfu?(spec: SfuSpec): Promise<number>;
  /**
   * Leave the SFU (the room went back to the mesh, docs/architecture.md §11): its
   * subscriptions and uplink close; a peer that also has a mesh path keeps its stream,
   * which plays from the mesh from then on.
   */
  stopSfu?(): Promise<void>;
  /**
   * While a room switches: the path each peer's stream moves to as soon as that path
   * brings the peer's audio (startSfu prefers the SFU). Until then the stream plays from
   * the path it has; never from both at once.
   */
  preferPath?(path: MediaPath): void;
  /** The path peer `id`'s stream plays from now; undefined when it has no stream. */
  peerPath?(id: string): MediaPath | undefined;
  /** Whether the SFU brings peer `id`'s stream (its subscription is up), whichever path it plays from. */
  hasSfuStream?(id: string): boolean;
  setMuted(muted: boolean): void;
  setDeafened(deafened: boolean): void;
  setPeerVolume(id: string, percent: number): void;
  setPeerMuted(id: string, muted: boolean): void;
  setPushToTalk(enabled: boolean): void;
  setTalking(pressed: boolean): void;
  /** One stage of our microphone's processing (echo cancellation, noise suppression, gain control), before the voice gate. */
  setProcessing(stage: FilterStageName, enabled: boolean): void;
  /** Our noise suppression on one peer's audio, for a peer who sends noise (no suppression of their own). */
  setPeerNoiseSuppression(id: string, enabled: boolean): void;
  /**
   * Use another sound device (by name) for the microphone or the speaker,
   * mid-call; how it went shows in `self.audio`. Absent where devices are
   * not ours (the browser).
   */
  setDevice?(end: AudioEndName, device: string): void;
  /** List the sound devices again, into `self.audio.devices`. */
  refreshDevices?(): void;
  /**
   * Start the speaker now, from a user's click (a browser page's sound starts
   * only on one). Absent where the output starts by itself.
   */
  startOutput?(): void;
  /**
   * Start recording the call to `path` (absolute, required to start; a file
   * that exists is not overwritten: a numbered name beside it is used), or
   * stop and finish the file. Absent where the media side cannot record
   * (the web client).
   */
  setRecording?(recording: boolean, path?: string): void;
  readonly self: SelfMediaState;
  peerStats(id: string): PeerMediaStats | undefined;
  readonly anchors: MediaAnchors;
  readonly captureStats: CapturePipelineStats;
  readonly outputUnderflows: number;
  /** Those after the device's first second (AudioSink.underflowsAfterWarmup). */
  readonly outputUnderflowsAfterWarmup: number;
  /** Called once when a finite source (a WAV without loop) has delivered its last frame. */
  onSourceEnd: (() => void) | undefined;
  /**
   * Called once if the media side fails for good after start (the media
   * process died); the room then ends the session with that message.
   */
  onFailure?: ((message: string) => void) | undefined;
}

/**
 * What the room hands a link factory. The room never touches packets (they
 * stay on the media side, docs/architecture.md §1): it only learns that one
 * arrived (`onPacket`, for liveness). Delivering them to the media engine is
 * the factory's job (media/engine-links.ts in this thread, the media process
 * otherwise).
 */
export type SessionLinkOptions = Omit<PeerLinkOptions, 'onRtp' | 'onRtcp'> & {
  /** A packet (RTP or RTCP) arrived on this link at `arrivalMs` (session clock). */
  onPacket(arrivalMs: number): void;
};

/** Builds one link (one peer, one generation). */
export type LinkFactory = (options: SessionLinkOptions) => SessionLink;

/** What the session needs of a link; PeerLink is the production one. */
export interface SessionLink {
  start(): void;
  handleSignal(signal: unknown): void;
  sendRtp(packet: Uint8Array): boolean;
  sendRtcp(packet: Uint8Array): boolean;
  /** Send one text message on the link's chat channel; false when the channel is not open. */
  sendChat(text: string): boolean;
  /** Tell the remote we leave the room (an RTCP BYE); absent where we cannot send RTCP (the web client). */
  sayGoodbye?(): boolean;
  readonly isOpen: boolean;
  /** The payload types negotiated, null before negotiation (or where packets never pass, the web client). */
  readonly negotiatedAudio: NegotiatedAudio | null;
  /** True while the chat channel can carry messages. */
  readonly chatOpen: boolean;
  stats(): PeerLinkStats;
  selectedCandidatePair(): CandidatePair | null;
  localCandidateTypes(): string[];
  close(): void;
}
