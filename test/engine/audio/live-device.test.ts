import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { AudioDeviceError } from '../../../src/engine/audio/device.js';
import { LiveDeviceSink, LiveDeviceSource, type SupervisedSink, type SupervisedSource } from '../../../src/engine/audio/live-device.js';
import type { FrameHandler, FramePuller } from '../../../src/engine/audio/types.js';

/** Settle promise chains (the supervisor's opens are async). */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/** A microphone the test drives: `emit()` delivers a frame, `fail()` ends its process. */
class FakeMic implements SupervisedSource {
  readonly frameMs = 10 as const;
  onError?: ((err: AudioDeviceError) => void) | undefined;
  onEnd?: (() => void) | undefined;
  started = false;
  stopped = false;
  private handler: FrameHandler | undefined;
  constructor(
    readonly deviceName: string,
    private readonly openError?: string,
  ) {}
  async start(onFrame: FrameHandler): Promise<void> {
    if (this.openError !== undefined) throw new AudioDeviceError(this.openError, 'not-found');
    this.handler = onFrame;
    this.started = true;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  emit(value: number): void {
    if (!this.stopped) this.handler?.(new Int16Array(480).fill(value), 0n);
  }
  fail(): void {
    this.onError?.(new AudioDeviceError('Audio input device stopped unexpectedly: exited with code 1', 'failed'));
  }
}

/** A speaker the test drives: `tick()` is the device asking for a frame. */
class FakeSpeaker implements SupervisedSink {
  readonly frameMs = 10 as const;
  onError?: ((err: AudioDeviceError) => void) | undefined;
  underflows = 0;
  underflowsAfterWarmup = 0;
  stopped = false;
  played: number[] = [];
  private pull: FramePuller | undefined;
  constructor(
    readonly deviceName: string,
    private readonly openError?: string,
  ) {}
  async start(pull: FramePuller): Promise<void> {
    if (this.openError !== undefined) throw new AudioDeviceError(this.openError, 'open-failed');
    this.pull = pull;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  tick(): void {
    if (!this.stopped && this.pull) this.played.push(this.pull(0n)[0]!);
  }
}

/** Devices by name that come and go: `present` decides whether an open succeeds. */
function bench<D>(make: (name: string, error?: string) => D) {
  const present = new Set<string>(['Headset', 'Speakers', 'Built-in']);
  const made: Array<{ asked: string | number | undefined; device: D }> = [];
  const create = (asked: string | number | undefined): D => {
    const name = asked === undefined ? 'Built-in' : typeof asked === 'number' ? ['Built-in', 'Headset', 'Speakers'][asked]! : asked;
    const device = present.has(name) ? make(name) : make(name, `no device matching "${name}"`);
    made.push({ asked, device });
    return device;
  };
  return { present, made, create, last: () => made[made.length - 1]!.device };
}

describe('LiveDeviceSource', () => {
  it('a switch to a device whose start outlasts the stall limit fails with that reason, and the rejection is never unhandled', async () => {
    const clock = new ManualClock();
    let finishStart!: () => void;
    const slow = new (class extends FakeMic {
      override start(onFrame: FrameHandler): Promise<void> {
        // A device process slow to come up on a busy machine: its start resolves only after the stall timer fired.
        return new Promise((resolve) => (finishStart = () => void super.start(onFrame).then(resolve)));
      }
    })('Headset');
    const devices = bench((n, e) => (n === 'Headset' ? slow : new FakeMic(n, e)));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const source = new LiveDeviceSource({ end: 'input', frameMs: 10, create: devices.create, clock });
      await source.start(() => undefined);
      const switching = source.switchTo('Headset');
      const outcome = switching.then(() => 'switched', (err: Error) => err.message);
      await flush();
      clock.advance(3000); // the stall limit passes while the device is still starting
      await flush();
      await new Promise((resolve) => setImmediate(resolve)); // where Node reports unhandled rejections
      finishStart();
      expect(await outcome).toMatch(/moved no audio within 3 s/);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      await source.stop();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('passes frames through, notices a device that stops delivering, and reopens it by name when it returns', async () => {
    const clock = new ManualClock();
    const devices = bench((n, e) => new FakeMic(n, e));
    const changes: string[] = [];
    const frames: number[] = [];
    const source = new LiveDeviceSource({ end: 'input', frameMs: 10, device: 'Headset', create: devices.create, warmupFrames: 0, clock, random: () => 0, onChange: () => changes.push(source.state.health) });
    await source.start((pcm) => frames.push(pcm[0]!));
    const first = devices.last();
    expect(source.state).toEqual({ kind: 'device', name: 'Headset', health: 'ok' });
    // Past the start-up window (DEVICE_START_WINDOW_MS), where a short stall is a hiccup, not a loss.
    for (let i = 0; i < 60; i++) {
      first.emit(1);
      clock.advance(100);
    }
    expect(frames).toHaveLength(60);

    // Unplugged: the stream just stalls (no error), as PulseAudio's does.
    devices.present.delete('Headset');
    clock.advance(1500); // the watchdog looks every 500 ms: lost within 1–1.5 s
    expect(source.state.health).toBe('lost');
    expect(source.state.problem).toMatch(/no audio for \d+ ms/);
    expect(first.stopped).toBe(true);
    // Retries fail while it is away; the call (and this source) goes on.
    for (let i = 0; i < 10; i++) {
      clock.advance(500);
      await flush();
    }
    expect(source.state.health).toBe('lost');
    expect(source.state.problem).toContain('no device matching "Headset"');
    expect(devices.made.length).toBeGreaterThan(3);
    expect(devices.made.every((m) => m.asked === 'Headset')).toBe(true);

    // Plugged back in: found again by name within one retry period (2 s at most).
    devices.present.add('Headset');
    clock.advance(2000);
    await flush();
    expect(source.state).toEqual({ kind: 'device', name: 'Headset', health: 'ok' });
    const again = devices.last();
    again.emit(7);
    expect(frames[frames.length - 1]).toBe(7);
    // The old device's late frames are not mixed in.
    first.emit(9);
    expect(frames[frames.length - 1]).toBe(7);
    expect(changes).toContain('lost');
    await source.stop();
    expect(again.stopped).toBe(true);
  });

  it('a device that stalls right after it started gets DEVICE_START_STALL_MS before it counts as lost', async () => {
    const clock = new ManualClock();
    const devices = bench((n, e) => new FakeMic(n, e));
    const source = new LiveDeviceSource({ end: 'input', frameMs: 10, create: devices.create, warmupFrames: 0, clock });
    await source.start(() => undefined);
    devices.last().emit(1);
    clock.advance(2500); // a 2.5 s hiccup while starting: not lost
    expect(source.state.health).toBe('ok');
    clock.advance(1000);
    expect(source.state.health).toBe('lost');
    await source.stop();
  });

  it('treats a device process that ends as lost, and reopens a device picked by index by its name', async () => {
    const clock = new ManualClock();
    const devices = bench((n, e) => new FakeMic(n, e));
    const source = new LiveDeviceSource({ end: 'input', frameMs: 10, device: 1, create: devices.create, warmupFrames: 0, clock, random: () => 0 });
    await source.start(() => undefined);
    expect(source.state.name).toBe('Headset');
    devices.last().fail();
    expect(source.state.health).toBe('lost');
    expect(source.state.problem).toContain('stopped unexpectedly');
    clock.advance(300);
    await flush();
    expect(source.state.health).toBe('ok');
    expect(devices.made[devices.made.length - 1]!.asked).toBe('Headset');
    await source.stop();
  });

  it('switches make-before-break, and keeps the old device when the new one will not open', async () => {
    const clock = new ManualClock();
    const devices = bench((n, e) => new FakeMic(n, e));
    const frames: number[] = [];
    const source = new LiveDeviceSource({ end: 'input', frameMs: 10, create: devices.create, warmupFrames: 0, clock });
    await source.start((pcm) => frames.push(pcm[0]!));
    const builtIn = devices.last();
    expect(source.state.name).toBe('Built-in');

    await expect(source.switchTo('Nope')).rejects.toThrow('cannot switch to "Nope": no device matching "Nope"');
    expect(source.state).toMatchObject({ name: 'Built-in', health: 'ok', problem: expect.stringContaining('Nope') });
    builtIn.emit(1);
    expect(frames).toEqual([1]);

    await source.switchTo('Headset');
    const headset = devices.last();
    expect(source.state).toEqual({ kind: 'device', name: 'Headset', health: 'ok' });
    expect(builtIn.stopped).toBe(true);
    headset.emit(2);
    builtIn.emit(3);
    expect(frames).toEqual([1, 2]);
    // A switched-to device is what a loss reopens.
    headset.fail();
    clock.advance(300);
    await flush();
    expect(devices.made[devices.made.length - 1]!.asked).toBe('Headset');
    await source.stop();
  });

  it('rejects at start when the first device cannot open (a wrong name must be seen at once)', async () => {
    const devices = bench((n, e) => new FakeMic(n, e));
    const source = new LiveDeviceSource({ end: 'input', frameMs: 10, device: 'Typo', create: devices.create, warmupFrames: 0, clock: new ManualClock() });
    await expect(source.start(() => undefined)).rejects.toThrow('no device matching "Typo"');
  });

  it('stops retrying when stopped', async () => {
    const clock = new ManualClock();
    const devices = bench((n, e) => new FakeMic(n, e));
    const source = new LiveDeviceSource({ end: 'input', frameMs: 10, create: devices.create, warmupFrames: 0, clock, random: () => 0 });
    await source.start(() => undefined);
    devices.present.delete('Built-in');
    devices.last().fail();
    await source.stop();
    const made = devices.made.length;
    clock.advance(10_000);
    await flush();
    expect(devices.made.length).toBe(made);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('a new device must move audio before it takes over', () => {
  it('a switch waits for the new microphone\'s first frames (the old one goes on meanwhile); one that stays silent is refused', async () => {
    const clock = new ManualClock();
    const devices = bench((n, e) => new FakeMic(n, e));
    const frames: number[] = [];
    const source = new LiveDeviceSource({ end: 'input', frameMs: 10, create: devices.create, clock });
    await source.start((pcm) => frames.push(pcm[0]!));
    const builtIn = devices.last();
    const switching = source.switchTo('Headset');
    await flush();
    const headset = devices.last();
    expect(source.state.health).toBe('switching');
    for (let i = 0; i < 4; i++) {
      headset.emit(2);
      builtIn.emit(1);
    }
    await flush();
    expect(source.state.health).toBe('switching');
    headset.emit(2); // the fifth
    await switching;
    expect(source.state).toEqual({ kind: 'device', name: 'Headset', health: 'ok' });
    headset.emit(3);
    expect(frames).toEqual([1, 1, 1, 1, 3]);

    const silent = source.switchTo('Speakers');
    const refused = expect(silent).rejects.toThrow('cannot switch to "Speakers": it opened but moved no audio within 3 s');
    await flush();
    const speakers = devices.last();
    for (let i = 0; i < 30; i++) {
      clock.advance(100);
      headset.emit(4); // the microphone in use goes on meanwhile
    }
    await refused;
    expect(speakers.stopped).toBe(true);
    expect(frames.at(-1)).toBe(4);
    expect(source.state).toMatchObject({ name: 'Headset', health: 'ok' });
    await source.stop();
  });
});

describe('LiveDeviceSink', () => {
  it('keeps pulling the mix in real time while the speaker is gone, and plays through the device again when it returns', async () => {
    const clock = new ManualClock();
    const devices = bench((n, e) => new FakeSpeaker(n, e));
    let pulls = 0;
    const sink = new LiveDeviceSink({ end: 'output', frameMs: 10, device: 'Speakers', create: devices.create, warmupFrames: 0, clock, random: () => 0 });
    await sink.start(() => {
      pulls++;
      return new Int16Array(480).fill(5);
    });
    const speakers = devices.last();
    speakers.underflows = 2;
    speakers.underflowsAfterWarmup = 1;
    for (let i = 0; i < 60; i++) {
      speakers.tick();
      clock.advance(100);
    }
    expect(pulls).toBe(60);
    devices.present.delete('Speakers');
    clock.advance(1500); // stalled: lost within 1–1.5 s
    expect(sink.state.health).toBe('lost');
    const atLoss = pulls;
    clock.advance(1000);
    await flush();
    // ~100 pulls a second from the stand-in clock.
    expect(pulls - atLoss).toBeGreaterThanOrEqual(95);
    expect(pulls - atLoss).toBeLessThanOrEqual(105);
    devices.present.add('Speakers');
    clock.advance(2000);
    await flush();
    expect(sink.state.health).toBe('ok');
    const back = devices.last();
    expect(back).not.toBe(speakers);
    const before = pulls;
    clock.advance(1000);
    expect(pulls).toBe(before); // the stand-in clock stopped
    back.tick();
    expect(back.played).toEqual([5]);
    // The lost device's underflows still count, and those of each device's warm-up apart.
    back.underflows = 3;
    back.underflowsAfterWarmup = 0;
    expect(sink.underflows).toBe(5);
    expect(sink.underflowsAfterWarmup).toBe(1);
    await sink.stop();
  });

  it('a new speaker plays silence until it takes over, then the old one plays silence', async () => {
    const clock = new ManualClock();
    const devices = bench((n, e) => new FakeSpeaker(n, e));
    const sink = new LiveDeviceSink({ end: 'output', frameMs: 10, create: devices.create, warmupFrames: 0, clock });
    await sink.start(() => new Int16Array(480).fill(5));
    const old = devices.last();
    await sink.switchTo('Headset');
    const headset = devices.last();
    old.stopped = false; // still draining its queue
    old.tick();
    headset.tick();
    expect(old.played).toEqual([0]);
    expect(headset.played).toEqual([5]);
    await sink.stop();
  });
});
