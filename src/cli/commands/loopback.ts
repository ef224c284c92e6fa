/**
 * `roundtable loopback`: hear yourself through the whole media path —
 * capture → Opus → RTP → simulated network (seeded loss, jitter, reorder) →
 * jitter buffer → decode → mix → playback — in one process. With files it is
 * the receive path's test bed and what the latency benchmarks run; with
 * devices it is a quick "can I hear myself" check.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { DEFAULT_PLAYBACK_FRAME_MS } from '../../engine/media/media-engine.js';
import { runLoopback, type LoopbackResult } from '../../engine/media/loopback.js';
import { createLogger, type LogLevel } from '../../core/log.js';
import { asAudioStartError, openAudioEnds } from '../audio-io.js';
import { cliContext } from '../context.js';
import { UsageError } from '../../core/errors.js';
import { SAMPLE_RATE } from '../../core/media-format.js';
import { mediaSettingsFromConfig } from '../media-options.js';
import { loadConfigFromArgv, sessionOptions, type ConfigFlags } from '../options.js';

interface LoopbackFlags extends ConfigFlags {
  input?: string;
  output?: string;
  loss?: number;
  jitter?: number;
  delay?: number;
  reorder?: number;
  seed?: number;
  duration?: number;
  loop?: boolean;
}

/** The session flags that mean something without a room: devices, frame length, bitrate, voice processing. */
const { server: _server, name: _name, 'relay-only': _relayOnly, 'log-file': _logFile, control: _control, ...audioFlags } = sessionOptions;

function checkRange(name: string, value: number | undefined, lo: number, hi: number): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < lo || value > hi) {
    throw new UsageError(`--${name} must be a number from ${lo} to ${hi}; got ${value}`, { hint: 'run "roundtable loopback --help" for usage' });
  }
}

export function formatLoopbackResult(r: LoopbackResult): string {
  const rx = r.peer.receive;
  const pct = (n: number, of: number): string => (of > 0 ? `${((100 * n) / of).toFixed(2)} %` : '0 %');
  return [
    `network   sent ${r.network.sent}, dropped ${r.network.dropped}, reordered ${r.network.reordered}`,
    `receive   ${rx.received} packets, lost ${rx.lost} (${pct(rx.lost, rx.expected)}), late ${rx.late} (${pct(rx.late, rx.expected)}), concealed ${rx.concealed}, duplicates ${rx.duplicates}`,
    `buffer    mean ${rx.meanDelayMs.toFixed(1)} ms, target ${rx.targetDelayMs.toFixed(1)} ms, jitter ${rx.jitterMs.toFixed(1)} ms, accelerated ${((1000 * rx.accelerateSamples) / SAMPLE_RATE).toFixed(1)} ms, expanded ${((1000 * rx.expandSamples) / SAMPLE_RATE).toFixed(1)} ms`,
    `capture   ${r.capture.framesCaptured} frames, ${r.capture.packetsSent} sent, ${r.capture.framesGated} gated (silence)`,
    `playback  ${r.outputUnderflows} underflows${r.measuredPhaseMs !== null ? `, pull phase ${r.measuredPhaseMs.toFixed(1)} ms after capture` : ''}`,
    '',
  ].join('\n');
}

export const loopbackCommand: CommandModule<object, LoopbackFlags> = {
  command: 'loopback',
  describe: 'Hear yourself through the whole media path over a simulated network',
  builder: (y: Argv) =>
    y
      .options({
        input: { type: 'string', describe: 'Read the microphone from this WAV file (any rate/channels)', requiresArg: true, normalize: true },
        output: { type: 'string', describe: 'Write what would be played to this WAV file (48 kHz mono)', requiresArg: true, normalize: true },
        loss: { type: 'number', describe: 'Simulated packet loss, percent', default: 0, requiresArg: true },
        jitter: { type: 'number', describe: 'Simulated delay jitter: extra delay uniform in [0, N] ms', default: 0, requiresArg: true },
        delay: { type: 'number', describe: 'Simulated fixed one-way delay, ms', default: 0, requiresArg: true },
        reorder: { type: 'number', describe: 'Extra chance (percent) to hold a packet back one frame', default: 0, requiresArg: true },
        seed: { type: 'number', describe: 'Seed for the simulated network (same seed, same impairments)', default: 1, requiresArg: true },
        duration: { type: 'number', describe: 'Stop after N seconds (default: end of --input, or Ctrl-C)', requiresArg: true },
        loop: { type: 'boolean', describe: 'Repeat --input until --duration or Ctrl-C' },
        ...audioFlags,
      })
      .example('$0 loopback --input fixtures/speech-a.wav --output out.wav', 'Clean link, files on both ends')
      .example('$0 loopback --input in.wav --output out.wav --loss 5 --jitter 40 --seed 7', 'Impaired link, reproducible')
      .example('$0 loopback --duration 10', 'Microphone to speaker for 10 s')
      .example('$0 loopback --input noisy.wav --output a.wav --no-noise-suppression', 'Hear the input without noise suppression'),
  handler: async (argv: ArgumentsCamelCase<LoopbackFlags>) => {
    const context = cliContext();
    checkRange('loss', argv.loss, 0, 100);
    checkRange('jitter', argv.jitter, 0, 10_000);
    checkRange('delay', argv.delay, 0, 10_000);
    checkRange('reorder', argv.reorder, 0, 100);
    checkRange('duration', argv.duration, 0.01, 86_400);
    if (argv.seed !== undefined && !Number.isInteger(argv.seed)) throw new UsageError(`--seed must be an integer; got ${argv.seed}`);
    if (argv.loop && argv.input === undefined) throw new UsageError('--loop needs --input FILE');
    if (argv.loop && argv.duration === undefined) throw new UsageError('--loop needs --duration N (or it would run forever)');

    const { config } = await loadConfigFromArgv(argv);
    const log = createLogger({ level: config.logLevel as LogLevel, json: argv.json === true, destination: 'stderr' });
    const ends = await openAudioEnds({
      input: argv.input,
      output: argv.output,
      inputDevice: config.audio.inputDevice,
      outputDevice: config.audio.outputDevice,
      frameMs: config.audio.frameMs,
      playbackFrameMs: DEFAULT_PLAYBACK_FRAME_MS,
      loopInput: argv.loop === true,
      env: context.env,
    });
    const filesOnly = argv.input !== undefined && argv.output !== undefined;
    const abort = new AbortController();
    const onSignal = (): void => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let result: LoopbackResult;
    try {
      result = await runLoopback({
        source: ends.source,
        sink: ends.sink,
        frameMs: config.audio.frameMs,
        network: { lossPercent: argv.loss ?? 0, jitterMs: argv.jitter ?? 0, baseDelayMs: argv.delay ?? 0, reorderPercent: argv.reorder ?? 0, reorderHoldMs: config.audio.frameMs, seed: argv.seed ?? 1 },
        ...(argv.duration !== undefined ? { durationMs: argv.duration * 1000 } : {}),
        // Files: playback pulls 4 ms after each captured frame, like a well-aligned
        // device; devices keep their own clocks (README, "Latency").
        ...(filesOnly ? { playoutPhaseMs: 4 } : {}),
        engine: mediaSettingsFromConfig(config, { input: argv.input !== undefined ? 'wav' : 'device', output: argv.output !== undefined ? 'wav' : 'device' }),
        logger: log,
        signal: abort.signal,
      });
    } catch (error) {
      throw asAudioStartError(error);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    log.info('loopback-done', { input: ends.inputLabel, output: ends.outputLabel });
    if (argv.json) {
      context.io.stdout.write(
        JSON.stringify(
          {
            network: result.network,
            receive: result.peer.receive,
            capture: result.capture,
            underflows: result.outputUnderflows,
            pullPhaseMs: result.measuredPhaseMs,
            durationMs: Math.round(result.durationMs),
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      context.io.stdout.write(formatLoopbackResult(result));
    }
  },
};
