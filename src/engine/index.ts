/**
 * The engine's front door for the code around it: the CLI commands, the
 * demo room and the benchmarks (docs/architecture.md §1). `createParticipant`
 * wires one participant — media engine, signaling client, session — the way
 * the product runs it; the re-exports are the rest of what outside code
 * needs (process-wide mesh setup and cleanup, the UI contract, types).
 */
import type { Logger } from '../core/log.js';
import type { AudioSink, AudioSource } from './audio/types.js';
import { MediaEngine, type MediaEngineOptions } from './media/media-engine.js';
import type { IceServerConfig } from './mesh/ice-servers.js';
import { Session, type LinkFactory } from './room/session.js';
import { SignalingClient } from './signaling/client.js';

export type * from './api.js';
export { DEFAULT_PLAYBACK_FRAME_MS, MediaEngine, type MediaAnchors, type MediaEngineOptions, type PeerMediaStats } from './media/media-engine.js';
export { configureMeshLogging, shutdownMesh } from './mesh/native.js';
export type { IceServerConfig } from './mesh/ice-servers.js';
export type { PeerLinkOptions, PeerLinkStats } from './mesh/peer-link.js';
export { peerLinkFactory } from './room/link-lifecycle.js';
export { Session, type LinkFactory, type PeerSessionStats, type SessionLink, type SessionOptions } from './room/session.js';
export { SignalingError } from './signaling/client.js';

/** Media settings of a participant: everything but the audio ends and the logger (given beside them). */
export type ParticipantMedia = Omit<MediaEngineOptions, 'source' | 'sink' | 'logger' | 'clock'>;

export interface ParticipantOptions {
  /** Join code, normalized (the room's name on the server and in the snapshot). */
  code: string;
  /** ws:// or wss:// URL of `roundtable serve`. */
  serverUrl: string;
  /** Display name shown to the others. */
  name: string;
  /** Microphone (or a WAV file, or a test source). */
  source: AudioSource;
  /** Speaker (or a WAV file, or a test sink). */
  sink: AudioSink;
  media: ParticipantMedia;
  /** STUN/TURN servers (default none: host candidates only). */
  iceServers?: IceServerConfig[];
  /** Only TURN-relayed candidates. */
  relayOnly?: boolean;
  /** Bind ICE to one local address (tests, benchmarks and the demo: 127.0.0.1). */
  bindAddress?: string;
  logger?: Logger;
  /** Shown in the snapshot while a UI owns the terminal. */
  logFile?: string;
  /** Default: real PeerLinks (node-datachannel). */
  linkFactory?: LinkFactory;
}

export interface Participant {
  /** The SessionController: start(), leave(), snapshot(), stats()… */
  readonly session: Session;
  /** Its media engine, for latency anchors, capture stats and the end of a finite source. */
  readonly engine: MediaEngine;
}

/** One participant, wired and not started: call `session.start()`. */
export function createParticipant(options: ParticipantOptions): Participant {
  const logger = options.logger;
  const engine = new MediaEngine({
    ...options.media,
    source: options.source,
    sink: options.sink,
    ...(logger !== undefined ? { logger } : {}),
  });
  const signaling = new SignalingClient({
    url: options.serverUrl,
    code: options.code,
    name: options.name,
    ...(logger !== undefined ? { logger } : {}),
  });
  const session = new Session({
    engine,
    signaling,
    roomCode: options.code,
    serverUrl: options.serverUrl,
    name: options.name,
    iceServers: options.iceServers ?? [],
    ...(options.relayOnly !== undefined ? { relayOnly: options.relayOnly } : {}),
    ...(options.bindAddress !== undefined ? { bindAddress: options.bindAddress } : {}),
    ...(logger !== undefined ? { logger } : {}),
    ...(options.logFile !== undefined ? { logFile: options.logFile } : {}),
    ...(options.linkFactory !== undefined ? { linkFactory: options.linkFactory } : {}),
  });
  return { session, engine };
}
