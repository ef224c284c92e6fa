/**
 * `roundtable join <code>`: join a room and talk until --duration, Ctrl-C,
 * SIGTERM or (in the TUI) the quit key.
 *
 *   roundtable join purple-otter-lamp-river-42 [--server ws://127.0.0.1:8787] [--name alice]
 *       [--input in.wav [--loop]] [--output out.wav] [--duration 10] [--stats stats.json]
 *       [--headless] [--json] [--input-device N] [--output-device N] [--frame-ms 20]
 *       [--record call.wav]
 *
 * Exit codes: 0 left cleanly; 2 bad command line, bad config, bad join code
 * or unreadable --input WAV (the user's argument is wrong, nothing was
 * started); 1 runtime failure (server unreachable, audio device, disk).
 *
 * With --input and no --loop and no --duration, the session leaves one
 * second after the file has been played (scripted use ends by itself).
 *
 * Before the call starts it prints the room's page link, for inviting
 * someone with only a browser (`roundtable serve` serves the page), and the
 * terminal UI shows it too.
 */
import type { ArgumentsCamelCase, Argv, CommandModule, Options } from 'yargs';
import { serverUrls, type Config } from '../../config/schema.js';
import { normalizeJoinCode, InvalidJoinCodeError, webLink } from '../../protocol/index.js';
import { createParticipant, DEFAULT_PLAYBACK_FRAME_MS, opusLookaheadMs, SignalingError, type FinalMediaReport, type MediaPort, type Session } from '../../engine/index.js';
import { audioEndsSpec, validateFiles } from '../audio-io.js';
import { cliContext } from '../context.js';
import { mediaSettingsFromConfig } from '../media-options.js';
import { RuntimeError, UsageError } from '../../core/errors.js';
import { loadConfigFromArgv, sessionOptions, type ConfigFlags } from '../options.js';
import { checkDuration, runSessionLifecycle } from '../session-command.js';
import { recordingPaths } from '../recording-paths.js';
import { processFigures } from '../stats-file.js';

export interface SessionCommandArgs extends ConfigFlags {
  input?: string;
  output?: string;
  loop?: boolean;
  duration?: number;
  stats?: string;
  headless?: boolean;
  bindAddress?: string;
  record?: string;
  sfu?: boolean;
}

export interface JoinArgs extends SessionCommandArgs {
  code: string;
}

/** Options of `join` and `create` beyond the shared session flags. */
export const sessionCommandOptions = {
  ...sessionOptions,
  input: { type: 'string', describe: 'Use this WAV file as the microphone', requiresArg: true, normalize: true },
  output: { type: 'string', describe: 'Write what you would hear to this WAV file instead of the speaker', requiresArg: true, normalize: true },
  loop: { type: 'boolean', describe: 'Repeat the --input file' },
  duration: { type: 'number', describe: 'Leave after this many seconds', requiresArg: true },
  stats: { type: 'string', describe: 'On exit, write per-peer figures and latency anchors as JSON to FILE', requiresArg: true, normalize: true },
  headless: { type: 'boolean', describe: 'No terminal UI: one log line per event (also when stdout is not a terminal)' },
  'bind-address': { type: 'string', describe: 'Use only this local address for peer connections (e.g. 127.0.0.1)', requiresArg: true },
  record: {
    type: 'string',
    describe:
      'Record the call from the start to this WAV file: stereo, you on the left, what you hear on the right (everyone sees that you record); an existing file is kept and a number added to the new name',
    requiresArg: true,
    normalize: true,
  },
  sfu: {
    type: 'boolean',
    describe:
      'If this join creates the room, send its media through the server\'s SFU (`serve --janus`), end-to-end encrypted; an existing room keeps its own mode',
  },
} as const satisfies Record<string, Options>;

export function withSessionCommandOptions<T>(y: Argv<T>): Argv<T & SessionCommandArgs> {
  return y.options(sessionCommandOptions).check(checkDuration) as unknown as Argv<T & SessionCommandArgs>;
}

export const joinCommand: CommandModule<object, JoinArgs> = {
  command: 'join <code>',
  describe: 'Join a room by its code and talk',
  builder: (y: Argv<object>) =>
    withSessionCommandOptions(
      y.positional('code', { type: 'string', describe: 'Join code, e.g. purple-otter-lamp-river-42', demandOption: true }),
    )
      .example('$0 join purple-otter-lamp-river-42', 'Join with the default microphone and speaker')
      .example('$0 join CODE --input me.wav --output heard.wav --duration 10 --headless', 'Scripted call with WAV files')
      .example('$0 join CODE --record call.wav', 'Record the call (you left, the room right) until you leave') as unknown as Argv<JoinArgs>,
  handler: async (args: ArgumentsCamelCase<JoinArgs>) => {
    await runSessionCommand(args, String(args.code));
  },
};

/** Everything `join` and `create` do once the code is known. */
export async function runSessionCommand(args: SessionCommandArgs, rawCode: string): Promise<void> {
  const { config, source: configSource } = await loadConfigFromArgv(args);
  let code: string;
  try {
    code = normalizeJoinCode(rawCode);
  } catch (err) {
    if (err instanceof InvalidJoinCodeError) throw new UsageError(err.message, { hint: 'codes look like purple-otter-lamp-river-42; `roundtable create` makes one' });
    throw err;
  }
  await validateFiles({ input: args.input, output: args.output, stats: args.stats, record: args.record });
  // A plain line like create's code: JSON-line readers skip it, people and scripts can copy it.
  // Several servers are nodes to fail over between; the page talks to one (the first).
  const servers = serverUrls(config.server);
  const invite = `Invite a browser: ${webLink(servers[0]!, code)}`;
  cliContext().io.stdout.write(`${invite}\n`);

  await runSessionLifecycle({
    flags: args,
    config,
    configFields: { source: configSource ?? 'defaults', server: config.server, name: config.name, frameMs: config.audio.frameMs },
    start: async ({ logger, tui, atExit }) => {
      const audio = audioEndsSpec({
        input: args.input,
        output: args.output,
        inputDevice: config.audio.inputDevice,
        outputDevice: config.audio.outputDevice,
        frameMs: config.audio.frameMs,
        playbackFrameMs: DEFAULT_PLAYBACK_FRAME_MS,
        loopInput: args.loop === true,
        env: cliContext().env,
      });
      // The media path runs in a process of its own, away from the terminal UI (docs/architecture.md §1).
      const participant = createParticipant({
        code,
        serverUrl: servers,
        name: config.name,
        mediaProcess: { audio, sendTiming: args.stats !== undefined, realtimePriority: config.audio.realtimePriority },
        media: { ...mediaSettingsFromConfig(config, { input: audio.input.kind, output: audio.output.kind }), frameMs: config.audio.frameMs },
        ...(args.sfu === true ? { sfu: true } : {}),
        iceServers: config.ice.servers,
        relayOnly: config.ice.relayOnly,
        ...(args.bindAddress !== undefined ? { bindAddress: args.bindAddress } : {}),
        ...(tui ? { logFile: config.logFile } : {}),
        recording: {
          path: recordingPaths({ cwd: cliContext().cwd, directory: config.recordDirectory }),
          ...(args.record !== undefined ? { startWith: args.record } : {}),
        },
        logger,
      });
      const { session, engine } = participant;
      atExit(() => session.leave());
      if (tui) {
        // The terminal UI starts once we are in; while we knock, say so on the terminal (the log says it without a UI).
        const unsubscribe = session.subscribe((s) => {
          if (s.phase !== 'knocking') return;
          unsubscribe();
          cliContext().io.stdout.write('The room is locked: knocking, waiting to be let in …\n');
        });
        atExit(unsubscribe);
      }
      try {
        await session.start();
      } catch (err) {
        throw toCliError(err, servers);
      }
      return {
        session,
        banner: [invite],
        ...(args.input !== undefined && args.loop !== true ? { leaveWhenSourceEnds: engine } : {}),
        statsReport: () => statsReport(session, engine, participant.mediaProcess?.finalReport, config),
      };
    },
  });
}

/** What the signaling server said, without the client's prefix and code. */
function serverWords(err: SignalingError): string {
  return err.message.replace(/^signaling server: /u, '').replace(` (${err.code})`, '');
}

/** Errors from starting a session, as one clear line with a hint. */
function toCliError(err: unknown, servers: readonly string[]): unknown {
  if (err instanceof SignalingError) {
    if (err.code === 'unreachable') return new RuntimeError(err.message, { hint: `is \`roundtable serve\` running at ${servers.join(' or ')}? set it with --server` });
    if (err.code === 'room-locked') {
      return new RuntimeError('the room is locked: ask someone inside to unlock it', {
        hint: 'once they have (key L in the call, or `roundtable ctl unlock`), join again',
      });
    }
    if (err.code === 'knock-denied') return new RuntimeError('the room said no', { hint: 'someone inside turned you away' });
    if (err.code === 'knock-timeout') {
      // "nobody answered within 60 s", or "nobody is left in the room to answer".
      return new RuntimeError(serverWords(err), {
        hint: 'ask someone inside to let you in (or to unlock the room), then join again',
      });
    }
    if (err.code === 'sfu-unavailable') return new RuntimeError(serverWords(err), { hint: 'or leave out --sfu for a mesh room (a link to every peer)' });
    if (err.code === 'knock-rate-limited') return new RuntimeError(serverWords(err), { hint: 'wait a minute before knocking again' });
    return new RuntimeError(err.message, { hint: err.code === 'room-full' ? 'the room has reached its peer limit' : undefined });
  }
  // By name: these come from the media process.
  if (err instanceof Error && err.name === 'AudioFileError') return new RuntimeError(err.message, { hint: 'check the --output path' });
  if (err instanceof Error && err.name === 'AudioDeviceError') {
    return new RuntimeError(err.message, { hint: 'no usable sound device? use --input file.wav and --output file.wav' });
  }
  if (err instanceof Error && err.message.startsWith('the media process')) return new RuntimeError(err.message);
  return err;
}

/** The --stats report of join and create (test/e2e and bench/ read it). */
function statsReport(session: Session, engine: MediaPort, media: FinalMediaReport | undefined, config: Config): object {
  const anchors = engine.anchors;
  return {
    version: 1,
    selfId: session.selfId,
    name: config.name,
    server: config.server,
    frameMs: engine.frameMs,
    playbackFrameMs: engine.playbackFrameMs,
    // What the encoder's lookahead adds to every sample (Opus's low-delay mode or not).
    codecLookaheadMs: opusLookaheadMs(config.audio.lowDelay),
    // Monotonic ns (process.hrtime.bigint(), machine-wide on Linux) as decimal strings: JSON numbers lose ns precision.
    anchors: {
      firstInputNs: anchors.firstInputNs === null ? null : anchors.firstInputNs.toString(),
      firstOutputNs: anchors.firstOutputNs === null ? null : anchors.firstOutputNs.toString(),
    },
    writtenAtNs: process.hrtime.bigint().toString(),
    capture: engine.captureStats,
    outputUnderflows: engine.outputUnderflows,
    outputUnderflowsAfterWarmup: engine.outputUnderflowsAfterWarmup,
    // How evenly frames left and how late capture ran, measured in the media process.
    ...(media?.sendTiming ? { sendIntervalMs: media.sendTiming.sendIntervalMs, captureLatenessMs: media.sendTiming.captureLatenessMs } : {}),
    // Noise suppression (and later echo cancellation, gain control): ms per 10 ms of audio, mean and worst.
    ...(media !== undefined ? { filters: media.filterCosts } : {}),
    peers: session.stats(),
    process: processFigures(),
    ...(media !== undefined ? { mediaProcess: media.process } : {}),
  };
}
