/**
 * The one audio format inside the engine: 48 kHz, mono, signed 16-bit PCM,
 * in frames of `frameMs` milliseconds. Opus runs natively at 48 kHz
 * (RFC 7587 §4.1 fixes the RTP clock at 48 kHz), so nothing is resampled on
 * the media path; only WAV files of other rates are converted on load.
 */
export const SAMPLE_RATE = 48_000;
export const CHANNELS = 1;
export const BYTES_PER_SAMPLE = 2;

/** Frame durations the engine supports (all valid Opus frame sizes). */
export const FRAME_MS_VALUES = [10, 20, 40] as const;
export type FrameMs = (typeof FRAME_MS_VALUES)[number];
export const DEFAULT_FRAME_MS: FrameMs = 20;

export function isFrameMs(value: unknown): value is FrameMs {
  return typeof value === 'number' && (FRAME_MS_VALUES as readonly number[]).includes(value);
}

/** Throws a RangeError naming the accepted values; use before any native call. */
export function assertFrameMs(value: unknown): FrameMs {
  if (!isFrameMs(value)) {
    throw new RangeError(`frameMs must be one of ${FRAME_MS_VALUES.join(', ')}; got ${String(value)}`);
  }
  return value;
}

/** Samples in one frame at 48 kHz (960 for 20 ms). */
export function samplesPerFrame(frameMs: FrameMs): number {
  return (SAMPLE_RATE * frameMs) / 1000;
}

/** Bytes in one frame of 16-bit mono PCM (1920 for 20 ms). */
export function bytesPerFrame(frameMs: FrameMs): number {
  return samplesPerFrame(frameMs) * BYTES_PER_SAMPLE * CHANNELS;
}
