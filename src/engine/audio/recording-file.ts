/**
 * The file of a call recording (docs/architecture.md §2, "Recording"): the
 * name a recording started without one gets, and the rule that a recording
 * never overwrites anything. A path that exists is not refused either (a
 * key press in the middle of a call would lose the moment): the recording
 * goes to the first free name of NAME.wav, NAME-2.wav, NAME-3.wav, …, each
 * tried with an exclusive create, so two recorders never share a file. The
 * name actually used is what the UI, `ctl status` and the log show.
 */
import path from 'node:path';
import { AudioFileError, WavFileWriter } from './wav-file.js';

/** Our microphone on the left, the room on the right. */
export const RECORDING_CHANNELS = 2;
/** Numbered names tried before giving up (NAME.wav, NAME-2.wav … NAME-100.wav). */
export const MAX_RECORDING_NAME_TRIES = 100;
/**
 * Bytes a recording may have waiting for the disk before it stops with an
 * error: 10 s of 48 kHz stereo 16-bit. A disk that stalls longer must not
 * grow the media process's memory without end.
 */
export const MAX_RECORDING_PENDING_BYTES = 10 * 48_000 * RECORDING_CHANNELS * 2;

/**
 * `roundtable-2026-12-05-143012.wav`, in local time (as people read their
 * clocks). The room's join code is deliberately left out: it is the room's
 * key, and a file name travels wherever the file is sent.
 */
export function defaultRecordingName(at: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const date = `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}`;
  return `roundtable-${date}-${two(at.getHours())}${two(at.getMinutes())}${two(at.getSeconds())}.wav`;
}

/** The n-th name tried for `file`: itself for 1, then `name-2.wav`, `name-3.wav`, … (before the extension). */
export function numberedPath(file: string, n: number): string {
  if (n <= 1) return file;
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}-${n}${ext}`;
}

/**
 * Create the recording's WAV file (stereo, 48 kHz) at `file` or, where that
 * exists, at the first free numbered name. Rejects with AudioFileError when
 * it cannot be created (a missing directory, no permission) or when every
 * numbered name is taken.
 */
export async function createRecordingFile(file: string): Promise<WavFileWriter> {
  for (let n = 1; n <= MAX_RECORDING_NAME_TRIES; n++) {
    try {
      return await WavFileWriter.create(numberedPath(file, n), { channels: RECORDING_CHANNELS, exclusive: true, maxPendingBytes: MAX_RECORDING_PENDING_BYTES });
    } catch (err) {
      if (!(err instanceof AudioFileError) || err.code !== 'EEXIST') throw err;
    }
  }
  throw new AudioFileError(file, `exists already, and so do ${MAX_RECORDING_NAME_TRIES - 1} numbered names beside it: choose another name`);
}
