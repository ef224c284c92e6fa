/**
 * WAV files in and out of the engine's one format (48 kHz mono int16, see
 * core/media-format.ts). Reading accepts any rate, channel count and bit
 * depth that the wavefile library understands and converts on load; writing
 * streams to disk so a long call is never held in memory (mono for an
 * output file, stereo for a call recording).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
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

  /** The file system's error code behind it (EEXIST, ENOSPC, …), when there was one. */
  get code(): string | undefined {
    const code = (this.cause as NodeJS.ErrnoException | undefined)?.code;
    return typeof code === 'string' ? code : undefined;
  }
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'ENOSPC') return 'the disk is full';
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
 * Sample frames (one sample per channel) gathered before one write to the
 * stream: 200 ms at 48 kHz. A sink writes every 10 ms; one stream write (a
 * buffer and a write(2)) per frame was the largest single cost of a
 * listening client in the 8-peer CPU bench.
 */
export const WAV_WRITE_CHUNK_SAMPLES = 9600;

/** Bytes of the header the `wav` package writes for PCM: RIFF size at 4, data size at 40 (patched at the end). */
const WAV_HEADER_BYTES = 44;

export interface WavFileOptions {
  /** Default 48 kHz (the engine's rate). */
  readonly sampleRate?: number;
  /** 1 (mono, default) or 2 (stereo: write() takes interleaved samples, left first). */
  readonly channels?: 1 | 2;
  /** Refuse a path that exists (AudioFileError with code EEXIST) instead of truncating it. */
  readonly exclusive?: boolean;
  /**
   * Fail the file (as a write error would) once more than this many bytes
   * wait for the disk: a disk that stalls must not grow memory without end.
   * Default: no bound.
   */
  readonly maxPendingBytes?: number;
}

/**
 * Streams 16-bit PCM (48 kHz by default, mono or interleaved stereo) to a
 * WAV file. The `wav` package writes the header first, with its sizes at a
 * maximum; close() writes the true sizes over them once every byte is on
 * disk, so the finished file is always valid.
 *
 * Real-time use (a sink pulls every 10 ms, docs/architecture.md §2): write()
 * copies into one staged chunk and never waits on the disk; every
 * WAV_WRITE_CHUNK_SAMPLES frames the chunk goes to the stream in a buffer
 * taken from a pool, which gets it back once the file has written it, so a
 * steady stream allocates nothing after its first chunks. close() writes
 * what is staged, so nothing is lost on a normal stop.
 *
 * A write that fails (a full disk, a device gone) fails the file: later
 * writes are ignored, `onFailure` is called once, and close() still patches
 * the header to the data that did reach the disk (a valid, shorter file
 * where the disk allows) before it rejects with the error.
 */
export class WavFileWriter {
  /** Called once, from the stream's error event, when writing fails for good. */
  onFailure: ((error: AudioFileError) => void) | undefined;
  private closing: Promise<void> | undefined;
  private failure: AudioFileError | undefined;
  private framesWritten = 0;
  private readonly staged: Int16Array;
  /** The same memory as bytes, for copying into a chunk. */
  private readonly stagedBytes: Uint8Array;
  private stagedLength = 0;
  private readonly chunkBytes: number;
  /** Chunk buffers the file has written, ready for reuse. */
  private readonly freeChunks: Buffer[] = [];
  private readonly pooled = new WeakSet<Buffer>();
  private allocated = 0;
  private pendingBytes = 0;
  /** PCM bytes the file has confirmed written (the header excluded). */
  private dataBytesOnDisk = 0;
  /** The encoder's first chunk is the header (pushed when it was made). */
  private headerPassed = false;
  private headerOnDisk = false;

  private constructor(
    readonly path: string,
    readonly channels: 1 | 2,
    private readonly encoder: WavStreamWriter,
    private readonly file: WriteStream,
    private readonly closed: Promise<void>,
    private readonly maxPendingBytes: number,
  ) {
    this.staged = new Int16Array(WAV_WRITE_CHUNK_SAMPLES * channels);
    this.stagedBytes = new Uint8Array(this.staged.buffer);
    this.chunkBytes = this.staged.length * 2;
  }

  /** Create (truncate, or with `exclusive` refuse an existing file); rejects with AudioFileError if it cannot be opened. */
  static async create(path: string, options: WavFileOptions = {}): Promise<WavFileWriter> {
    const channels = options.channels ?? 1;
    const file = createWriteStream(path, { flags: options.exclusive === true ? 'wx' : 'w' });
    try {
      await once(file, 'open');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const reason = code === 'EEXIST' ? 'exists already' : code === 'ENOENT' ? 'its directory does not exist' : describeFsError(err);
      throw new AudioFileError(path, `cannot create: ${reason}`, { cause: err });
    }
    const encoder = new WavStreamWriter({ channels, sampleRate: options.sampleRate ?? SAMPLE_RATE, bitDepth: 16 });
    // Resolves once every byte is on disk and the file descriptor is closed: only then are the first bytes patched.
    const closed = once(file, 'close').then(() => undefined);
    closed.catch(() => undefined); // surfaced by close()
    const writer = new WavFileWriter(path, channels, encoder, file, closed, options.maxPendingBytes ?? Infinity);
    // Forwarded by hand rather than piped, to learn when the file has written each chunk (the pool takes it back).
    encoder.on('data', (chunk: Buffer) => writer.toFile(chunk));
    encoder.on('end', () => {
      if (!file.destroyed) file.end();
    });
    const onError = (err: Error): void => writer.fail(err);
    encoder.on('error', onError);
    file.on('error', onError);
    return writer;
  }

  /** Sample frames written so far (samples per channel). */
  get sampleCount(): number {
    return this.framesWritten;
  }

  /** Chunk buffers made so far (diagnostics: a steady stream stops making them). */
  get chunkBuffersAllocated(): number {
    return this.allocated;
  }

  /** Why writing failed, once it has. */
  get failed(): AudioFileError | undefined {
    return this.failure;
  }

  /** Append samples (copied; interleaved for stereo). Ignored after close() or a write error. */
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
    this.framesWritten += samples.length / this.channels;
  }

  /** Hand the staged samples to the stream in a pooled buffer (the stream keeps it until the file has written it). */
  private flush(): void {
    if (this.stagedLength === 0 || this.failure !== undefined) return;
    let chunk = this.freeChunks.pop();
    if (chunk === undefined) {
      chunk = Buffer.allocUnsafeSlow(this.chunkBytes);
      this.pooled.add(chunk);
      this.allocated++;
    }
    const bytes = this.stagedLength * 2;
    chunk.set(bytes === this.stagedBytes.length ? this.stagedBytes : this.stagedBytes.subarray(0, bytes));
    this.stagedLength = 0;
    this.pendingBytes += bytes;
    if (this.pendingBytes > this.maxPendingBytes) {
      this.fail(new Error(`the disk is not keeping up: ${Math.round(this.pendingBytes / 1024)} KiB wait to be written`));
      return;
    }
    // A partial last chunk goes as a view (not reused: close() follows).
    this.encoder.write(bytes === chunk.length ? chunk : chunk.subarray(0, bytes));
  }

  private toFile(chunk: Buffer): void {
    const isData = this.headerPassed;
    this.headerPassed = true;
    if (this.file.destroyed) return;
    this.file.write(chunk, (err) => {
      if (err) return; // an error fails the file through the stream's error event
      if (!isData) {
        this.headerOnDisk = true;
        return;
      }
      this.dataBytesOnDisk += chunk.length;
      this.pendingBytes -= chunk.length;
      if (this.pooled.has(chunk) && this.closing === undefined) this.freeChunks.push(chunk);
    });
  }

  /** No more samples are taken; what the stream holds still goes to disk (a file stream that failed has closed itself). */
  private fail(err: Error): void {
    if (this.failure !== undefined) return;
    this.failure = err instanceof AudioFileError ? err : new AudioFileError(this.path, `cannot write: ${describeFsError(err)}`, { cause: err });
    try {
      this.onFailure?.(this.failure);
    } catch {
      // a listener's mistake must not break the stream's error handling
    }
  }

  /** Finish the file (idempotent). Rejects with AudioFileError if writing failed (the header still says what reached the disk). */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<void> {
    this.flush();
    this.encoder.end();
    try {
      await this.closed;
    } catch (err) {
      this.fail(err as Error);
    }
    let patchError: unknown;
    let handle: FileHandle | undefined;
    try {
      if (!this.headerOnDisk) throw this.failure ?? new Error('the header was not written');
      // The true sizes (RIFF size at 4, data size at 40), as the `wav` package's own final header has them.
      const sizes = Buffer.alloc(4);
      handle = await open(this.path, 'r+');
      sizes.writeUInt32LE(WAV_HEADER_BYTES - 8 + this.dataBytesOnDisk, 0);
      await handle.write(sizes, 0, 4, 4);
      sizes.writeUInt32LE(this.dataBytesOnDisk, 0);
      await handle.write(sizes, 0, 4, WAV_HEADER_BYTES - 4);
    } catch (err) {
      patchError = err;
    } finally {
      await handle?.close().catch(() => undefined);
    }
    if (this.failure !== undefined) throw this.failure;
    if (patchError !== undefined) throw new AudioFileError(this.path, `cannot write: ${describeFsError(patchError)}`, { cause: patchError });
  }
}
