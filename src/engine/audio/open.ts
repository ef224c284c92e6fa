/**
 * The audio ends of a participant, described as plain data so that the
 * media process can open them itself (docs/architecture.md §1): a WAV file
 * (fixture mode), the sound device, or nothing. With `fallbackOutputPath`,
 * a device that cannot open does not end the call: the output goes to that
 * WAV file and a missing microphone becomes "no input" (the demo), and
 * `onFallback` says so.
 */
import type { FrameMs } from '../../core/media-format.js';
import type { Logger } from '../../core/logger.js';
import { FallbackSink, FallbackSource } from './fallback-audio.js';
import { NoInputSource, NullSink } from './null-audio.js';
import type { AudioSink, AudioSource } from './types.js';
import { WavSink } from './wav-sink.js';
import { WavSource } from './wav-source.js';

export type InputSpec =
  | { readonly kind: 'wav'; readonly path: string; readonly loop: boolean }
  | { readonly kind: 'device'; readonly device?: string | number }
  | { readonly kind: 'none' };

export type OutputSpec =
  | { readonly kind: 'wav'; readonly path: string }
  | { readonly kind: 'device'; readonly device?: string | number }
  | { readonly kind: 'none' };

export interface AudioEndsSpec {
  readonly input: InputSpec;
  readonly output: OutputSpec;
  /** Capture frame (the source's). */
  readonly frameMs: FrameMs;
  /** Playback pull size (the sink's). */
  readonly playbackFrameMs: FrameMs;
  /** Environment for the device process (e.g. PULSE_SERVER, ALSA_CONFIG_PATH). */
  readonly env?: Readonly<Record<string, string>>;
  /** When a device cannot open, write the output here (and go without a microphone) instead of failing. */
  readonly fallbackOutputPath?: string;
}

export interface AudioFallback {
  readonly end: 'input' | 'output';
  /** The device's error. */
  readonly message: string;
  /** Where the output goes now (output only). */
  readonly path?: string;
}

export interface OpenedAudio {
  readonly source: AudioSource;
  readonly sink: AudioSink;
}

/** Build (not start) the source and sink a spec describes; devices load lazily (they spawn the device process). */
export async function openAudio(spec: AudioEndsSpec, logger: Logger, onFallback: (f: AudioFallback) => void = () => undefined): Promise<OpenedAudio> {
  const env = spec.env !== undefined ? { ...process.env, ...spec.env } : undefined;
  const deviceOpts = { logger, ...(env !== undefined ? { env } : {}) };
  let source: AudioSource;
  switch (spec.input.kind) {
    case 'wav':
      source = new WavSource({ path: spec.input.path, frameMs: spec.frameMs, loop: spec.input.loop });
      break;
    case 'none':
      source = new NoInputSource(spec.frameMs);
      break;
    case 'device': {
      const { DeviceSource } = await import('./device.js');
      const device = new DeviceSource({ frameMs: spec.frameMs, ...deviceOpts, ...(spec.input.device !== undefined ? { device: spec.input.device } : {}) });
      source =
        spec.fallbackOutputPath === undefined
          ? device
          : new FallbackSource(device, () => new NoInputSource(spec.frameMs), (err) => onFallback({ end: 'input', message: err.message }));
      break;
    }
  }
  let sink: AudioSink;
  switch (spec.output.kind) {
    case 'wav':
      sink = new WavSink({ path: spec.output.path, frameMs: spec.playbackFrameMs });
      break;
    case 'none':
      sink = new NullSink(spec.playbackFrameMs);
      break;
    case 'device': {
      const { DeviceSink } = await import('./device.js');
      const device = new DeviceSink({ frameMs: spec.playbackFrameMs, ...deviceOpts, ...(spec.output.device !== undefined ? { device: spec.output.device } : {}) });
      const fallbackPath = spec.fallbackOutputPath;
      sink =
        fallbackPath === undefined
          ? device
          : new FallbackSink(
              device,
              () => new WavSink({ path: fallbackPath, frameMs: spec.playbackFrameMs }),
              (err) => onFallback({ end: 'output', message: err.message, path: fallbackPath }),
            );
      break;
    }
  }
  return { source, sink };
}
