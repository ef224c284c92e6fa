/**
 * Everything `roundtable demo` runs: a signaling server on a free loopback
 * port, two bots that speak looping speech fixtures, and the user's own
 * session, all on 127.0.0.1 with no STUN server, so nothing leaves the
 * machine. The rooms and the server run in this process; each
 * participant's media path runs in a media process of its own. `close()` undoes all of it (the caller then calls
 * shutdownMesh(), as every command does last).
 */
import path from 'node:path';
import type { FrameMs } from '../../core/media-format.js';
import {
  createParticipant,
  DEFAULT_PLAYBACK_FRAME_MS,
  type AudioEndsSpec,
  type AudioFallback,
  type MediaPort,
  type ParticipantMedia,
  type RemoteMedia,
  type Session,
  type SessionOptions,
} from '../../engine/index.js';
import { generateJoinCode } from '../../protocol/index.js';
import { startSignalingServer, type SignalingServer } from '../../server/index.js';
import { silentLogger, type LogFields, type Logger } from '../../core/logger.js';
import { packageInfo } from '../../core/package-info.js';

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

export interface DemoRoomOptions {
  /** Engine settings of the user and the bots alike. */
  media: ParticipantMedia;
  user: {
    name: string;
    /** The user's audio ends (device with a fallback, or WAV files), opened by the user's media process. */
    audio: AudioEndsSpec;
    /** Measure the user's send intervals and capture lateness (for --stats). */
    sendTiming?: boolean;
    onAudioFallback?: (fallback: AudioFallback) => void;
    /** Shown in the snapshot while the TUI owns the terminal. */
    logFile?: string;
    /** Where the user's recordings go (the record key, `ctl record start`). */
    recording?: SessionOptions['recording'];
  };
  bots?: readonly DemoBot[];
  logger?: Logger;
  /** Real-time scheduling for every media process, the bots' too (config audio.realtimePriority); default true. */
  realtimePriority?: boolean;
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
    readonly userEngine: MediaPort,
    /** The user's media process (its final report: send timing, CPU, memory). */
    readonly userMedia: RemoteMedia | undefined,
    private readonly log: Logger,
  ) {}

  /**
   * Start server, bots, then the user (the newcomer, who offers to both).
   * On any failure everything already started is closed before rejecting.
   */
  static async start(opts: DemoRoomOptions): Promise<DemoRoom> {
    const log = opts.logger ?? silentLogger;
    const botLog = warningsOnly(log);
    // No page: the demo invites no browser, and an unbuilt web client would only add a warning to its output.
    const server = await startSignalingServer({ host: '127.0.0.1', port: 0, webRoot: false, logger: botLog.child({ component: 'demo-server' }) });
    const code = generateJoinCode();
    const started: Session[] = [];
    // Everyone on loopback, no STUN: nothing leaves the machine.
    const common = { code, serverUrl: server.url, media: opts.media, bindAddress: '127.0.0.1' };
    try {
      // Each bot, and the user, has a media process of its own: the bots' encoding never shares
      // an event loop with what the user hears (docs/architecture.md §1).
      for (const bot of opts.bots ?? defaultBots()) {
        const logger = botLog.child({ bot: bot.name });
        const audio: AudioEndsSpec = {
          input: { kind: 'wav', path: bot.input, loop: true },
          output: { kind: 'none' },
          frameMs: opts.media.frameMs,
          playbackFrameMs: PLAYBACK_FRAME_MS,
        };
        // A bot's microphone is a clean clip: suppressing noise would only cost CPU and 20 ms.
        const media = { ...opts.media, echoCancellation: false, noiseSuppression: false, autoGain: false };
        const { session } = createParticipant({ ...common, media, name: bot.name, mediaProcess: { audio, ...(opts.realtimePriority !== undefined ? { realtimePriority: opts.realtimePriority } : {}) }, logger });
        started.push(session);
        await session.start();
      }
      const participant = createParticipant({
        ...common,
        name: opts.user.name,
        mediaProcess: {
          audio: opts.user.audio,
          ...(opts.user.sendTiming === true ? { sendTiming: true } : {}),
          ...(opts.user.onAudioFallback !== undefined ? { onAudioFallback: opts.user.onAudioFallback } : {}),
          ...(opts.realtimePriority !== undefined ? { realtimePriority: opts.realtimePriority } : {}),
        },
        logger: log,
        ...(opts.user.logFile !== undefined ? { logFile: opts.user.logFile } : {}),
        ...(opts.user.recording !== undefined ? { recording: opts.user.recording } : {}),
      });
      const user = participant.session;
      started.push(user);
      await user.start();
      return new DemoRoom(server, code, started.slice(0, -1), user, participant.engine, participant.mediaProcess, log);
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
