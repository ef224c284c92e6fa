/**
 * Sound devices for the engine: a microphone as an AudioSource and a speaker
 * as an AudioSink. naudiodon itself runs in a child process
 * (device-host.ts, supervised by device-process.ts); this module only moves
 * PCM and events over pipes, so it loads in plain Node without the native
 * binding and our own stdout stays clean.
 */
import { silentLogger, type Logger } from '../../core/logger.js';
import { assertFrameMs, samplesPerFrame, type FrameMs } from '../../core/media-format.js';
import type { AudioSink, AudioSource, FrameHandler, FramePuller } from './types.js';
import type { DeviceInfo, HostConfig, HostEvent } from './device-protocol.js';
import { DeviceProcess, describeExit, type DeviceProcessExit } from './device-process.js';
import { Framer } from './framer.js';
import { PcmRecordParser } from './pcm-records.js';

export type { DeviceInfo } from './device-protocol.js';

/** The sound device is missing, not found, or failed; the message says what to do instead. */
export class AudioDeviceError extends Error {
  constructor(
    message: string,
    readonly kind: 'no-device' | 'not-found' | 'open-failed' | 'failed',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AudioDeviceError';
  }
}

export interface DeviceCommonOptions {
  /** Extra environment for the device process (e.g. the PulseAudio test harness's env). */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** How long to wait for the device to open (default 10 s). */
  openTimeoutMs?: number;
}

const DEFAULT_OPEN_TIMEOUT_MS = 10_000;

function fallbackHint(direction: 'input' | 'output'): string {
  return direction === 'input'
    ? 'To run without a microphone, use --input file.wav.'
    : 'To run without speakers, use --output file.wav.';
}

function hostError(direction: 'input' | 'output', event: Extract<HostEvent, { type: 'error' }>): AudioDeviceError {
  const hint = fallbackHint(direction);
  switch (event.kind) {
    case 'no-device':
      return new AudioDeviceError(`No audio ${direction} device available (${event.message}). ${hint}`, 'no-device');
    case 'not-found':
      return new AudioDeviceError(`Audio ${direction} device not found: ${event.message}. ${hint}`, 'not-found');
    default:
      return new AudioDeviceError(`Audio ${direction} device failed: ${event.message}. ${hint}`, 'open-failed');
  }
}

function exitError(direction: 'input' | 'output', exit: DeviceProcessExit): AudioDeviceError {
  return new AudioDeviceError(`Audio ${direction} device stopped unexpectedly: ${describeExit(exit)}. ${fallbackHint(direction)}`, 'failed');
}

/** Lists the sound devices PortAudio sees (in a short-lived child process). */
export async function listDevices(options: DeviceCommonOptions = {}): Promise<DeviceInfo[]> {
  const proc = new DeviceProcess({ mode: 'list' }, { env: options.env });
  let devices: DeviceInfo[] | undefined;
  let error: string | undefined;
  proc.onEvent = (e) => {
    if (e.type === 'devices') devices = e.devices;
    else if (e.type === 'error') error = e.message;
  };
  const timer = setTimeout(() => void proc.stop(0), options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS);
  const exit = await proc.exited;
  clearTimeout(timer);
  if (devices) return devices;
  throw new AudioDeviceError(`Cannot list audio devices: ${error ?? describeExit(exit)}`, 'failed');
}

/**
 * Spawn the device child and wait for 'ready'; rejects with AudioDeviceError
 * on an error event, an early exit or a timeout.
 */
async function openDevice(
  config: Extract<HostConfig, { mode: 'input' | 'output' }>,
  options: DeviceCommonOptions,
  onEvent: (e: HostEvent) => void,
): Promise<{ proc: DeviceProcess; deviceName: string }> {
  const direction = config.mode;
  const proc = new DeviceProcess(config, { env: options.env });
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new AudioDeviceError(`Audio ${direction} device did not open within ${options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS} ms. ${fallbackHint(direction)}`, 'open-failed')));
      void proc.stop(0);
    }, options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS);
    proc.onEvent = (e) => {
      if (!settled) {
        if (e.type === 'ready') settle(() => resolve({ proc, deviceName: e.deviceName }));
        else if (e.type === 'error') settle(() => reject(hostError(direction, e)));
      }
      onEvent(e);
    };
    void proc.exited.then((exit) => settle(() => reject(exitError(direction, exit))));
  });
}

export interface DeviceSourceOptions extends DeviceCommonOptions {
  frameMs: FrameMs;
  /** Device name substring (case-insensitive) or PortAudio index; default device if omitted. */
  device?: string | number;
}

/** A microphone: exactly one frame per callback, stamped with the capture time of its first sample. */
export class DeviceSource implements AudioSource {
  readonly frameMs: FrameMs;
  onEnd?: (() => void) | undefined;
  /** Called once if the device fails after start() resolved. */
  onError?: ((err: AudioDeviceError) => void) | undefined;
  private readonly options: DeviceSourceOptions;
  private readonly log: Logger;
  private proc: DeviceProcess | undefined;
  private stopping: Promise<void> | undefined;
  private delivering = false;
  private frames = 0;
  private name = '';

  constructor(options: DeviceSourceOptions) {
    this.frameMs = assertFrameMs(options.frameMs);
    this.options = options;
    this.log = (options.logger ?? silentLogger).child({ component: 'audio-in' });
  }

  /** Frames delivered so far. */
  get frameCount(): number {
    return this.frames;
  }

  /** Name of the opened device (after start()). */
  get deviceName(): string {
    return this.name;
  }

  async start(onFrame: FrameHandler): Promise<void> {
    if (this.proc) throw new Error('DeviceSource already started');
    const config: HostConfig = { mode: 'input', frameMs: this.frameMs };
    if (this.options.device !== undefined) config.device = this.options.device;
    const framer = new Framer(this.frameMs, (pcm, t) => {
      if (!this.delivering) return;
      this.frames++;
      // Records always carry their capture time, so every frame has one.
      onFrame(pcm, t ?? 0n);
    });
    const parser = new PcmRecordParser((pcm, t) => framer.push(pcm, t));
    this.delivering = true;
    const { proc, deviceName } = await openDevice(config, this.options, () => {});
    this.proc = proc;
    this.name = deviceName;
    this.log.info('device-open', { device: deviceName, frameMs: this.frameMs });
    proc.pcmFromChild?.on('data', (d: Buffer) => parser.push(d));
    void proc.exited.then((exit) => {
      if (this.stopping) return;
      this.delivering = false;
      const err = exitError('input', exit);
      this.log.error('device-failed', { error: err.message });
      this.onError?.(err);
      this.onEnd?.();
    });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.delivering = false;
      if (this.proc) await this.proc.stop();
    })();
    return this.stopping;
  }
}

export interface DeviceSinkOptions extends DeviceCommonOptions {
  frameMs: FrameMs;
  device?: string | number;
  /** Frames queued towards the device (2–10; default DEFAULT_OUTPUT_BUFFER_FRAMES): lower is less latency, higher fewer underflows. */
  bufferFrames?: number;
}

/**
 * A speaker. The device clock drives playback: each time the device takes a
 * frame, the child asks for one more and this sink pulls it. A frame that
 * arrives too late is replaced by silence in the child and counted as an
 * underflow.
 */
/** Frames queued at the output device ahead of the one playing (see DeviceSink). */
export const DEFAULT_OUTPUT_BUFFER_FRAMES = 3;

/**
 * A device's first second of playing: the underflows in it are counted
 * apart (AudioSink.underflowsAfterWarmup). They come while the media process
 * is still busy starting the call (links, first runs of the receive path):
 * in 30 s demos on PulseAudio every underflow fell within 0.8–1.0 s of the
 * process's start (bench/demo-device.ts).
 */
export const DEVICE_WARMUP_MS = 1000;

export class DeviceSink implements AudioSink {
  readonly frameMs: FrameMs;
  readonly bufferFrames: number;
  /** Called once if the device fails after start() resolved. */
  onError?: ((err: AudioDeviceError) => void) | undefined;
  private readonly options: DeviceSinkOptions;
  private readonly log: Logger;
  private proc: DeviceProcess | undefined;
  private stopping: Promise<void> | undefined;
  private pulling = false;
  private underflowCount = 0;
  private warmUnderflowCount = 0;
  private readyAtMs: number | undefined;
  private frames = 0;
  private badFrames = 0;
  private name = '';

  constructor(options: DeviceSinkOptions) {
    this.frameMs = assertFrameMs(options.frameMs);
    // Three frames queued at the device: each refill is a credit round trip through the media
    // process and the device process. In 30 s demos on PulseAudio on the 2-core machine, two
    // frames (20 ms) ran dry 8-11 times (3 runs), three frames 2-9 times (3 runs), for 10 ms
    // more output latency. With the grace of device-host.ts that waits until only one frame is
    // left queued (rather than half a frame), 0-1 after the device's first second (3 runs).
    const bufferFrames = options.bufferFrames ?? DEFAULT_OUTPUT_BUFFER_FRAMES;
    if (!Number.isInteger(bufferFrames) || bufferFrames < 2 || bufferFrames > 10) {
      throw new RangeError(`bufferFrames must be an integer 2..10, got ${bufferFrames}`);
    }
    this.bufferFrames = bufferFrames;
    this.options = options;
    this.log = (options.logger ?? silentLogger).child({ component: 'audio-out' });
  }

  get underflows(): number {
    return this.underflowCount;
  }

  get underflowsAfterWarmup(): number {
    return this.warmUnderflowCount;
  }

  /** Frames pulled and sent to the device so far. */
  get frameCount(): number {
    return this.frames;
  }

  /** Pulls that threw or returned the wrong length (played as silence / fixed up). */
  get badFrameCount(): number {
    return this.badFrames;
  }

  get deviceName(): string {
    return this.name;
  }

  async start(pull: FramePuller): Promise<void> {
    if (this.proc) throw new Error('DeviceSink already started');
    const config: HostConfig = { mode: 'output', frameMs: this.frameMs, bufferFrames: this.bufferFrames };
    if (this.options.device !== undefined) config.device = this.options.device;
    const frameSamples = samplesPerFrame(this.frameMs);
    const frameNs = BigInt(this.frameMs) * 1_000_000n;
    let credits = 0;
    let ready: DeviceProcess | undefined;
    let lastPlayNs = 0n;
    const serve = (): void => {
      if (!ready?.pcmToChild) return;
      while (credits > 0 && this.pulling) {
        credits--;
        // Frames ahead of this one in the device queue are played first; a
        // frame pulled in the same burst as the one before plays after it, not
        // at the same time (an early stamp would pull the echo canceller's
        // reference timeline early, dsp/far-end-reference.ts).
        const queuedNs = process.hrtime.bigint() + BigInt(this.bufferFrames) * frameNs;
        const playTimeNs = queuedNs > lastPlayNs + frameNs ? queuedNs : lastPlayNs + frameNs;
        lastPlayNs = playTimeNs;
        const pcm = this.pullSafely(pull, playTimeNs, frameSamples);
        // Copy: the puller may reuse its buffer before the pipe has sent this one.
        ready.pcmToChild.write(Buffer.from(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength)));
        this.frames++;
      }
    };
    this.pulling = true;
    const { proc, deviceName } = await openDevice(config, this.options, (e) => {
      if (e.type === 'credit') {
        credits += e.frames;
        serve();
      } else if (e.type === 'underflow') {
        if (this.readyAtMs !== undefined && performance.now() - this.readyAtMs > DEVICE_WARMUP_MS) this.warmUnderflowCount += Math.max(0, e.total - this.underflowCount);
        this.underflowCount = e.total;
      }
    });
    this.proc = proc;
    ready = proc;
    this.readyAtMs = performance.now();
    this.name = deviceName;
    this.log.info('device-open', { device: deviceName, frameMs: this.frameMs, bufferFrames: this.bufferFrames });
    serve(); // credits that arrived together with 'ready'
    void proc.exited.then((exit) => {
      if (this.stopping) return;
      this.pulling = false;
      const err = exitError('output', exit);
      this.log.error('device-failed', { error: err.message });
      this.onError?.(err);
    });
  }

  /** Stop pulling; resolves after the queued frames played and the device closed. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.pulling = false;
      if (this.proc) await this.proc.stop();
    })();
    return this.stopping;
  }

  private pullSafely(pull: FramePuller, playTimeNs: bigint, frameSamples: number): Int16Array {
    let pcm: unknown;
    try {
      pcm = pull(playTimeNs);
    } catch {
      this.badFrames++;
      return new Int16Array(frameSamples);
    }
    if (!(pcm instanceof Int16Array)) {
      this.badFrames++;
      return new Int16Array(frameSamples);
    }
    if (pcm.length === frameSamples) return pcm;
    this.badFrames++;
    const fixed = new Int16Array(frameSamples);
    fixed.set(pcm.subarray(0, frameSamples));
    return fixed;
  }
}
