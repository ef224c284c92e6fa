/**
 * `roundtable demo`: try Roundtable alone. Starts a signaling server on a
 * free 127.0.0.1 port, two bots that speak looping speech clips
 * ("bot-ada", "bot-grace"), and joins you to them in the terminal UI.
 *
 *   roundtable demo [--output heard.wav] [--input me.wav] [--duration 30] [--headless]
 *       [--stats stats.json] [--name me] [--frame-ms 20] [--input-device N] [--output-device N]
 *
 * Without a sound device the demo still runs: what you would hear goes to
 * ./roundtable-demo.wav (the path is shown) and you have no microphone.
 * Quitting (the quit key, Ctrl-C, SIGTERM, --duration) leaves nothing
 * running: you and the bots leave, the server closes, the process exits 0.
 *
 * Exit codes as for join: 2 for a bad command line/config/--input, 1 for a
 * runtime failure.
 */
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule, Options } from 'yargs';
import type { Logger } from '../../core/logger.js';
import type { Config } from '../../config/schema.js';
import type { AudioEndsSpec, AudioFallback } from '../../engine/index.js';
import { validateFiles } from '../audio-io.js';
import { cliContext } from '../context.js';
import { mediaSettingsFromConfig } from '../media-options.js';
import { RuntimeError } from '../../core/errors.js';
import { loadConfigFromArgv, sessionOptions, type ConfigFlags } from '../options.js';
import { DemoRoom, PLAYBACK_FRAME_MS } from '../demo/demo-room.js';
import { checkDuration, runSessionLifecycle } from '../session-command.js';
import { processFigures } from '../stats-file.js';
import { recordingPaths } from '../recording-paths.js';

export interface DemoArgs extends ConfigFlags {
  input?: string;
  output?: string;
  duration?: number;
  stats?: string;
  headless?: boolean;
}

/** Where the demo writes what you would hear when there is no speaker. */
export const DEMO_FALLBACK_OUTPUT = 'roundtable-demo.wav';

// The demo brings its own server and stays on loopback: no --server, --relay-only.
const { server: _server, 'relay-only': _relayOnly, ...demoSessionOptions } = sessionOptions;

export const demoOptions = {
  ...demoSessionOptions,
  input: { type: 'string', describe: 'Use this WAV file (looped) as your microphone', requiresArg: true, normalize: true },
  output: { type: 'string', describe: 'Write what you would hear to this WAV file instead of the speaker', requiresArg: true, normalize: true },
  duration: { type: 'number', describe: 'Quit after this many seconds', requiresArg: true },
  stats: {
    type: 'string',
    describe: 'On exit, write send timing (frame intervals, capture lateness), RSS and per-peer figures as JSON to FILE',
    requiresArg: true,
    normalize: true,
  },
  headless: { type: 'boolean', describe: 'No terminal UI: one log line per event (also when stdout is not a terminal)' },
} as const satisfies Record<string, Options>;

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'Try it alone: a local room with two talking bots',
  builder: (y: Argv<object>) =>
    y
      .options(demoOptions)
      .check(checkDuration)
      .example('$0 demo', 'Hear two bots talk; press m to mute yourself, q to quit')
      .example('$0 demo --output heard.wav --duration 10 --headless', 'Record 10 s of the demo without a sound card') as unknown as Argv<DemoArgs>,
  handler: async (args: ArgumentsCamelCase<DemoArgs>) => {
    await runDemo(args);
  },
};

export async function runDemo(args: DemoArgs): Promise<void> {
  const { config, source: configSource } = await loadConfigFromArgv(args);
  await validateFiles({ input: args.input, output: args.output, stats: args.stats });
  const { io, cwd, env } = cliContext();
  const frameMs = config.audio.frameMs;

  await runSessionLifecycle({
    flags: args,
    config,
    configFields: { source: configSource ?? 'defaults', name: config.name, frameMs },
    start: async ({ logger, tui, atExit }) => {
      const notes: string[] = [];
      let outputFile = args.output;
      const fallbackOutput = path.resolve(cwd, DEMO_FALLBACK_OUTPUT);
      const devEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
      // --input (looped), else the microphone; --output, else the speaker. A device that cannot open does not
      // end the demo: no microphone means listening only, no speaker means the fallback WAV file.
      const audio: AudioEndsSpec = {
        input:
          args.input !== undefined
            ? { kind: 'wav', path: path.resolve(args.input), loop: true }
            : { kind: 'device', ...(config.audio.inputDevice !== undefined ? { device: config.audio.inputDevice } : {}) },
        output:
          args.output !== undefined
            ? { kind: 'wav', path: path.resolve(args.output) }
            : { kind: 'device', ...(config.audio.outputDevice !== undefined ? { device: config.audio.outputDevice } : {}) },
        frameMs,
        playbackFrameMs: PLAYBACK_FRAME_MS,
        env: devEnv,
        fallbackOutputPath: fallbackOutput,
      };
      const onAudioFallback = (f: AudioFallback): void => {
        if (f.end === 'input') {
          notes.push(`No microphone (${firstSentence(f.message)}): you can listen but not talk.`);
        } else {
          outputFile = f.path;
          notes.push(`No sound device (${firstSentence(f.message)}): writing what you would hear to ${f.path}`);
        }
      };
      let room: DemoRoom;
      try {
        room = await DemoRoom.start({
          media: { ...mediaSettingsFromConfig(config, { input: audio.input.kind, output: audio.output.kind }), frameMs },
          user: {
            name: config.name,
            audio,
            onAudioFallback,
            ...(args.stats !== undefined ? { sendTiming: true } : {}),
            ...(tui ? { logFile: config.logFile } : {}),
            recording: { path: recordingPaths({ cwd: cliContext().cwd, directory: config.recordDirectory }) },
          },
          logger,
          realtimePriority: config.audio.realtimePriority,
        });
      } catch (err) {
        throw toCliError(err);
      }
      atExit(() => room.close());
      logger.info('demo-ready', { server: room.server.url, code: room.code, bots: room.bots.length, output: outputFile ?? 'speaker' });

      const rss = { maxBytes: 0, lastBytes: 0 };
      if (args.stats !== undefined) {
        // RSS while the call runs (after leaving, the heap shrinks): once a second is enough and costs nothing.
        const sampler = setInterval(() => {
          rss.lastBytes = process.memoryUsage.rss();
          rss.maxBytes = Math.max(rss.maxBytes, rss.lastBytes);
        }, 1000);
        atExit(() => clearInterval(sampler));
      }
      return {
        session: room.user,
        banner: notes,
        logSpeaking: true,
        afterLeft: () => room.close(),
        statsReport: () => statsReport(room, tui, rss),
        finish: () => {
          if (outputFile === undefined) return;
          if (tui) io.stdout.write(`What you heard is in ${outputFile}\n`);
          else logger.info('output-written', { output: outputFile });
        },
      };
    },
  });
}

/** "No audio output device available (x). To run …" → "No audio output device available (x)". */
function firstSentence(message: string): string {
  const cut = message.search(/\.\s/);
  return cut >= 0 ? message.slice(0, cut) : message.replace(/\.$/, '');
}

function toCliError(err: unknown): unknown {
  // By name: these come from a media process.
  if (err instanceof Error && err.name === 'AudioFileError') return new RuntimeError(err.message, { hint: 'check the --output path (or the current directory for roundtable-demo.wav)' });
  if (err instanceof Error && err.name === 'AudioDeviceError') {
    return new RuntimeError(err.message, { hint: 'use --input file.wav and --output file.wav' });
  }
  if (err instanceof Error) return new RuntimeError(`the demo could not start: ${err.message}`);
  return err;
}

/** The demo's --stats report: how evenly frames left (bench/tui-pacing.ts reads it), memory, per-peer figures. */
function statsReport(room: DemoRoom, tui: boolean, rss: { maxBytes: number; lastBytes: number }): object {
  const memory = process.memoryUsage();
  const { cpuUserMs, cpuSystemMs, maxRssBytes, uptimeMs } = processFigures();
  return {
    version: 1,
    tui,
    // Measured in the user's media process, where capture and sending run.
    frameMs: room.userEngine.frameMs,
    ...(room.userMedia?.finalReport?.sendTiming ?? {}),
    capture: room.userEngine.captureStats,
    outputUnderflows: room.userEngine.outputUnderflows,
    outputUnderflowsAfterWarmup: room.userEngine.outputUnderflowsAfterWarmup,
    peers: room.user.stats(),
    process: {
      cpuUserMs,
      cpuSystemMs,
      /** Sampled once a second while in the call: the largest and the last sample. */
      inCallRssMaxBytes: rss.maxBytes,
      inCallRssLastBytes: rss.lastBytes,
      rssAtExitBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      maxRssBytes,
      uptimeMs,
    },
    // The user's media process: its own CPU and memory (the control process above runs UI, signaling and rooms).
    ...(room.userMedia?.finalReport !== undefined ? { mediaProcess: room.userMedia.finalReport.process } : {}),
  };
}
