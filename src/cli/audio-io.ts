/**
 * Chooses the audio ends of a command: a WAV file where the user named one
 * (`--input` / `--output`, fixture mode), otherwise the audio devices.
 * Problems become CLI errors with advice: an unreadable input file is a
 * usage error (exit 2), a missing sound device a runtime error (exit 1).
 */
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import type { FrameMs } from '../core/media-format.js';
import type { AudioSink, AudioSource } from '../engine/audio/types.js';
import { openAudio, type AudioEndsSpec, type InputSpec, type OutputSpec } from '../engine/audio/open.js';
import { AudioFileError, readWavMono48k } from '../engine/audio/wav-file.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { RuntimeError, UsageError } from '../core/errors.js';

export interface AudioEndsOptions {
  input?: string | undefined;
  output?: string | undefined;
  inputDevice?: string | number | undefined;
  outputDevice?: string | number | undefined;
  /** Capture frame (the source's). */
  frameMs: FrameMs;
  /** Playback pull size (the sink's). */
  playbackFrameMs: FrameMs;
  /** Repeat the input file until the command ends. */
  loopInput?: boolean;
  /** Environment for the device process (e.g. PULSE_SERVER). */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

export interface AudioEnds {
  source: AudioSource;
  sink: AudioSink;
  /** e.g. "file in.wav" or "default microphone", for logs. */
  inputLabel: string;
  outputLabel: string;
}

/**
 * Checks the files a command was given before anything connects: a bad
 * --input (unreadable, not a WAV, no audio) and an --output/--stats/--record
 * in a directory that cannot be written are the user's arguments (exit 2).
 */
export async function validateFiles(files: { input?: string | undefined; output?: string | undefined; stats?: string | undefined; record?: string | undefined }): Promise<void> {
  if (files.input !== undefined) {
    try {
      const samples = await readWavMono48k(files.input);
      if (samples.length === 0) throw new AudioFileError(files.input, 'contains no audio');
    } catch (err) {
      if (err instanceof AudioFileError) throw new UsageError(`--input: ${err.message}`, { hint: 'give a readable WAV file (any rate, mono or stereo)', cause: err });
      throw err;
    }
  }
  for (const [flag, file] of [['--output', files.output], ['--stats', files.stats], ['--record', files.record]] as const) {
    if (file === undefined) continue;
    const dir = path.dirname(path.resolve(file));
    try {
      await access(dir, constants.W_OK);
    } catch (err) {
      throw new UsageError(`${flag}: cannot write "${file}": directory ${dir} does not exist or is not writable`, {
        hint: `choose a ${flag} path in an existing, writable directory`,
        cause: err,
      });
    }
  }
}

/** The audio ends the options name, as data (what the media process opens). */
export function audioEndsSpec(opts: AudioEndsOptions): AudioEndsSpec {
  const input: InputSpec =
    opts.input !== undefined
      ? { kind: 'wav', path: path.resolve(opts.input), loop: opts.loopInput ?? false }
      : { kind: 'device', ...(opts.inputDevice !== undefined ? { device: opts.inputDevice } : {}) };
  const output: OutputSpec =
    opts.output !== undefined
      ? { kind: 'wav', path: path.resolve(opts.output) }
      : { kind: 'device', ...(opts.outputDevice !== undefined ? { device: opts.outputDevice } : {}) };
  const env = opts.env === undefined ? undefined : Object.fromEntries(Object.entries(opts.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return { input, output, frameMs: opts.frameMs, playbackFrameMs: opts.playbackFrameMs, ...(env !== undefined ? { env } : {}) };
}

/** "file in.wav" or "default microphone", for logs. */
function labels(spec: AudioEndsSpec): { inputLabel: string; outputLabel: string } {
  const i = spec.input;
  const o = spec.output;
  return {
    inputLabel: i.kind === 'wav' ? `file ${i.path}` : i.kind === 'device' ? (i.device !== undefined ? `microphone ${i.device}` : 'default microphone') : 'no input',
    outputLabel: o.kind === 'wav' ? `file ${o.path}` : o.kind === 'device' ? (o.device !== undefined ? `speaker ${o.device}` : 'default speaker') : 'no output',
  };
}

/** The audio ends in this process (`loopback` runs its media path here). */
export async function openAudioEnds(opts: AudioEndsOptions): Promise<AudioEnds> {
  await validateFiles({ input: opts.input, output: opts.output });
  const spec = audioEndsSpec(opts);
  const { source, sink } = await openAudio(spec, opts.logger ?? silentLogger);
  return { source, sink, ...labels(spec) };
}

/**
 * Maps what starting the audio can throw to CLI errors: device problems
 * carry their own advice (e.g. "use --output file.wav").
 */
export function asAudioStartError(error: unknown): unknown {
  // By name: the error may come from the media process, or from a lazily loaded module instance.
  if (error instanceof Error && (error.name === 'AudioDeviceError' || error.name === 'AudioFileError')) return new RuntimeError(error.message, { cause: error });
  return error;
}
