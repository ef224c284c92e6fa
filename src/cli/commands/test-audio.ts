/**
 * `roundtable test-audio`: a microphone test before a call.
 *
 * 1. Record a few seconds from the microphone (or a WAV, paced in real time)
 *    through the product's own send chain with the user's processing
 *    settings (noise suppression and gain control as configured; echo
 *    cancellation off, since nothing plays meanwhile) and the whole Opus
 *    path: runLoopback on a clean simulated network, into memory. The raw
 *    frames are kept too, before any processing. A live level meter runs
 *    while stdout is a terminal.
 * 2. Play the processed recording back on the speaker, or write it to
 *    --output.
 * 3. Report, on the raw and on the processed recording
 *    (engine/audio/mic-check.ts): peak and speech level, clipping, the noise
 *    floor before and after, what suppression removed, the level after gain
 *    control, and advice.
 *
 * The voice gate and Opus DTX are off for the recording: in a call they
 * send nothing in pauses, which would make the noise floor after processing
 * digital silence and the suppression figure meaningless; here the floor is
 * what the filters and Opus left.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { createLogger, type LogLevel } from '../../core/log.js';
import { UsageError } from '../../core/errors.js';
import { SAMPLE_RATE, samplesPerFrame } from '../../core/media-format.js';
import { PeakMeter, peakLevel } from '../../engine/audio/level.js';
import { MemorySink, RecordingSource, playPcm } from '../../engine/audio/memory-audio.js';
import { MIN_DBFS, clippedSampleCount, micCheck, toDbfs, trimDigitalSilence, type MicCheckReport, type SignalMeasures } from '../../engine/audio/mic-check.js';
import { openAudio } from '../../engine/audio/open.js';
import { writeWav } from '../../engine/audio/wav-file.js';
import { DEFAULT_PLAYBACK_FRAME_MS } from '../../engine/media/media-engine.js';
import { runLoopback, type LoopbackResult } from '../../engine/media/loopback.js';
import type { FilterState } from '../../engine/dsp/filter-chain.js';
import { levelBar } from '../../ui/format.js';
import { asAudioStartError, audioEndsSpec, validateFiles } from '../audio-io.js';
import { cliContext, type OutputStream } from '../context.js';
import { mediaSettingsFromConfig } from '../media-options.js';
import { loadConfigFromArgv, sessionOptions, type ConfigFlags } from '../options.js';

interface TestAudioFlags extends ConfigFlags {
  input?: string;
  output?: string;
  duration?: number;
}

export const TEST_AUDIO_DEFAULT_SECONDS = 5;
export const TEST_AUDIO_MAX_SECONDS = 30;
/** The live meter redraws at most this often. */
const METER_INTERVAL_MS = 100;
/** "clipping!" stays on the meter this long after a clipped frame. */
const CLIP_HOLD_MS = 500;

/** The session flags that apply here: the devices and the processing a call would use (echo cancellation is off: nothing plays while recording). */
const SESSION_FLAGS = {
  'input-device': sessionOptions['input-device'],
  'output-device': sessionOptions['output-device'],
  'noise-suppression': sessionOptions['noise-suppression'],
  'auto-gain': sessionOptions['auto-gain'],
} as const;

const dbfsText = (dbfs: number): string => (dbfs <= MIN_DBFS ? `≤ ${MIN_DBFS} dBFS` : `${dbfs.toFixed(1)} dBFS`);
const signed = (db: number): string => `${db >= 0 ? '+' : '−'}${Math.abs(db).toFixed(1)} dB`;

function stageText(state: FilterState): string {
  return state === 'unavailable' ? 'unavailable here' : state;
}

/** The live input meter: one line, redrawn in place (only ever written to a terminal). */
class LiveMeter {
  private readonly meter = new PeakMeter(0.8);
  private lastDrawMs = -Infinity;
  private lastClipMs = -Infinity;
  private recordedSamples = 0;
  private drawn = false;

  constructor(
    private readonly out: OutputStream,
    private readonly totalSamples: number,
  ) {}

  frame(pcm: Int16Array): void {
    this.recordedSamples += pcm.length;
    this.meter.update(peakLevel(pcm));
    const now = performance.now();
    if (clippedSampleCount(pcm) > 0) this.lastClipMs = now;
    if (now - this.lastDrawMs < METER_INTERVAL_MS) return;
    this.lastDrawMs = now;
    const left = Math.max(0, (this.totalSamples - this.recordedSamples) / SAMPLE_RATE);
    const clip = now - this.lastClipMs < CLIP_HOLD_MS ? '  clipping!' : '';
    this.out.write(`\r  ${levelBar(this.meter.level, 30)} ${dbfsText(toDbfs(this.meter.level)).padStart(11)}  ${left.toFixed(1)} s left${clip}\x1b[K`);
    this.drawn = true;
  }

  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}

function measuresLines(m: SignalMeasures, noiseNote: string): string[] {
  return [
    `  peak          ${dbfsText(m.peakDbfs)}`,
    `  speech level  ${dbfsText(m.speechDbfs)}`,
    `  noise floor   ${dbfsText(m.noiseFloorDbfs)}${noiseNote}`,
  ];
}

export function formatMicCheck(r: MicCheckReport): string {
  const clipping =
    r.clipping.samples === 0
      ? 'none'
      : `${r.clipping.samples} samples at full scale (${r.clipping.percent.toFixed(3)} %)${r.clipping.problem ? ': a problem' : ', too few to hear'}`;
  const suppression =
    r.noiseSuppression === 'on'
      ? `Noise suppression removed ${Math.max(0, r.noiseReductionDb).toFixed(1)} dB of background noise (relative to your voice).`
      : r.noiseSuppression === 'off'
        ? `Noise suppression is off (noise relative to your voice changed by ${signed(-r.noiseReductionDb)}).`
        : 'Noise suppression could not run here (RNNoise did not load).';
  const gain = r.autoGain === 'on' ? `gain control ${signed(r.gainDb)}` : r.autoGain === 'off' ? `gain control off, ${signed(r.gainDb)}` : `gain control unavailable, ${signed(r.gainDb)}`;
  return [
    `Your microphone (${(r.input.durationMs / 1000).toFixed(1)} s, as it came in):`,
    ...measuresLines(r.input, ` (your voice ${r.snrBeforeDb.toFixed(0)} dB above it)`),
    `  clipping      ${clipping}`,
    `After processing (noise suppression ${stageText(r.noiseSuppression)}, gain control ${stageText(r.autoGain)}, Opus), as others would hear you:`,
    `  speech level  ${dbfsText(r.output.speechDbfs)} (${gain})`,
    `  noise floor   ${dbfsText(r.output.noiseFloorDbfs)} (your voice ${r.snrAfterDb.toFixed(0)} dB above it)`,
    `  ${suppression}`,
    '',
    ...r.advice.map((a) => `${a.kind === 'good' ? '✓' : '!'} ${a.message}`),
    '',
  ].join('\n');
}

function checkDuration(value: number | undefined): number {
  const seconds = value ?? TEST_AUDIO_DEFAULT_SECONDS;
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > TEST_AUDIO_MAX_SECONDS) {
    throw new UsageError(`--duration must be a number of seconds from 1 to ${TEST_AUDIO_MAX_SECONDS}; got ${value}`, { hint: 'run "roundtable test-audio --help" for usage' });
  }
  return seconds;
}

export const testAudioCommand: CommandModule<object, TestAudioFlags> = {
  command: 'test-audio',
  describe: 'Test your microphone: record a few seconds, hear them back as others would, get levels and advice',
  builder: (y: Argv) =>
    y
      .options({
        duration: { type: 'number', describe: `Seconds to record (1-${TEST_AUDIO_MAX_SECONDS})`, default: TEST_AUDIO_DEFAULT_SECONDS, requiresArg: true },
        input: { type: 'string', describe: 'Record from this WAV file instead of the microphone (paced in real time)', requiresArg: true, normalize: true },
        output: { type: 'string', describe: 'Write the processed recording to this WAV file instead of playing it', requiresArg: true, normalize: true },
        ...SESSION_FLAGS,
      })
      .example('$0 test-audio', 'Speak for 5 s, hear it back, read the report')
      .example('$0 test-audio --input-device 2 --duration 10', 'Test another microphone for 10 s')
      .example('$0 test-audio --no-noise-suppression', 'Hear your microphone without noise suppression')
      .example('$0 test-audio --input noisy.wav --output processed.wav --json', 'Files on both ends, JSON report'),
  handler: async (argv: ArgumentsCamelCase<TestAudioFlags>) => {
    const context = cliContext();
    const seconds = checkDuration(argv.duration);
    const json = argv.json === true;
    await validateFiles({ input: argv.input, output: argv.output });
    const { config } = await loadConfigFromArgv(argv);
    // Progress goes where the report does not (stdout, unless it carries JSON).
    const progress = json ? context.io.stderr : context.io.stdout;
    // Only warnings unless asked: info lines would run through the meter.
    const log = createLogger({ level: (argv.logLevel ?? 'warn') as LogLevel, json, destination: 'stderr' });

    const frameMs = config.audio.frameMs;
    const spec = audioEndsSpec({
      input: argv.input,
      output: argv.output,
      inputDevice: config.audio.inputDevice,
      outputDevice: config.audio.outputDevice,
      frameMs,
      playbackFrameMs: DEFAULT_PLAYBACK_FRAME_MS,
      env: context.env,
    });
    const maxSamples = Math.round(seconds * SAMPLE_RATE);
    // The live meter only on a terminal; a line said while it runs replaces it, and it redraws below.
    const meter = progress.isTTY === true ? new LiveMeter(progress, maxSamples) : undefined;
    const say = (line: string): void => {
      meter?.clear();
      progress.write(`${line}\n`);
    };

    const abort = new AbortController();
    const onSignal = (): void => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      // Phase 1: record through the send chain and Opus, into memory.
      const { source } = await openAudio({ ...spec, output: { kind: 'none' } }, log);
      const recording = new RecordingSource(source, { maxSamples, ...(meter !== undefined ? { onFrame: (pcm) => meter.frame(pcm) } : {}) });
      const sink = new MemorySink({ frameMs: DEFAULT_PLAYBACK_FRAME_MS });
      const settings = mediaSettingsFromConfig(config, { input: spec.input.kind === 'wav' ? 'wav' : 'device', output: 'none' });
      say(spec.input.kind === 'wav' ? `Recording ${seconds} s from ${argv.input}…` : 'Opening the microphone…');
      let result: LoopbackResult;
      try {
        result = await runLoopback({
          source: recording,
          sink,
          frameMs,
          network: {},
          playoutPhaseMs: 4,
          engine: { ...settings, echoCancellation: false, dtx: false, voiceGate: { enabled: false }, cues: { enabled: false } },
          logger: log,
          signal: abort.signal,
          onStarted: () => {
            if (spec.input.kind === 'device') say(`Speak now… ${seconds} s`);
          },
        });
      } catch (error) {
        throw asAudioStartError(error);
      } finally {
        meter?.clear();
      }
      const raw = recording.recording;
      if (raw.length < samplesPerFrame(frameMs)) throw new UsageError('nothing was recorded (stopped before the first frame)');
      const processed = trimDigitalSilence(sink.recording).subarray(0, raw.length);
      const report = micCheck({
        raw,
        processed,
        noiseSuppression: result.processing['noise-suppression'],
        autoGain: result.processing['auto-gain'],
      });

      // Phase 2: hear it back, or keep it.
      if (spec.output.kind === 'wav') {
        await writeWav(spec.output.path, processed);
        say(`Wrote the processed recording to ${argv.output}.`);
      } else if (!abort.signal.aborted) {
        say(`Playing it back (${(processed.length / SAMPLE_RATE).toFixed(1)} s)…`);
        const { sink: speaker } = await openAudio({ ...spec, input: { kind: 'none' } }, log);
        try {
          await playPcm(speaker, processed, { signal: abort.signal });
        } catch (error) {
          throw asAudioStartError(error);
        }
      }

      if (json) context.io.stdout.write(JSON.stringify({ ...report, playback: spec.output.kind === 'wav' ? { file: spec.output.path } : { device: spec.output.kind === 'device' ? (spec.output.device ?? 'default') : null } }, null, 2) + '\n');
      else context.io.stdout.write(`\n${formatMicCheck(report)}`);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
