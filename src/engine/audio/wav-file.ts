/**
 * WAV files in and out of the engine's one format (48 kHz mono int16, see
 * format.ts). Reading accepts any rate, channel count and bit depth that the
 * wavefile library understands and converts on load; writing streams to disk
 * so a long call is never held in memory.
 */
import { createWriteStream } from 'node:fs';
import { open, readFile, writeFile, type FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import wavefile from 'wavefile';
import { Writer as WavStreamWriter } from 'wav';
import { SAMPLE_RATE } from '../../core/media-format.js';
import { floatToInt16 } from './pcm.js';

const { WaveFile } = wavefile;

/** A WAV file could not be read or written; the message names the path and the reason. */
export class AudioFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`WAV file "${path}": ${reason}`, options);
    this.name = 'AudioFileError';
  }
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not a file';
  return err instanceof Error ? err.message : String(err);
}

interface WaveFmt {
  numChannels: number;
  sampleRate: number;
}

/**
 * Read a WAV file as 48 kHz mono int16: compressed encodings (IMA ADPCM,
 * A-law, µ-law) are decoded, every bit depth is normalised through 32-bit
 * float, channels are averaged, and other rates are resampled by wavefile.
 * Throws AudioFileError for a missing, unreadable or malformed file.
 */
export async function readWavMono48k(path: string): Promise<Int16Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new AudioFileError(path, `cannot read: ${describeFsError(err)}`, { cause: err });
  }
  try {
    return decodeWavMono48k(bytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new AudioFileError(path, `not a readable WAV file (${reason})`, { cause: err });
  }
}

/** Decode WAV bytes already in memory (same conversions as readWavMono48k). */
export function decodeWavMono48k(bytes: Uint8Array): Int16Array {
  const wav = new WaveFile(bytes);
  // Compressed encodings must be expanded to linear PCM before any conversion.
  if (wav.bitDepth === '4') wav.fromIMAADPCM();
  else if (wav.bitDepth === '8a') wav.fromALaw();
  else if (wav.bitDepth === '8m') wav.fromMuLaw();
  const fmt = wav.fmt as WaveFmt;
  const channels = fmt.numChannels;
  const rate = fmt.sampleRate;
  if (!Number.isInteger(channels) || channels < 1) throw new Error(`invalid channel count ${channels}`);
  if (!Number.isFinite(rate) || rate < 1000 || rate > 768_000) throw new Error(`unsupported sample rate ${rate} Hz`);

  // Every depth to one scale, [-1, 1]. 16-bit PCM (the common case, and our
  // own files) is scaled here directly: wavefile's generic toBitDepth costs
  // ~70 µs per ms of audio, which made loading a 5 s clip take 300 ms.
  // The scale is asymmetric (negative / 32768, positive / 32767), the inverse
  // of floatSampleToInt16, so 16-bit samples round-trip exactly.
  const direct16 = wav.bitDepth === '16';
  if (!direct16 && wav.bitDepth !== '32f') wav.toBitDepth('32f');
  const raw = wav.getSamples(false, Float64Array) as unknown;
  if (direct16) {
    for (const ch of channels === 1 ? [raw as Float64Array] : (raw as Float64Array[])) {
      for (let i = 0; i < ch.length; i++) ch[i]! /= ch[i]! < 0 ? 32768 : 32767;
    }
  }
  const perChannel: ArrayLike<number>[] = channels === 1 ? [raw as Float64Array] : (raw as Float64Array[]);
  const length = perChannel[0]?.length ?? 0;
  let mono: Float64Array;
  if (channels === 1) {
    mono = perChannel[0] as Float64Array;
  } else {
    // Average rather than sum: a downmix must not clip.
    mono = new Float64Array(length);
    for (const ch of perChannel) for (let i = 0; i < length; i++) mono[i]! += ch[i]!;
    for (let i = 0; i < length; i++) mono[i]! /= channels;
  }
  if (rate === SAMPLE_RATE || length === 0) return floatToInt16(mono);

  // Resample the mono float signal only (cheaper than resampling every channel).
  const monoWav = new WaveFile();
  monoWav.fromScratch(1, rate, '32f', mono);
  monoWav.toSampleRate(SAMPLE_RATE);
  return floatToInt16(monoWav.getSamples(false, Float64Array) as unknown as Float64Array);
}

/** Encode int16 mono PCM as a complete WAV file in memory. */
export function encodeWav(samples: Int16Array, sampleRate = SAMPLE_RATE): Uint8Array {
  const wav = new WaveFile();
  wav.fromScratch(1, sampleRate, '16', samples);
  return wav.toBuffer();
}

/** Write int16 mono PCM as a WAV file in one go (tests and benchmarks). */
export async function writeWav(path: string, samples: Int16Array, sampleRate = SAMPLE_RATE): Promise<void> {
  try {
    await writeFile(path, encodeWav(samples, sampleRate));
  } catch (err) {
    throw new AudioFileError(path, `cannot write: ${describeFsError(err)}`, { cause: err });
  }
}

/**
 * Samples gathered before one write to the stream: 200 ms at 48 kHz. A sink
 * writes every 10 ms; one stream write (a buffer and a write(2)) per frame
 * was the largest single cost of a listening client in the 8-peer CPU bench.
 */
export const WAV_WRITE_CHUNK_SAMPLES = 9600;

/**
 * Streams 48 kHz mono int16 PCM to a WAV file. The `wav` package writes a
 * provisional header first and hands out the corrected one (true data size)
 * when the stream ends; close() writes it over the first bytes of the file,
 * after all data is on disk, so the finished file is always valid. Samples
 * are staged in one reused chunk and written WAV_WRITE_CHUNK_SAMPLES at a
 * time; close() writes what is staged, so nothing is lost on a normal stop.
 */
export class WavFileWriter {
  private closing: Promise<void> | undefined;
  private failure: Error | undefined;
  private samplesWritten = 0;
  private readonly staged = new Int16Array(WAV_WRITE_CHUNK_SAMPLES);
  private stagedLength = 0;

  private constructor(
    readonly path: string,
    private readonly encoder: WavStreamWriter,
    private readonly finished: Promise<Buffer>,
  ) {}

  /** Create (truncate) the file; rejects with AudioFileError if it cannot be opened. */
  static async create(path: string, sampleRate = SAMPLE_RATE): Promise<WavFileWriter> {
    const file = createWriteStream(path);
    try {
      await once(file, 'open');
    } catch (err) {
      throw new AudioFileError(path, `cannot create: ${describeFsError(err)}`, { cause: err });
    }
    const encoder = new WavStreamWriter({ channels: 1, sampleRate, bitDepth: 16 });
    encoder.pipe(file);
    // Resolves once every byte is on disk and the file descriptor is closed,
    // with the final header; only then is it safe to patch the first bytes.
    const finished = Promise.all([once(encoder, 'header') as Promise<[Buffer]>, once(file, 'close')]).then(
      ([[header]]) => header,
    );
    finished.catch(() => undefined); // surfaced by close()
    const writer = new WavFileWriter(path, encoder, finished);
    const onError = (err: Error): void => {
      writer.failure ??= err;
    };
    encoder.on('error', onError);
    file.on('error', onError);
    return writer;
  }

  /** Samples written so far. */
  get sampleCount(): number {
    return this.samplesWritten;
  }

  /** Append samples (copied). Ignored after close() or a write error. */
  write(samples: Int16Array): void {
    if (this.closing !== undefined || this.failure !== undefined) return;
    let offset = 0;
    while (offset < samples.length) {
      const n = Math.min(samples.length - offset, this.staged.length - this.stagedLength);
      this.staged.set(samples.subarray(offset, offset + n), this.stagedLength);
      this.stagedLength += n;
      offset += n;
      if (this.stagedLength === this.staged.length) this.flush();
    }
    this.samplesWritten += samples.length;
  }

  /** Hand the staged samples to the stream (a copy: the stream keeps it until written). */
  private flush(): void {
    if (this.stagedLength === 0) return;
    const bytes = Buffer.allocUnsafe(this.stagedLength * 2);
    bytes.set(new Uint8Array(this.staged.buffer, 0, this.stagedLength * 2));
    this.encoder.write(bytes);
    this.stagedLength = 0;
  }

  /** Finish the file (idempotent). Rejects with AudioFileError if writing failed. */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<void> {
    let handle: FileHandle | undefined;
    try {
      if (this.failure) throw this.failure;
      this.flush();
      this.encoder.end();
      const header = await this.finished;
      if (this.failure) throw this.failure;
      handle = await open(this.path, 'r+');
      await handle.write(header, 0, header.length, 0);
    } catch (err) {
      throw new AudioFileError(this.path, `cannot write: ${describeFsError(err)}`, { cause: err });
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }
}
