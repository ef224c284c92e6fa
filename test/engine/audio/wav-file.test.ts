import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { AudioFileError, WAV_WRITE_CHUNK_SAMPLES, WavFileWriter, readWavMono48k, writeWav } from '../../../src/engine/audio/wav-file.js';
import { readWavChannels } from '../../helpers/wav-channels.js';

const fixtures = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rt-wavfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sine(freqHz: number, sampleRate: number, count: number, amplitude: number): Float64Array {
  return Float64Array.from({ length: count }, (_, i) => amplitude * Math.sin((2 * Math.PI * freqHz * i) / sampleRate));
}

/** Zero crossings per second ≈ 2 × frequency. */
function estimateFrequencyHz(pcm: Int16Array, sampleRate = 48000): number {
  let crossings = 0;
  for (let i = 1; i < pcm.length; i++) if ((pcm[i - 1]! < 0) !== (pcm[i]! < 0)) crossings++;
  return crossings / 2 / (pcm.length / sampleRate);
}

describe('readWavMono48k', () => {
  it('reads a 48 kHz mono fixture unchanged', async () => {
    const pcm = await readWavMono48k(join(fixtures, 'speech-a.wav'));
    expect(pcm.length).toBe(240_000); // exactly 5 s
    expect(pcm.some((v) => Math.abs(v) > 10_000)).toBe(true); // speech, not silence
  });

  it('converts the 44.1 kHz stereo fixture to 48 kHz mono of the same duration', async () => {
    const pcm = await readWavMono48k(join(fixtures, 'speech-44k1-stereo.wav'));
    expect(Math.abs(pcm.length - 72_000)).toBeLessThanOrEqual(2); // 1.5 s at 48 kHz
  });

  it('resamples frequency-correctly and downmixes by averaging (24-bit stereo 22.05 kHz)', async () => {
    const rate = 22050;
    const left = sine(1000, rate, rate, 0.8 * 8388607);
    const right = left.map((v) => v * 0.5); // averaged: 0.6 of full-scale peak
    const w = new wavefile.WaveFile();
    w.fromScratch(2, rate, '24', [left, right]);
    const path = join(dir, 'tone-22k-24bit-stereo.wav');
    writeFileSync(path, w.toBuffer());
    const pcm = await readWavMono48k(path);
    expect(Math.abs(pcm.length - 48000)).toBeLessThanOrEqual(3);
    expect(estimateFrequencyHz(pcm.subarray(1000, 47000))).toBeCloseTo(1000, -1);
    const peak = Math.max(...pcm.subarray(1000, 47000).map(Math.abs)) / 32767;
    expect(peak).toBeGreaterThan(0.57);
    expect(peak).toBeLessThan(0.63);
  });

  it('names the path and reason for a missing file', async () => {
    const path = join(dir, 'nope.wav');
    const err = await readWavMono48k(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioFileError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain('file not found');
  });

  it('names the path and reason for a file that is not a WAV', async () => {
    const path = join(dir, 'text.wav');
    writeFileSync(path, 'hello, I am not audio at all, just some text');
    const err = await readWavMono48k(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioFileError);
    expect((err as Error).message).toMatch(/text\.wav.*not a readable WAV file/);
  });

  it('rejects a directory with a clear reason', async () => {
    const err = await readWavMono48k(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioFileError);
    expect((err as Error).message).toContain('directory');
  });
});

describe('writeWav / WavFileWriter', () => {
  it('writeWav round-trips through readWavMono48k', async () => {
    const path = join(dir, 'roundtrip.wav');
    const samples = Int16Array.from({ length: 4800 }, (_, i) => ((i * 37) % 65536) - 32768);
    await writeWav(path, samples);
    expect(await readWavMono48k(path)).toEqual(samples);
  });

  it('streams chunks into a valid file whose header sizes match the data', async () => {
    const path = join(dir, 'streamed.wav');
    const writer = await WavFileWriter.create(path);
    const chunk = Int16Array.from({ length: 960 }, (_, i) => i - 480);
    for (let i = 0; i < 10; i++) writer.write(chunk);
    await writer.close();
    await writer.close(); // idempotent
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(44 + 9600 * 2);
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8); // RIFF size
    expect(bytes.readUInt32LE(40)).toBe(9600 * 2); // data size
    const back = await readWavMono48k(path);
    expect(back.length).toBe(9600);
    expect(back.subarray(960, 1920)).toEqual(chunk);
  });

  it('keeps every sample across chunk boundaries: odd-sized writes, a write larger than a chunk, a partial last chunk', async () => {
    const path = join(dir, 'chunks.wav');
    const writer = await WavFileWriter.create(path);
    const total = 3 * WAV_WRITE_CHUNK_SAMPLES + 1234;
    const expected = Int16Array.from({ length: total }, (_, i) => ((i * 7919) % 65536) - 32768);
    const sizes = [1, 479, 480, WAV_WRITE_CHUNK_SAMPLES + 17, 960, 3];
    let offset = 0;
    for (let k = 0; offset < total; k++) {
      const n = Math.min(sizes[k % sizes.length]!, total - offset);
      writer.write(expected.subarray(offset, offset + n));
      offset += n;
    }
    expect(writer.sampleCount).toBe(total);
    await writer.close();
    expect(await readWavMono48k(path)).toEqual(expected);
  });

  it('rejects with AudioFileError when the file cannot be created', async () => {
    const path = join(dir, 'missing-dir', 'out.wav');
    const err = await WavFileWriter.create(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioFileError);
    expect((err as Error).message).toBe(`WAV file "${path}": cannot create: its directory does not exist`);
  });

  it('writes interleaved stereo: two channels, sizes counted in sample frames', async () => {
    const path = join(dir, 'stereo.wav');
    const writer = await WavFileWriter.create(path, { channels: 2 });
    const frames = WAV_WRITE_CHUNK_SAMPLES + 100;
    const interleaved = Int16Array.from({ length: 2 * frames }, (_, i) => (i % 2 === 0 ? i / 2 : -(i - 1) / 2) % 32000);
    writer.write(interleaved);
    expect(writer.sampleCount).toBe(frames);
    await writer.close();
    const wav = readWavChannels(path);
    expect(wav.channels).toHaveLength(2);
    expect(wav.channels[0]!.subarray(0, 5)).toEqual(Int16Array.from([0, 1, 2, 3, 4]));
    expect(wav.channels[1]!.subarray(0, 5)).toEqual(Int16Array.from([0, -1, -2, -3, -4]));
    expect(wav.dataSize).toBe(frames * 4);
    expect(wav.riffSize).toBe(wav.fileBytes - 8);
  });

  it('with exclusive, refuses a file that exists (code EEXIST) and leaves it alone', async () => {
    const path = join(dir, 'exists.wav');
    writeFileSync(path, 'keep me');
    const err = await WavFileWriter.create(path, { exclusive: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioFileError);
    expect((err as AudioFileError).code).toBe('EEXIST');
    expect((err as Error).message).toBe(`WAV file "${path}": cannot create: exists already`);
    expect(readFileSync(path, 'utf8')).toBe('keep me');
  });

  it('reuses its chunk buffers once the file has written them: a steady stream stops allocating', async () => {
    const writer = await WavFileWriter.create(join(dir, 'pool.wav'), { channels: 2 });
    const block = new Int16Array(2 * 480);
    for (let chunk = 0; chunk < 30; chunk++) {
      for (let i = 0; i < WAV_WRITE_CHUNK_SAMPLES / 480; i++) writer.write(block);
      // The disk keeps up (as it does between 200 ms chunks in a call).
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(writer.chunkBuffersAllocated).toBeLessThanOrEqual(2);
    await writer.close();
    expect(readWavChannels(join(dir, 'pool.wav')).channels[0]!.length).toBe(30 * WAV_WRITE_CHUNK_SAMPLES);
  });

  it('a full disk fails the writer: onFailure once, later writes ignored, close rejects saying so', async () => {
    const writer = await WavFileWriter.create('/dev/full', { channels: 2 });
    const failures: AudioFileError[] = [];
    writer.onFailure = (err) => failures.push(err);
    const block = new Int16Array(2 * WAV_WRITE_CHUNK_SAMPLES);
    writer.write(block);
    for (let i = 0; i < 100 && writer.failed === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    writer.write(block);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toBe('WAV file "/dev/full": cannot write: the disk is full');
    const err = await writer.close().catch((e: unknown) => e);
    expect(err).toBe(failures[0]);
  });

  it('fails, rather than grow without end, when more than maxPendingBytes wait for the disk', async () => {
    const path = join(dir, 'slow.wav');
    const writer = await WavFileWriter.create(path, { maxPendingBytes: WAV_WRITE_CHUNK_SAMPLES * 2 });
    // Three chunks in one go: the file cannot have written any of them yet.
    writer.write(new Int16Array(3 * WAV_WRITE_CHUNK_SAMPLES));
    expect(writer.failed?.message).toMatch(/the disk is not keeping up/);
    await expect(writer.close()).rejects.toThrow(/the disk is not keeping up/);
    // What did reach the disk is a valid file.
    const wav = readWavChannels(path);
    expect(wav.fileBytes).toBe(44 + wav.dataSize);
  });
});
