/**
 * BrowserMedia's start against a browser that will not start the page's
 * sound: joining must go on (bounded wait), the speaker shows as lost with
 * the reason, and a click (`startOutput`) starts it. Web Audio and
 * getUserMedia are fakes with the behaviour measured in Firefox 153 with no
 * sound server: AudioContext.resume() stays pending for ever.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { BrowserMedia, SOUND_NOT_STARTED, SOUND_START_WAIT_MS } from '../../src/web/browser-media.js';

class FakeNode {
  connect(): void {}
  disconnect(): void {}
}

class FakeAnalyser extends FakeNode {
  fftSize = 2048;
  getFloatTimeDomainData(buf: Float32Array): void {
    buf.fill(0);
  }
}

/** An AudioContext whose resume() settles only when `startPlaying()` is called (a sound server appears, a click is honoured). */
class FakeAudioContext {
  state: AudioContextState = 'suspended';
  resumeCalls = 0;
  readonly destination = new FakeNode();
  private waiting: Array<() => void> = [];
  constructor(private readonly startsOnResume: boolean) {}
  createGain(): FakeNode {
    return new FakeNode();
  }
  createAnalyser(): FakeAnalyser {
    return new FakeAnalyser();
  }
  createMediaStreamSource(): FakeNode {
    return new FakeNode();
  }
  resume(): Promise<void> {
    this.resumeCalls++;
    if (this.startsOnResume) {
      this.state = 'running';
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  startPlaying(): void {
    this.state = 'running';
    for (const resolve of this.waiting.splice(0)) resolve();
  }
  close(): Promise<void> {
    this.state = 'closed';
    return Promise.resolve();
  }
}

function fakeMicrophone(): Pick<MediaDevices, 'getUserMedia'> {
  const track = { kind: 'audio', enabled: true, onended: null, stop() {}, getSettings: () => ({}) };
  const stream = { getAudioTracks: () => [track], getTracks: () => [track] };
  return { getUserMedia: () => Promise.resolve(stream as unknown as MediaStream) };
}

const started: BrowserMedia[] = [];
afterEach(async () => {
  for (const m of started.splice(0)) await m.stop();
});

function makeMedia(ctx: FakeAudioContext, clock: ManualClock): BrowserMedia {
  const media = new BrowserMedia({
    clock,
    logger: silentLogger,
    mediaDevices: fakeMicrophone(),
    makeAudioContext: () => ctx as unknown as AudioContext,
  });
  started.push(media);
  return media;
}

/** Let pending promise callbacks run (getUserMedia, resume) without moving the clock. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('BrowserMedia sound start', () => {
  it('joins after SOUND_START_WAIT_MS when the browser never starts the sound, and shows the speaker as lost', async () => {
    const clock = new ManualClock();
    const ctx = new FakeAudioContext(false);
    const media = makeMedia(ctx, clock);
    let done = false;
    const start = media.start().then(() => (done = true));
    await settle();
    expect(ctx.resumeCalls).toBe(1);
    clock.advance(SOUND_START_WAIT_MS - 1);
    await settle();
    expect(done).toBe(false);
    clock.advance(1);
    await start;
    expect(done).toBe(true);
    expect(media.self.audio?.output).toMatchObject({ health: 'lost', problem: SOUND_NOT_STARTED });
    expect(media.self.audio?.input.health).toBe('ok');
    // Snapshots compare equal while nothing changes.
    expect(media.self.audio).toBe(media.self.audio);
  });

  it('a click starts the sound, and the speaker shows as playing', async () => {
    const clock = new ManualClock();
    const ctx = new FakeAudioContext(false);
    const media = makeMedia(ctx, clock);
    const start = media.start();
    await settle();
    clock.advance(SOUND_START_WAIT_MS);
    await start;
    media.startOutput();
    expect(ctx.resumeCalls).toBe(2);
    ctx.startPlaying();
    expect(media.self.audio?.output).toEqual({ kind: 'device', name: '', health: 'ok' });
    // Once playing, a click asks nothing more of the browser.
    media.startOutput();
    expect(ctx.resumeCalls).toBe(2);
  });

  it('does not wait where the sound starts at once', async () => {
    const clock = new ManualClock();
    const ctx = new FakeAudioContext(true);
    const media = makeMedia(ctx, clock);
    await media.start();
    expect(clock.now()).toBe(0);
    expect(media.self.audio?.output.health).toBe('ok');
  });
});
