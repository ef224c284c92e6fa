/**
 * Chooses the audio ends of a command: a WAV file where the user named one
 * (`--input` / `--output`, fixture mode), otherwise the audio devices.
 * Problems become CLI errors with advice: an unreadable input file is a
 * usage error (exit 2), a missing sound device a runtime error (exit 1).
 */
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import type { FrameMs } from '../engine/audio/format.js';
import type { AudioSink, AudioSource } from '../engine/audio/types.js';
import { AudioDeviceError, DeviceSink, DeviceSource } from '../engine/audio/device.js';
import { WavSink } from '../engine/audio/wav-sink.js';
import { WavSource } from '../engine/audio/wav-source.js';
import { AudioFileError, readWavMono48k } from '../engine/audio/wav-file.js';
import { RuntimeError, UsageError } from './errors.js';

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
}

export interface AudioEnds {
  source: AudioSource;
  sink: AudioSink;
  /** e.g. "file in.wav" or "default microphone", for logs. */
  inputLabel: string;
  outputLabel: string;
}

/** Reads and converts the input file once up front, so a bad file fails before anything connects. */
async function checkInputFile(file: string): Promise<void> {
  try {
    await readWavMono48k(file);
  } catch (error) {
    const reason = error instanceof AudioFileError ? error.message : `WAV file "${file}": ${(error as Error).message}`;
    throw new UsageError(`cannot use --input: ${reason}`, { hint: 'give a readable .wav file (any rate, mono or stereo)', cause: error });
  }
}

async function checkOutputDir(file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  try {
    await access(dir, constants.W_OK);
  } catch (error) {
    throw new UsageError(`cannot use --output "${file}": directory ${dir} is not writable or does not exist`, {
      hint: 'choose an --output path in an existing, writable directory',
      cause: error,
    });
  }
}

export async function openAudioEnds(opts: AudioEndsOptions): Promise<AudioEnds> {
  let source: AudioSource;
  let sink: AudioSink;
  let inputLabel: string;
  let outputLabel: string;
  if (opts.input !== undefined) {
    await checkInputFile(opts.input);
    source = new WavSource({ path: opts.input, frameMs: opts.frameMs, loop: opts.loopInput ?? false });
    inputLabel = `file ${opts.input}`;
  } else {
    source = new DeviceSource({ frameMs: opts.frameMs, ...(opts.inputDevice !== undefined ? { device: opts.inputDevice } : {}), ...(opts.env ? { env: opts.env } : {}) });
    inputLabel = opts.inputDevice !== undefined ? `microphone ${opts.inputDevice}` : 'default microphone';
  }
  if (opts.output !== undefined) {
    await checkOutputDir(opts.output);
    sink = new WavSink({ path: opts.output, frameMs: opts.playbackFrameMs });
    outputLabel = `file ${opts.output}`;
  } else {
    sink = new DeviceSink({ frameMs: opts.playbackFrameMs, ...(opts.outputDevice !== undefined ? { device: opts.outputDevice } : {}), ...(opts.env ? { env: opts.env } : {}) });
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
