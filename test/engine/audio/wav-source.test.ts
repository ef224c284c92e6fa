import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { AudioFileError, writeWav } from '../../../src/engine/audio/wav-file.js';
import { WavSource } from '../../../src/engine/audio/wav-source.js';

const fixtures = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rt-wavsrc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A ramp 1..n so every sample's position is recognisable. */
async function rampFile(name: string, n: number): Promise<string> {
  const path = join(dir, name);
  await writeWav(path, Int16Array.from({ length: n }, (_, i) => i + 1));
  return path;
}

interface Delivery {
  pcm: Int16Array;
  captureTimeNs: bigint;
  atMs: number;
}

function collect(clock: ManualClock): { frames: Delivery[]; handler: (pcm: Int16Array, t: bigint) => void } {
  const frames: Delivery[] = [];
  return { frames, handler: (pcm, captureTimeNs) => frames.push({ pcm: pcm.slice(), captureTimeNs, atMs: clock.now() }) };
}

describe('WavSource', () => {
  it('delivers one frame per period at real-time pace, then pads the partial last frame and ends once', async () => {
    const clock = new ManualClock(1000);
    const path = await rampFile('ramp.wav', 960 * 3 + 100); // 3 full frames + 100 samples
    const source = new WavSource({ path, frameMs: 20, clock });
    let ends = 0;
    source.onEnd = () => ends++;
    const { frames, handler } = collect(clock);
    await source.start(handler);
    expect(frames).toHaveLength(1); // tick 0 fires at start
    clock.advance(19);
    expect(frames).toHaveLength(1); // not early
    clock.advance(1);
    expect(frames).toHaveLength(2);
    clock.advance(200);
    expect(frames).toHaveLength(4);
    expect(ends).toBe(1);
    expect(clock.pendingTimers).toBe(0); // pacer stopped by itself
    expect(frames.map((f) => f.atMs)).toEqual([1000, 1020, 1040, 1060]);
    expect(frames.map((f) => f.captureTimeNs)).toEqual([1000n, 1020n, 1040n, 1060n].map((ms) => ms * 1_000_000n));
    for (const f of frames) expect(f.pcm.length).toBe(960);
    expect(frames[1]!.pcm[0]).toBe(961);
    const last = frames[3]!.pcm;
    expect(last[99]).toBe(2980);
    expect(last.subarray(100).every((v) => v === 0)).toBe(true);
    expect(source.frameCount).toBe(4);
  });

  it('honours 10 and 40 ms frames', async () => {
    const path = await rampFile('ramp-4800.wav', 4800);
    for (const frameMs of [10, 40] as const) {
      const clock = new ManualClock(0);
      const source = new WavSource({ path, frameMs, clock });
      const { frames, handler } = collect(clock);
      await source.start(handler);
      clock.advance(1000);
      expect(frames.length).toBe(Math.ceil(4800 / (48 * frameMs)));
      expect(frames[0]!.pcm.length).toBe(48 * frameMs);
      expect(frames[1]!.atMs).toBe(frameMs);
    }
  });

  it('loops seamlessly without padding and never ends', async () => {
    const clock = new ManualClock(0);
    const path = await rampFile('ramp-1500.wav', 1500);
    const source = new WavSource({ path, frameMs: 20, clock, loop: true });
    let ended = false;
    source.onEnd = () => (ended = true);
    const { frames, handler } = collect(clock);
    await source.start(handler);
    clock.advance(20 * 9);
    await source.stop();
    clock.advance(1000);
    expect(frames).toHaveLength(10);
    expect(ended).toBe(false);
    const joined = new Int16Array(frames.flatMap((f) => Array.from(f.pcm)));
    for (let i = 0; i < joined.length; i++) expect(joined[i]).toBe((i % 1500) + 1);
  });

  it('stops delivering after stop()', async () => {
    const clock = new ManualClock(0);
    const source = new WavSource({ path: join(fixtures, 'speech-b.wav'), frameMs: 20, clock });
    const { frames, handler } = collect(clock);
    await source.start(handler);
    clock.advance(100);
    await source.stop();
    await source.stop();
    clock.advance(1000);
    expect(frames).toHaveLength(6);
  });

  it('converts a 44.1 kHz stereo file to 48 kHz frames of the same duration', async () => {
    const clock = new ManualClock(0);
    const source = new WavSource({ path: join(fixtures, 'speech-44k1-stereo.wav'), frameMs: 20, clock });
    const { frames, handler } = collect(clock);
    let ended = false;
    source.onEnd = () => (ended = true);
    await source.start(handler);
    clock.advance(2000);
    expect(ended).toBe(true);
    expect(frames).toHaveLength(75); // 1.5 s / 20 ms
    expect(frames.some((f) => f.pcm.some((v) => Math.abs(v) > 5000))).toBe(true);
  });

  it('ends at once for an empty file but refuses to loop one', async () => {
    const path = join(dir, 'empty.wav');
    await writeWav(path, new Int16Array(0));
    const clock = new ManualClock(0);
    const once = new WavSource({ path, frameMs: 20, clock });
    let ends = 0;
    once.onEnd = () => ends++;
    const { frames, handler } = collect(clock);
    await once.start(handler);
    clock.advance(100);
    expect(frames).toHaveLength(0);
    expect(ends).toBe(1);
    await expect(new WavSource({ path, frameMs: 20, clock, loop: true }).start(() => {})).rejects.toThrow(/no audio/);
  });

  it('rejects start() with AudioFileError naming the path for unreadable input', async () => {
    const bad = join(dir, 'bad.wav');
    writeFileSync(bad, Buffer.from('RIFF\x00\x00\x00\x00WAVEjunk'));
    for (const path of [bad, join(dir, 'missing.wav')]) {
      const source = new WavSource({ path, frameMs: 20, clock: new ManualClock(0) });
      const err = await source.start(() => {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AudioFileError);
      expect((err as Error).message).toContain(path);
    }
  });

  it('rejects an invalid frame size at construction', () => {
    expect(() => new WavSource({ path: 'x.wav', frameMs: 25 as never })).toThrow(RangeError);
  });
});
