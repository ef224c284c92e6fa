/**
 * Messages between the control side of a participant (the room, the UI)
 * and its media process (docs/architecture.md §1). They travel over the
 * Node IPC channel of a forked child with the "advanced" serialization
 * (structured clone: bigint and typed arrays survive). No message carries
 * audio or a packet: per peer, control sees states, signals, statistics and
 * when the last packet arrived, ~10 times a second at most.
 */
import type { FrameMs } from '../../core/media-format.js';
import type { ProcessFigures } from '../../core/process-figures.js';
import type { LogFields } from '../../core/logger.js';
import type { CapturePipelineStats } from '../send/capture-pipeline.js';
import type { IceServerConfig } from '../mesh/ice-servers.js';
import type { CandidatePair, LinkState, PeerLinkStats } from '../mesh/peer-link.js';
import type { AudioEndsSpec, AudioFallback } from '../audio/open.js';
import type { AudioEndName } from '../audio/audio-ends.js';
import type { MediaEngineOptions } from './media-engine.js';
import type { MediaAnchors, PeerMediaStats, SelfMediaState, SfuSpec } from './media-port.js';
export type { SfuSpec } from './media-port.js';
import type { SendTimingReport } from './send-timing.js';
import type { MediaPath } from '../api.js';
import type { FilterCost, FilterStageName } from '../dsp/frame-filter.js';

/** Media settings that cross the boundary: everything of MediaEngineOptions that is plain data. */
export type MediaSettings = Omit<
  MediaEngineOptions,
  'source' | 'sink' | 'audioEnds' | 'logger' | 'clock' | 'encoderFactory' | 'decoderFactory' | 'suppressorFactory' | 'openRecordingFile'
>;

export interface MediaHostConfig {
  readonly media: MediaSettings;
  readonly audio: AudioEndsSpec;
  /** Record send intervals and capture lateness (`--stats` of the demo and benchmarks). */
  readonly sendTiming?: boolean;
  /** Lowest level forwarded to the control side's logger. */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** The plain-data part of a link's options (callbacks stay on each side). */
export interface LinkSpec {
  readonly peerId: string;
  readonly role: 'offerer' | 'answerer';
  readonly iceServers: IceServerConfig[];
  readonly relayOnly?: boolean;
  readonly bindAddress?: string;
  readonly ssrc: number;
  readonly cname: string;
  readonly keepaliveMs?: number;
  readonly inactivityTimeoutMs?: number;
}

/** What control keeps of a link in the media process, refreshed with every update. */
export interface LinkStatus {
  readonly isOpen: boolean;
  readonly chatOpen: boolean;
  readonly stats: PeerLinkStats;
  readonly pair: CandidatePair | null;
  readonly localTypes: string[];
  /** Monotonic ms (machine-wide, core/clock.ts) of the last packet on this link, or null before any. */
  readonly lastPacketMs: number | null;
}

export type ToMedia =
  | { readonly op: 'init'; readonly config: MediaHostConfig }
  | { readonly op: 'start' }
  | { readonly op: 'stop' }
  | { readonly op: 'add-peer'; readonly peerId: string }
  | { readonly op: 'remove-peer'; readonly peerId: string }
  | { readonly op: 'set-self'; readonly what: 'muted' | 'deafened' | 'pushToTalk' | 'talking'; readonly value: boolean }
  | { readonly op: 'set-processing'; readonly stage: FilterStageName; readonly enabled: boolean }
  | { readonly op: 'peer-volume'; readonly peerId: string; readonly percent: number }
  | { readonly op: 'peer-muted'; readonly peerId: string; readonly muted: boolean }
  | { readonly op: 'peer-noise-suppression'; readonly peerId: string; readonly enabled: boolean }
  | { readonly op: 'set-device'; readonly end: AudioEndName; readonly device: string }
  | { readonly op: 'refresh-devices' }
  /** Start recording the call to `path` (absolute, resolved on the control side), or stop (docs/architecture.md §2, "Recording"). */
  | { readonly op: 'set-recording'; readonly recording: boolean; readonly path?: string }
  | { readonly op: 'link-create'; readonly linkId: number; readonly spec: LinkSpec }
  | { readonly op: 'link-start'; readonly linkId: number }
  | { readonly op: 'link-signal'; readonly linkId: number; readonly signal: unknown }
  | { readonly op: 'link-close'; readonly linkId: number }
  | { readonly op: 'link-chat'; readonly linkId: number; readonly text: string }
  /** We leave the room: say so on this link (an RTCP BYE) before it closes. */
  | { readonly op: 'link-goodbye'; readonly linkId: number }
  | { readonly op: 'sfu-start'; readonly spec: SfuSpec }
  /** Leave the SFU (the room went back to the mesh, docs/architecture.md §11); answered by `sfu-stopped`. */
  | { readonly op: 'sfu-stop' }
  /** The path each peer's stream moves to once it brings that peer's audio (sfu-start prefers the SFU). */
  | { readonly op: 'prefer-path'; readonly path: MediaPath };

export interface FinalMediaReport {
  readonly anchors: MediaAnchors;
  readonly captureStats: CapturePipelineStats;
  readonly outputUnderflows: number;
  readonly outputUnderflowsAfterWarmup: number;
  readonly sendTiming: SendTimingReport | null;
  /** Time per stage of the send path's filters (noise suppression), per 10 ms of audio. */
  readonly filterCosts: readonly FilterCost[];
  /** The media process's own CPU and memory. */
  readonly process: ProcessFigures;
}

export interface MediaSnapshot {
  readonly self: SelfMediaState;
  readonly peers: ReadonlyArray<readonly [string, PeerMediaStats]>;
  readonly links: ReadonlyArray<readonly [number, LinkStatus]>;
  readonly anchors: MediaAnchors;
  readonly captureStats: CapturePipelineStats;
  readonly outputUnderflows: number;
  readonly outputUnderflowsAfterWarmup: number;
}

/**
 * What the UI redraws between full snapshots: our own state and each peer's
 * level and speaking flag (peer id, level 0..1, speaking).
 */
export interface MediaLevels {
  readonly self: SelfMediaState;
  readonly peers: ReadonlyArray<readonly [string, number, boolean]>;
}

export type FromMedia =
  | { readonly ev: 'ready'; readonly ssrc: number; readonly frameMs: FrameMs; readonly playbackFrameMs: FrameMs }
  | { readonly ev: 'started'; readonly snapshot: MediaSnapshot }
  | { readonly ev: 'start-failed'; readonly name: string; readonly message: string }
  | { readonly ev: 'snapshot'; readonly snapshot: MediaSnapshot }
  | { readonly ev: 'levels'; readonly levels: MediaLevels }
  | { readonly ev: 'link-signal'; readonly linkId: number; readonly signal: unknown }
  | { readonly ev: 'link-state'; readonly linkId: number; readonly state: LinkState; readonly status: LinkStatus }
  | { readonly ev: 'link-failed'; readonly linkId: number; readonly message: string }
  | { readonly ev: 'link-chat'; readonly linkId: number; readonly text: string }
  /** The remote said on this link that it leaves the room (its BYE). */
  | { readonly ev: 'link-goodbye'; readonly linkId: number }
  | { readonly ev: 'source-ended' }
  | { readonly ev: 'sfu-started'; readonly room: number }
  | { readonly ev: 'sfu-failed'; readonly message: string }
  | { readonly ev: 'sfu-stopped' }
  /** The path peer `peerId`'s stream plays from (null: it has no stream any more), and whether the SFU brings it too; sent when either changes. */
  | { readonly ev: 'peer-path'; readonly peerId: string; readonly path: MediaPath | null; readonly sfu: boolean }
  | { readonly ev: 'audio-fallback'; readonly fallback: AudioFallback }
  | { readonly ev: 'log'; readonly level: 'debug' | 'info' | 'warn' | 'error'; readonly event: string; readonly fields: LogFields }
  | { readonly ev: 'stopped'; readonly report: FinalMediaReport; readonly snapshot: MediaSnapshot };

/**
 * How often the media process reports: levels (what a UI redraws, ~12 times
 * a second at most) every MEDIA_LEVELS_INTERVAL_MS, the whole snapshot
 * (statistics, link activity for liveness, which needs a packet every 3 s)
 * every MEDIA_SNAPSHOT_INTERVAL_MS. Sending everything 10 times a second
 * cost the media process 1.5 % of a core in an 8-peer room (profiled:
 * structured cloning and the pipe), and the control process as much again
 * to read it.
 */
export const MEDIA_LEVELS_INTERVAL_MS = 100;
export const MEDIA_SNAPSHOT_INTERVAL_MS = 500;
