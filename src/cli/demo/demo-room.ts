/**
 * Everything `roundtable demo` runs in one process: a signaling server on a
 * free loopback port, two bots that speak looping speech fixtures, and the
 * user's own session, all on 127.0.0.1 with no STUN server, so nothing
 * leaves the machine. `close()` undoes all of it (the caller then calls
 * shutdownMesh(), as every command does last).
 */
import path from 'node:path';
import type { FrameMs } from '../../core/media-format.js';
import type { AudioSink, AudioSource } from '../../engine/audio/types.js';
import { WavSource } from '../../engine/audio/wav-source.js';
import { DEFAULT_PLAYBACK_FRAME_MS, MediaEngine } from '../../engine/media/media-engine.js';
import { PeerLink } from '../../engine/mesh/peer-link.js';
import { Session, type LinkFactory } from '../../engine/room/session.js';
import { SignalingClient } from '../../engine/signaling/index.js';
import { generateJoinCode } from '../../protocol/index.js';
import { startSignalingServer, type SignalingServer } from '../../server/index.js';
import { silentLogger, type LogFields, type Logger } from '../../core/log.js';
import { packageInfo } from '../package-info.js';
import { NullSink } from './null-audio.js';

/** Playback pull size the engine uses whatever the capture frame (media-engine.ts). */
export const PLAYBACK_FRAME_MS: FrameMs = DEFAULT_PLAYBACK_FRAME_MS;

export interface DemoBot {
  readonly name: string;
  /** WAV file the bot says, looped. */
  readonly input: string;
}

/** Two speakers, named after Ada Lovelace and Grace Hopper, saying the fixture clips. */
export function defaultBots(root: string = packageInfo().root): DemoBot[] {
  return [
    { name: 'bot-ada', input: path.join(root, 'fixtures', 'speech-a.wav') },
    { name: 'bot-grace', input: path.join(root, 'fixtures', 'speech-b.wav') },
  ];
}

/** The engine settings the demo takes from the config. */
export interface DemoMediaSettings {
  frameMs: FrameMs;
  bitrate?: number;
  complexity?: number;
  dtx?: boolean;
  jitter?: { minDelayMs?: number; maxDelayMs?: number };
  cues?: { enabled?: boolean; volumePercent?: number };
}

export interface DemoRoomOptions {
  media: DemoMediaSettings;
  user: {
    name: string;
    source: AudioSource;
    sink: AudioSink;
    /** Shown in the snapshot while the TUI owns the terminal. */
    logFile?: string;
    /** E.g. SendTiming.linkFactory(...) to measure the user's sends. */
    linkFactory?: LinkFactory;
  };
  bots?: readonly DemoBot[];
  logger?: Logger;
}

/** Info lines of the bots would drown the user's own in headless mode: pass on warnings and errors only. */
function warningsOnly(logger: Logger): Logger {
  const wrap = (inner: Logger): Logger => ({
    debug: () => undefined,
    info: () => undefined,
    warn: (event: string, fields?: LogFields) => inner.warn(event, fields),
    error: (event: string, fields?: LogFields) => inner.error(event, fields),
    child: (fields: LogFields) => wrap(inner.child(fields)),
    close: () => Promise.resolve(),
  });
  return wrap(logger);
}

export class DemoRoom {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly server: SignalingServer,
    readonly code: string,
    readonly bots: readonly Session[],
    readonly user: Session,
    readonly userEngine: MediaEngine,
    private readonly log: Logger,
  ) {}

  /**
   * Start server, bots, then the user (the newcomer, who offers to both).
   * On any failure everything already started is closed before rejecting.
   */
  static async start(opts: DemoRoomOptions): Promise<DemoRoom> {
    const log = opts.logger ?? silentLogger;
    const botLog = warningsOnly(log);
    const server = await startSignalingServer({ host: '127.0.0.1', port: 0, logger: botLog.child({ component: 'demo-server' }) });
    const code = generateJoinCode();
    const started: Session[] = [];
    const common = { roomCode: code, serverUrl: server.url, iceServers: [], bindAddress: '127.0.0.1' };
    const engineFor = (source: AudioSource, sink: AudioSink, logger: Logger): MediaEngine =>
      new MediaEngine({
        frameMs: opts.media.frameMs,
        source,
        sink,
        logger,
        ...(opts.media.bitrate !== undefined ? { bitrate: opts.media.bitrate } : {}),
        ...(opts.media.complexity !== undefined ? { complexity: opts.media.complexity } : {}),
        ...(opts.media.dtx !== undefined ? { dtx: opts.media.dtx } : {}),
        ...(opts.media.jitter !== undefined ? { jitter: opts.media.jitter } : {}),
        ...(opts.media.cues !== undefined ? { cues: opts.media.cues } : {}),
      });
    try {
      for (const bot of opts.bots ?? defaultBots()) {
        const logger = botLog.child({ bot: bot.name });
        const engine = engineFor(new WavSource({ path: bot.input, frameMs: opts.media.frameMs, loop: true }), new NullSink(PLAYBACK_FRAME_MS), logger);
        const session = new Session({
          ...common,
          engine,
          signaling: new SignalingClient({ url: server.url, code, name: bot.name, logger }),
          name: bot.name,
          logger,
        });
        started.push(session);
        await session.start();
      }
      const engine = engineFor(opts.user.source, opts.user.sink, log);
      const user = new Session({
        ...common,
        engine,
        signaling: new SignalingClient({ url: server.url, code, name: opts.user.name, logger: log }),
        name: opts.user.name,
        logger: log,
        ...(opts.user.logFile !== undefined ? { logFile: opts.user.logFile } : {}),
        linkFactory: opts.user.linkFactory ?? ((o) => new PeerLink(o)),
      });
      started.push(user);
      await user.start();
      return new DemoRoom(server, code, started.slice(0, -1), user, engine, log);
    } catch (err) {
      await Promise.allSettled(started.map((s) => s.leave()));
      await server.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * The user leaves (output file complete), then the bots, then the server
   * stops. Idempotent; never rejects (a failure is logged, the rest still closes).
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const session of [this.user, ...this.bots]) {
        await session.leave().catch((err: unknown) => this.log.warn('demo-leave-failed', { error: err instanceof Error ? err.message : String(err) }));
      }
      await this.server.close().catch((err: unknown) => this.log.warn('demo-server-close-failed', { error: err instanceof Error ? err.message : String(err) }));
    })();
    return this.closing;
  }
}
