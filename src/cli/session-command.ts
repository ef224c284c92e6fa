/**
 * The life of a command that puts the user in a call (join, create, demo),
 * from the logger to the last cleanup, so every such command quits the same
 * way:
 *
 * - the terminal UI when stdout is a terminal and --headless is not given,
 *   else one log line per event (logs then go to the log file, not the TUI);
 * - leaving on SIGINT, SIGTERM, --duration, the TUI's quit key, and (for a
 *   command that asks) one second after a non-looping --input has played;
 * - the control socket for `roundtable ctl` while the session runs
 *   (src/control; config `controlSocket`, --control PATH, --no-control),
 *   removed however the command ends;
 * - the --stats report once the session is over;
 * - always, even after a failure: signal handlers and timers removed, what
 *   the command started closed, node-datachannel released (without
 *   cleanup() the process does not exit, docs/architecture.md §6), and the
 *   logger flushed.
 *
 * The command supplies what differs: what it starts and what it reports.
 */
import os from 'node:os';
import { RuntimeError } from '../core/errors.js';
import { startControlServer } from '../control/server.js';
import { controlDir, ControlSocketError, ensurePrivateDir, socketPathFor } from '../control/socket-path.js';
import type { LogFields, Logger } from '../core/logger.js';
import type { Config } from '../config/schema.js';
import { configureMeshLogging, shutdownMesh, type MediaEngine, type SessionController } from '../engine/index.js';
import { cliContext } from './context.js';
import { logSpeakingChanges } from './demo/speaking-log.js';
import { createCliLogger } from './logging.js';
import { writeStatsFile } from './stats-file.js';

/** The flags the lifecycle reads. */
export interface LifecycleFlags {
  duration?: number;
  stats?: string;
  headless?: boolean;
  json?: boolean;
}

/** A yargs check for --duration (seconds, > 0). */
export function checkDuration(argv: { duration?: unknown }): true {
  const d = argv.duration as number | undefined;
  if (d !== undefined && !(Number.isFinite(d) && d > 0)) throw new Error(`--duration must be a positive number of seconds, got ${String(d)}`);
  return true;
}

export interface StartContext {
  readonly logger: Logger;
  /** True when the terminal UI will run. */
  readonly tui: boolean;
  /** Run `close` at the end, however the command ends (the last registered first). */
  atExit(close: () => Promise<void> | void): void;
}

/** What the command started, and what the lifecycle does with it. */
export interface StartedSession {
  /** The user's session (a Session): the TUI drives it; once it is done, the command ends. */
  readonly session: SessionController & { readonly done: Promise<void> };
  /** Leave one second after this engine's finite source has ended (unless --duration). */
  readonly leaveWhenSourceEnds?: Pick<MediaEngine, 'onSourceEnd'>;
  /** Lines the TUI shows above the call. */
  readonly banner?: string[];
  /** Without the TUI, log who starts and stops speaking. */
  readonly logSpeaking?: boolean;
  /** Once the session is over, before the report (e.g. close the rest of a demo room). */
  afterLeft?(): Promise<void>;
  /** The --stats report. */
  statsReport(): object;
  /** Last words before 'bye'. */
  finish?(): void;
}

export interface SessionCommand {
  readonly flags: LifecycleFlags;
  readonly config: Config;
  /** Logged as the 'config' event once the logger exists. */
  readonly configFields: LogFields;
  start(context: StartContext): Promise<StartedSession>;
}

/** Where this session's control socket goes (config `controlSocket`: true = the per-user directory), or undefined for none. */
function controlSocketPath(setting: boolean | string): string | undefined {
  if (setting === false) return undefined;
  if (typeof setting === 'string') return setting;
  const uid = process.getuid?.() ?? 0;
  const dir = controlDir({ env: cliContext().env, uid, tmpdir: os.tmpdir() });
  ensurePrivateDir(dir, uid);
  return socketPathFor(dir, process.pid);
}

/** Run a session command to its end; rejects with the command's error after cleaning up. */
export async function runSessionLifecycle(command: SessionCommand): Promise<void> {
  const { flags, config } = command;
  const { io } = cliContext();
  const stdoutIsTty = (process.stdout as { isTTY?: boolean }).isTTY === true && io.stdout === process.stdout;
  const tui = flags.headless !== true && stdoutIsTty;
  const logger = createCliLogger(config, { toFile: tui, json: flags.json === true, console: 'stdout' });
  configureMeshLogging(logger);
  logger.info('config', command.configFields);

  const cleanups: Array<() => void> = [];
  const closers: Array<() => Promise<void> | void> = [];
  try {
    const started = await command.start({ logger, tui, atExit: (close) => closers.push(close) });
    const session = started.session;
    try {
      const controlPath = controlSocketPath(config.controlSocket);
      if (controlPath !== undefined) {
        const control = await startControlServer({ path: controlPath, controller: session, logger });
        closers.push(() => control.close());
      }
    } catch (err) {
      if (err instanceof ControlSocketError) throw new RuntimeError(err.message, { hint: err.hint ?? 'use --control PATH, or --no-control to go without' });
      throw err;
    }
    const leave = (why: string): void => {
      logger.info('leaving', { why });
      void session.leave();
    };
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const handler = (): void => leave(sig);
      process.on(sig, handler);
      cleanups.push(() => process.off(sig, handler));
    }
    if (flags.duration !== undefined) {
      const timer = setTimeout(() => leave('duration'), flags.duration * 1000);
      cleanups.push(() => clearTimeout(timer));
    } else if (started.leaveWhenSourceEnds !== undefined) {
      started.leaveWhenSourceEnds.onSourceEnd = () => {
        const timer = setTimeout(() => leave('input-ended'), 1000);
        cleanups.push(() => clearTimeout(timer));
      };
    }
    if (tui) {
      const { runTui } = await import('../ui/index.js');
      await runTui(session, { bindings: config.keys, ...(started.banner !== undefined ? { banner: started.banner } : {}) });
      // Nobody can drive the session once the UI is gone.
      await session.leave();
    } else if (started.logSpeaking === true) {
      cleanups.push(logSpeakingChanges(session, logger));
    }
    await session.done;
    await started.afterLeft?.();
    const ended = session.snapshot();
    if (ended.phase === 'failed') {
      // The call broke after it began (e.g. the media process died): say so and exit 1.
      throw new RuntimeError(ended.error?.message ?? 'the call failed', ended.error?.hint !== undefined ? { hint: ended.error.hint } : {});
    }
    if (flags.stats !== undefined) await writeStatsFile(flags.stats, started.statsReport());
    started.finish?.();
    logger.info('bye', {});
  } finally {
    for (const c of cleanups) c();
    // A close that fails must not keep the rest from closing (a failed leave has nothing more to release).
    for (const close of closers.reverse()) await Promise.resolve().then(close).catch(() => undefined);
    shutdownMesh();
    await logger.close();
  }
}
