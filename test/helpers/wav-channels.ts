/**
 * A WAV file's channels as they are, for checking recordings (the engine's
 * own reader, readWavMono48k, averages channels into one): its header, and
 * each channel as int16.
 */
import { readFileSync } from 'node:fs';
import wavefile from 'wavefile';

export interface WavChannels {
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  /** One array per channel (left first). */
  readonly channels: readonly Int16Array[];
  /** The header's RIFF size and data size, and the file's length, to check the sizes were patched. */
  readonly riffSize: number;
  readonly dataSize: number;
  readonly fileBytes: number;
}

export function readWavChannels(file: string): WavChannels {
  const bytes = readFileSync(file);
  const wav = new wavefile.WaveFile(bytes);
  const fmt = wav.fmt as { numChannels: number; sampleRate: number; bitsPerSample: number };
  const raw = wav.getSamples(false, Int16Array) as unknown as Int16Array | Int16Array[];
  const channels = fmt.numChannels === 1 ? [raw as Int16Array] : (raw as Int16Array[]);
  return {
    sampleRate: fmt.sampleRate,
    bitsPerSample: fmt.bitsPerSample,
    channels,
    riffSize: bytes.readUInt32LE(4),
    dataSize: bytes.readUInt32LE(40),
    fileBytes: bytes.length,
  };
}
