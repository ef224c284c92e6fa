/**
 * The engine's front door for the code around it: the CLI commands, the
 * demo room and the benchmarks (docs/architecture.md §1). `createParticipant`
 * wires one participant — media engine, signaling client, session — the way
 * the product runs it; the re-exports are the rest of what outside code
 * needs (process-wide mesh setup and cleanup, the UI contract, types).
 */
import { openNodeSocket } from './signaling/node-socket.js';
import type { Logger } from '../core/logger.js';
import type { AudioFallback, AudioEndsSpec } from './audio/open.js';
import type { AudioSink, AudioSource } from './audio/types.js';
import { engineLinkFactory, makePeerLink, type MakeLink } from './media/engine-links.js';
import type { MediaSettings } from './media/host-protocol.js';
import { MediaEngine, type MediaEngineOptions } from './media/media-engine.js';
import type { MediaPort } from './media/media-port.js';
import { RemoteMedia } from './media/remote-media.js';
import type { IceServerConfig } from './mesh/ice-servers.js';
import { Session, type LinkFactory, type SessionOptions } from './room/session.js';
import { SignalingClient } from './signaling/client.js';

export type * from './api.js';
export { DEFAULT_PLAYBACK_FRAME_MS, MediaEngine, type MediaEngineOptions } from './media/media-engine.js';
export { opusLookaheadMs } from './codec/types.js';
export type { MediaAnchors, MediaPort, PeerMediaStats } from './media/media-port.js';
export { RemoteMedia } from './media/remote-media.js';
export type { AudioEndsSpec, AudioFallback, InputSpec, OutputSpec } from './audio/open.js';
export type { FinalMediaReport } from './media/host-protocol.js';
export { engineLinkFactory, makePeerLink, type MakeLink } from './media/engine-links.js';
export { configureMeshLogging, shutdownMesh } from './mesh/native.js';
export type { IceServerConfig } from './mesh/ice-servers.js';
export type { PeerLinkOptions, PeerLinkStats } from './mesh/peer-link.js';
export { Session, type LinkFactory, type PeerSessionStats, type SessionLink, type SessionLinkOptions, type SessionOptions } from './room/session.js';
export { SignalingError } from './signaling/client.js';

/** Media settings of a participant (plain data: they cross into the media process). */
export type ParticipantMedia = MediaSettings;

interface CommonParticipantOptions {
  /** Join code, normalized (the room's name on the server and in the snapshot). */
  code: string;
  /**
   * ws:// or wss:// URL of `roundtable serve`, or several nodes sharing rooms
   * (tried in turn: the signaling client fails over between them).
   */
  serverUrl: string | readonly string[];
  /** Display name shown to the others. */
  name: string;
  /** STUN/TURN servers (default none: host candidates only). */
  iceServers?: IceServerConfig[];
  /** Only TURN-relayed candidates. */
  relayOnly?: boolean;
  /** Bind ICE to one local address (tests, benchmarks and the demo: 127.0.0.1). */
  bindAddress?: string;
  logger?: Logger;
  /** Shown in the snapshot while a UI owns the terminal. */
  logFile?: string;
  /** Recording the call: how a requested file becomes a path, and a file to record to from the start (SessionOptions.recording). */
  recording?: SessionOptions['recording'];
  /** Ask for the SFU path if our join creates the room (`create --sfu`, docs/architecture.md §11). */
  sfu?: boolean;
}

/** The product: the media path in a process of its own, which opens the audio ends it is told of. */
export interface MediaProcessParticipantOptions extends CommonParticipantOptions {
  media: ParticipantMedia;
  mediaProcess: {
    readonly audio: AudioEndsSpec;
    /** Record send intervals and capture lateness for `--stats`. */
    readonly sendTiming?: boolean;
    readonly onAudioFallback?: (fallback: AudioFallback) => void;
    /** Real-time scheduling for the media process where allowed (config audio.realtimePriority); default true. */
    readonly realtimePriority?: boolean;
  };
}

/** Tests and benchmarks: the media path in this thread, with audio ends (and links) of the caller's. */
export interface InThreadParticipantOptions extends CommonParticipantOptions {
  mediaProcess?: undefined;
  /** Settings, and codec factories if the test brings its own. */
  media: Omit<MediaEngineOptions, 'source' | 'sink' | 'logger'>;
  /** Microphone (or a WAV file, or a test source). */
  source: AudioSource;
  /** Speaker (or a WAV file, or a test sink). */
  sink: AudioSink;
  /** Default: real PeerLinks (node-datachannel). */
  makeLink?: MakeLink;
}

export type ParticipantOptions = MediaProcessParticipantOptions | InThreadParticipantOptions;

export interface Participant {
  /** The SessionController: start(), leave(), snapshot(), stats()… */
  readonly session: Session;
  /** Its media side, for latency anchors, capture stats and the end of a finite source. */
  readonly engine: MediaPort;
  /** Set when the media runs in a process of its own (its final report: send timing, CPU, memory). */
  readonly mediaProcess?: RemoteMedia;
}

/** One participant, wired and not started: call `session.start()`. */
export function createParticipant(options: ParticipantOptions): Participant {
  const logger = options.logger;
  let engine: MediaPort;
  let linkFactory: LinkFactory;
  let mediaProcess: RemoteMedia | undefined;
  if (options.mediaProcess !== undefined) {
    const p = options.mediaProcess;
    mediaProcess = new RemoteMedia({
      config: { media: options.media, audio: p.audio, ...(p.sendTiming === true ? { sendTiming: true } : {}) },
      ...(logger !== undefined ? { logger } : {}),
      ...(p.onAudioFallback !== undefined ? { onAudioFallback: p.onAudioFallback } : {}),
      ...(p.realtimePriority !== undefined ? { realtimePriority: p.realtimePriority } : {}),
    });
    engine = mediaProcess;
    linkFactory = mediaProcess.linkFactory;
  } else {
    const local = new MediaEngine({ ...options.media, source: options.source, sink: options.sink, ...(logger !== undefined ? { logger } : {}) });
    engine = local;
    linkFactory = engineLinkFactory(local, options.makeLink ?? makePeerLink);
  }
  const signaling = new SignalingClient({
    openSocket: openNodeSocket,
    url: options.serverUrl,
    code: options.code,
    name: options.name,
    ...(logger !== undefined ? { logger } : {}),
    ...(options.sfu === true ? { sfu: true } : {}),
  });
  const session = new Session({
    engine,
    linkFactory,
    signaling,
    roomCode: options.code,
    serverUrl: typeof options.serverUrl === 'string' ? options.serverUrl : options.serverUrl.join(', '),
    name: options.name,
    iceServers: options.iceServers ?? [],
    ...(options.relayOnly !== undefined ? { relayOnly: options.relayOnly } : {}),
    ...(options.bindAddress !== undefined ? { bindAddress: options.bindAddress } : {}),
    ...(logger !== undefined ? { logger } : {}),
    ...(options.logFile !== undefined ? { logFile: options.logFile } : {}),
    ...(options.recording !== undefined ? { recording: options.recording } : {}),
  });
  return { session, engine, ...(mediaProcess !== undefined ? { mediaProcess } : {}) };
}
