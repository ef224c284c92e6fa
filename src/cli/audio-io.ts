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
import { AudioDeviceError, DeviceSink, DeviceSource } from '../engine/audio/device.js';
import { WavSink } from '../engine/audio/wav-sink.js';
import { WavSource } from '../engine/audio/wav-source.js';
import { AudioFileError, readWavMono48k } from '../engine/audio/wav-file.js';
import type { Logger } from '../core/log.js';
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
 * --input (unreadable, not a WAV, no audio) and an --output/--stats in a
 * directory that cannot be written are the user's arguments (exit 2).
 */
export async function validateFiles(files: { input?: string | undefined; output?: string | undefined; stats?: string | undefined }): Promise<void> {
  if (files.input !== undefined) {
    try {
      const samples = await readWavMono48k(files.input);
      if (samples.length === 0) throw new AudioFileError(files.input, 'contains no audio');
    } catch (err) {
      if (err instanceof AudioFileError) throw new UsageError(`--input: ${err.message}`, { hint: 'give a readable WAV file (any rate, mono or stereo)', cause: err });
      throw err;
    }
  }
  for (const [flag, file] of [['--output', files.output], ['--stats', files.stats]] as const) {
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

export async function openAudioEnds(opts: AudioEndsOptions): Promise<AudioEnds> {
  let source: AudioSource;
  let sink: AudioSink;
  let inputLabel: string;
  let outputLabel: string;
  await validateFiles({ input: opts.input, output: opts.output });
  if (opts.input !== undefined) {
    source = new WavSource({ path: opts.input, frameMs: opts.frameMs, loop: opts.loopInput ?? false });
    inputLabel = `file ${opts.input}`;
  } else {
    source = new DeviceSource({ frameMs: opts.frameMs, ...(opts.logger ? { logger: opts.logger } : {}), ...(opts.inputDevice !== undefined ? { device: opts.inputDevice } : {}), ...(opts.env ? { env: opts.env } : {}) });
    inputLabel = opts.inputDevice !== undefined ? `microphone ${opts.inputDevice}` : 'default microphone';
  }
  if (opts.output !== undefined) {
    sink = new WavSink({ path: opts.output, frameMs: opts.playbackFrameMs });
    outputLabel = `file ${opts.output}`;
  } else {
    sink = new DeviceSink({ frameMs: opts.playbackFrameMs, ...(opts.logger ? { logger: opts.logger } : {}), ...(opts.outputDevice !== undefined ? { device: opts.outputDevice } : {}), ...(opts.env ? { env: opts.env } : {}) });
    outputLabel = opts.outputDevice !== undefined ? `speaker ${opts.outputDevice}` : 'default speaker';
  }
  return { source, sink, inputLabel, outputLabel };
}

/**
 * Maps what starting the audio can throw to CLI errors: device problems
 * carry their own advice (e.g. "use --output file.wav").
 */
export function asAudioStartError(error: unknown): unknown {
  if (error instanceof AudioDeviceError) return new RuntimeError(error.message, { cause: error });
  if (error instanceof AudioFileError) return new RuntimeError(error.message, { cause: error });
  return error;
}
