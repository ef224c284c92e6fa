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
import { deviceChoices, type AudioEndName, type AudioEndState, type AudioEndsControl, type AudioEndsState, type DeviceChoices } from './audio-ends.js';
import { LiveDeviceSink, LiveDeviceSource } from './live-device.js';

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
  /** What the ends are, and switching devices mid-call (audio/audio-ends.ts). */
  readonly control?: AudioEndsControl;
}

/** How long a device may take to open before the attempt counts as failed (a lost device is then retried). */
const DEVICE_OPEN_TIMEOUT_MS = 5000;

/**
 * Build (not start) the source and sink a spec describes; devices load
 * lazily (they spawn the device process). A sound device is live
 * (audio/live-device.ts): lost and found again, switchable; `onChange` is
 * called when what `control.state` says changes.
 */
export async function openAudio(
  spec: AudioEndsSpec,
  logger: Logger,
  onFallback: (f: AudioFallback) => void = () => undefined,
  onChange: () => void = () => undefined,
): Promise<OpenedAudio> {
  const env = spec.env !== undefined ? { ...process.env, ...spec.env } : undefined;
  const deviceOpts = { logger, openTimeoutMs: DEVICE_OPEN_TIMEOUT_MS, ...(env !== undefined ? { env } : {}) };
  const control = new OpenedAudioEnds(spec, env, onChange);
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
      const live = new LiveDeviceSource({
        end: 'input',
        frameMs: spec.frameMs,
        device: spec.input.device,
        create: (device) => new DeviceSource({ frameMs: spec.frameMs, ...deviceOpts, ...(device !== undefined ? { device } : {}) }),
        logger,
        onChange,
      });
      control.input = live;
      source =
        spec.fallbackOutputPath === undefined
          ? live
          : new FallbackSource(live, () => new NoInputSource(spec.frameMs), (err) => {
              control.input = { kind: 'none', name: '', health: 'ok', problem: err.message };
              onFallback({ end: 'input', message: err.message });
            });
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
      const live = new LiveDeviceSink({
        end: 'output',
        frameMs: spec.playbackFrameMs,
        device: spec.output.device,
        create: (device) => new DeviceSink({ frameMs: spec.playbackFrameMs, ...deviceOpts, ...(device !== undefined ? { device } : {}) }),
        logger,
        onChange,
      });
      control.output = live;
      const fallbackPath = spec.fallbackOutputPath;
      sink =
        fallbackPath === undefined
          ? live
          : new FallbackSink(
              live,
              () => new WavSink({ path: fallbackPath, frameMs: spec.playbackFrameMs }),
              (err) => {
                control.output = { kind: 'file', name: fallbackPath, health: 'ok', problem: err.message };
                onFallback({ end: 'output', message: err.message, path: fallbackPath });
              },
            );
      break;
    }
  }
  return { source, sink, control };
}

/** An end as the spec describes it, when it is not a live device. */
function fixedEnd(end: InputSpec | OutputSpec): AudioEndState {
  return end.kind === 'wav' ? { kind: 'file', name: end.path, health: 'ok' } : { kind: 'none', name: '', health: 'ok' };
}

type LiveEnd = LiveDeviceSource | LiveDeviceSink;

/** The control over what openAudio built: each end is a live device or a fixed state. */
class OpenedAudioEnds implements AudioEndsControl {
  input: LiveEnd | AudioEndState;
  output: LiveEnd | AudioEndState;
  private devices: DeviceChoices | null = null;

  constructor(
    spec: AudioEndsSpec,
    private readonly env: Record<string, string | undefined> | undefined,
    private readonly onChange: () => void,
  ) {
    this.input = fixedEnd(spec.input);
    this.output = fixedEnd(spec.output);
  }

  get state(): AudioEndsState {
    const describe = (end: LiveEnd | AudioEndState): AudioEndState => ('state' in end ? end.state : end);
    return { input: describe(this.input), output: describe(this.output), devices: this.devices };
  }

  async switchDevice(end: AudioEndName, device: string): Promise<void> {
    const current = end === 'input' ? this.input : this.output;
    if ('switchTo' in current) return current.switchTo(device);
    const what = current.kind === 'file' ? `the file ${current.name}` : 'nothing';
    const flag = end === 'input' ? '--input' : '--output';
    throw new Error(`the ${end} is ${what}, not a sound device; to use sound devices, start without ${flag}`);
  }

  async refreshDevices(): Promise<void> {
    const { listDevices } = await import('./device.js');
    this.devices = deviceChoices(await listDevices({ ...(this.env !== undefined ? { env: this.env } : {}) }), Date.now());
    this.onChange();
  }
}
