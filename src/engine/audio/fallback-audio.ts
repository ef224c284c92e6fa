/**
 * Device audio with a way out: if the sound device cannot open (no sound
 * card, no server: an AudioDeviceError), the demo keeps going with a
 * replacement (a WAV file as speaker, no microphone) and says why. Any
 * other error is not ours to hide and propagates.
 */
import type { FrameMs } from '../../core/media-format.js';
import type { AudioSink, AudioSource, FrameHandler, FramePuller, SinkStartOptions } from './types.js';
import { underflowsAfterWarmup } from './types.js';

function isAudioDeviceError(err: unknown): err is Error {
  // By name: device.ts is loaded lazily (it spawns the device process), and
  // its class may come from another module instance.
  return err instanceof Error && err.name === 'AudioDeviceError';
}

export class FallbackSink implements AudioSink {
  readonly frameMs: FrameMs;
  private active: AudioSink;
  private fellBack = false;

  /**
   * `onFallback` runs (with the device's error) after the replacement has
   * started, so a caller can say where the audio goes now.
   */
  constructor(
    private readonly primary: AudioSink,
    private readonly makeFallback: () => AudioSink,
    private readonly onFallback: (error: Error) => void,
  ) {
    this.frameMs = primary.frameMs;
    this.active = primary;
  }

  get underflows(): number {
    return this.active.underflows;
  }

  get underflowsAfterWarmup(): number {
    return underflowsAfterWarmup(this.active);
  }

  /** True once the device failed and the replacement is playing. */
  get usingFallback(): boolean {
    return this.fellBack;
  }

  async start(pull: FramePuller, opts?: SinkStartOptions): Promise<void> {
    try {
      await this.primary.start(pull, opts);
      return;
    } catch (err) {
      if (!isAudioDeviceError(err)) throw err;
      await this.primary.stop().catch(() => undefined);
      const fallback = this.makeFallback();
      if (fallback.frameMs !== this.frameMs) throw new RangeError(`fallback sink pulls ${fallback.frameMs} ms frames, expected ${this.frameMs}`);
      this.active = fallback;
      this.fellBack = true;
      await fallback.start(pull, opts);
      this.onFallback(err);
    }
  }

  stop(): Promise<void> {
    return this.active.stop();
  }
}

export class FallbackSource implements AudioSource {
  readonly frameMs: FrameMs;
  private active: AudioSource;
  private fellBack = false;
  onEnd?: (() => void) | undefined;

  constructor(
    private readonly primary: AudioSource,
    private readonly makeFallback: () => AudioSource,
    private readonly onFallback: (error: Error) => void,
  ) {
    this.frameMs = primary.frameMs;
    this.active = primary;
  }

  get usingFallback(): boolean {
    return this.fellBack;
  }

  async start(onFrame: FrameHandler): Promise<void> {
    const forwardEnd = (): void => this.onEnd?.();
    this.primary.onEnd = forwardEnd;
    try {
      await this.primary.start(onFrame);
      return;
    } catch (err) {
      if (!isAudioDeviceError(err)) throw err;
      await this.primary.stop().catch(() => undefined);
      const fallback = this.makeFallback();
      if (fallback.frameMs !== this.frameMs) throw new RangeError(`fallback source delivers ${fallback.frameMs} ms frames, expected ${this.frameMs}`);
      fallback.onEnd = forwardEnd;
      this.active = fallback;
      this.fellBack = true;
      await fallback.start(onFrame);
      this.onFallback(err);
    }
  }

  stop(): Promise<void> {
    return this.active.stop();
  }
}
