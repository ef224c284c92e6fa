import { describe, expect, it } from 'vitest';
import type { AudioSink, AudioSource, FramePuller } from '../../../src/engine/audio/types.js';
import { FallbackSink, FallbackSource } from '../../../src/engine/audio/fallback-audio.js';
import { NoInputSource } from '../../../src/engine/audio/null-audio.js';

class DeviceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AudioDeviceError';
  }
}

class FakeSink implements AudioSink {
  readonly frameMs = 10 as const;
  underflows = 0;
  started = 0;
  stopped = 0;
  pull: FramePuller | undefined;
  constructor(private readonly failWith?: Error) {}
  async start(pull: FramePuller): Promise<void> {
    this.started++;
    if (this.failWith) throw this.failWith;
    this.pull = pull;
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
}

class FakeSource implements AudioSource {
  readonly frameMs = 20 as const;
  onEnd?: (() => void) | undefined;
  started = 0;
  stopped = 0;
  constructor(private readonly failWith?: Error) {}
  async start(): Promise<void> {
    this.started++;
    if (this.failWith) throw this.failWith;
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
}

const pull: FramePuller = () => new Int16Array(480);

describe('FallbackSink', () => {
  it('uses the device when it opens', async () => {
    const device = new FakeSink();
    const file = new FakeSink();
    const notes: Error[] = [];
    const sink = new FallbackSink(device, () => file, (e) => notes.push(e));
    await sink.start(pull);
    expect(sink.usingFallback).toBe(false);
    expect(device.pull).toBe(pull);
    expect(file.started).toBe(0);
    await sink.stop();
    expect(device.stopped).toBe(1);
    expect(notes).toEqual([]);
  });

  it('switches to the replacement on an AudioDeviceError and says why', async () => {
    const device = new FakeSink(new DeviceError('No audio output device available'));
    const file = new FakeSink();
    const notes: string[] = [];
    const sink = new FallbackSink(device, () => file, (e) => notes.push(e.message));
    await sink.start(pull);
    expect(sink.usingFallback).toBe(true);
    expect(file.pull).toBe(pull);
    expect(device.stopped).toBe(1); // the failed device is released
    expect(notes).toEqual(['No audio output device available']);
    await sink.stop();
    expect(file.stopped).toBe(1);
  });

  it('does not hide other errors', async () => {
    const sink = new FallbackSink(new FakeSink(new Error('disk full')), () => new FakeSink(), () => undefined);
    await expect(sink.start(pull)).rejects.toThrow('disk full');
    expect(sink.usingFallback).toBe(false);
  });
});

describe('FallbackSource', () => {
  it('falls back to no input on an AudioDeviceError; other errors propagate', async () => {
    const notes: string[] = [];
    const source = new FallbackSource(new FakeSource(new DeviceError('No audio input device available')), () => new NoInputSource(20), (e) => notes.push(e.message));
    await source.start(() => undefined);
    expect(source.usingFallback).toBe(true);
    expect(notes).toEqual(['No audio input device available']);
    await source.stop();

    const broken = new FallbackSource(new FakeSource(new TypeError('bug')), () => new NoInputSource(20), () => undefined);
    await expect(broken.start(() => undefined)).rejects.toThrow('bug');
  });

  it('forwards the end of a finite device source', async () => {
    const device = new FakeSource();
    const source = new FallbackSource(device, () => new NoInputSource(20), () => undefined);
    let ended = 0;
    source.onEnd = () => ended++;
    await source.start(() => undefined);
    device.onEnd?.();
    expect(ended).toBe(1);
  });
});
