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
import type { Logger } from '../../core/log.js';
import type { Config } from '../../config/schema.js';
import type { AudioSink, AudioSource } from '../../engine/audio/types.js';
import { WavSource } from '../../engine/audio/wav-source.js';
import { WavSink } from '../../engine/audio/wav-sink.js';
import { AudioFileError } from '../../engine/audio/wav-file.js';
import { peerLinkFactory, type LinkFactory } from '../../engine/index.js';
import { validateFiles } from '../audio-io.js';
import { cliContext } from '../context.js';
import { mediaSettingsFromConfig } from '../media-options.js';
import { RuntimeError } from '../../core/errors.js';
import { loadConfigFromArgv, sessionOptions, type ConfigFlags } from '../options.js';
import { DemoRoom, PLAYBACK_FRAME_MS } from '../demo/demo-room.js';
import { FallbackSink, FallbackSource } from '../demo/fallback-audio.js';
import { NoInputSource } from '../demo/null-audio.js';
import { SendTiming } from '../demo/send-timing.js';
import { checkDuration, runSessionLifecycle } from '../session-command.js';
import { processFigures } from '../stats-file.js';

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
      const timing = args.stats !== undefined ? new SendTiming(frameMs) : undefined;
      let outputFile = args.output;
      const fallbackOutput = path.resolve(cwd, DEMO_FALLBACK_OUTPUT);
      let source = await openSource(args, config, logger, env, (err) => {
        notes.push(`No microphone (${firstSentence(err.message)}): you can listen but not talk.`);
        logger.warn('no-input-device', { error: err.message });
      });
      const sink = await openSink(args, config, logger, env, fallbackOutput, (err) => {
        outputFile = fallbackOutput;
        notes.push(`No sound device (${firstSentence(err.message)}): writing what you would hear to ${fallbackOutput}`);
        logger.warn('no-output-device', { error: err.message, output: fallbackOutput });
      });
      let linkFactory: LinkFactory | undefined;
      if (timing !== undefined) {
        source = timing.source(source);
        linkFactory = timing.linkFactory(peerLinkFactory);
      }
      let room: DemoRoom;
      try {
        room = await DemoRoom.start({
          media: { ...mediaSettingsFromConfig(config), frameMs },
          user: { name: config.name, source, sink, ...(tui ? { logFile: config.logFile } : {}), ...(linkFactory ? { linkFactory } : {}) },
          logger,
        });
      } catch (err) {
        throw toCliError(err);
      }
      atExit(() => room.close());
      logger.info('demo-ready', { server: room.server.url, code: room.code, bots: room.bots.length, output: outputFile ?? 'speaker' });

      const rss = { maxBytes: 0, lastBytes: 0 };
      if (timing !== undefined) {
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
        statsReport: () => statsReport(room, timing!, tui, rss),
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

/** --input (looped), else the microphone, else nothing (with a note). */
async function openSource(args: DemoArgs, config: Config, logger: Logger, env: NodeJS.ProcessEnv, onFallback: (err: Error) => void): Promise<AudioSource> {
  const frameMs = config.audio.frameMs;
  if (args.input !== undefined) return new WavSource({ path: args.input, frameMs, loop: true });
  const { DeviceSource } = await import('../../engine/audio/device.js');
  const device = new DeviceSource({ frameMs, logger, env, ...(config.audio.inputDevice !== undefined ? { device: config.audio.inputDevice } : {}) });
  return new FallbackSource(device, () => new NoInputSource(frameMs), onFallback);
}

/** --output, else the speaker, else the fallback WAV file (with a note). */
async function openSink(
  args: DemoArgs,
  config: Config,
  logger: Logger,
  env: NodeJS.ProcessEnv,
  fallbackOutput: string,
  onFallback: (err: Error) => void,
): Promise<AudioSink> {
  if (args.output !== undefined) return new WavSink({ path: args.output, frameMs: PLAYBACK_FRAME_MS });
  const { DeviceSink } = await import('../../engine/audio/device.js');
  const device = new DeviceSink({ frameMs: PLAYBACK_FRAME_MS, logger, env, ...(config.audio.outputDevice !== undefined ? { device: config.audio.outputDevice } : {}) });
  return new FallbackSink(device, () => new WavSink({ path: fallbackOutput, frameMs: PLAYBACK_FRAME_MS }), onFallback);
}

function toCliError(err: unknown): unknown {
  if (err instanceof AudioFileError) return new RuntimeError(err.message, { hint: 'check the --output path (or the current directory for roundtable-demo.wav)' });
  if (err instanceof Error && err.name === 'AudioDeviceError') {
    return new RuntimeError(err.message, { hint: 'use --input file.wav and --output file.wav' });
  }
  if (err instanceof Error) return new RuntimeError(`the demo could not start: ${err.message}`);
  return err;
}

/** The demo's --stats report: how evenly frames left (bench/tui-pacing.ts reads it), memory, per-peer figures. */
function statsReport(room: DemoRoom, timing: SendTiming, tui: boolean, rss: { maxBytes: number; lastBytes: number }): object {
  const memory = process.memoryUsage();
  const { cpuUserMs, cpuSystemMs, maxRssBytes, uptimeMs } = processFigures();
  return {
    version: 1,
    tui,
    ...timing.summary(),
    capture: room.userEngine.captureStats,
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
  };
}
