import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { AudioFileError, readWavMono48k } from '../../../src/engine/audio/wav-file.js';
import { WavSink } from '../../../src/engine/audio/wav-sink.js';

const dir = mkdtempSync(join(tmpdir(), 'rt-wavsink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Frame k is filled with the value k+1. */
function countingPuller(samples: number): { pulls: bigint[]; pull: (t: bigint) => Int16Array } {
  const pulls: bigint[] = [];
  return {
    pulls,
    pull: (t) => {
      pulls.push(t);
      return new Int16Array(samples).fill(pulls.length);
    },
  };
}

describe('WavSink', () => {
  it('pulls one frame per period and writes exactly what was pulled', async () => {
    const clock = new ManualClock(500);
    const path = join(dir, 'out.wav');
    const sink = new WavSink({ path, frameMs: 20, clock });
    const { pulls, pull } = countingPuller(960);
    await sink.start(pull);
    clock.advance(19);
    expect(pulls).toHaveLength(1);
    clock.advance(1 + 20 * 8);
    expect(pulls).toHaveLength(10);
    expect(pulls.slice(0, 3)).toEqual([500_000_000n, 520_000_000n, 540_000_000n]);
    await sink.stop();
    clock.advance(200);
    expect(pulls).toHaveLength(10); // no pulls after stop
    expect(sink.frameCount).toBe(10);
    expect(sink.underflows).toBe(0);
    const back = await readWavMono48k(path);
    expect(back.length).toBe(9600);
    for (let k = 0; k < 10; k++) expect(back.subarray(k * 960, (k + 1) * 960).every((v) => v === k + 1)).toBe(true);
  });

  it('leaves a valid 48 kHz mono 16-bit file whose header matches its size', async () => {
    const clock = new ManualClock(0);
    const path = join(dir, 'header.wav');
    const sink = new WavSink({ path, frameMs: 10, clock });
    await sink.start(countingPuller(480).pull);
    clock.advance(10 * 6);
    await sink.stop();
    const bytes = readFileSync(path);
    expect(bytes.toString('ascii', 0, 4)).toBe('RIFF');
    expect(bytes.toString('ascii', 8, 12)).toBe('WAVE');
    expect(bytes.readUInt16LE(22)).toBe(1); // channels
    expect(bytes.readUInt32LE(24)).toBe(48000);
    expect(bytes.readUInt16LE(34)).toBe(16);
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
    expect(bytes.readUInt32LE(40)).toBe(7 * 480 * 2);
  });

  it('stop() is idempotent: concurrent and repeated calls share one completion', async () => {
    const clock = new ManualClock(0);
    const path = join(dir, 'idem.wav');
    const sink = new WavSink({ path, frameMs: 20, clock });
    await sink.start(countingPuller(960).pull);
    clock.advance(40);
    const a = sink.stop();
    const b = sink.stop();
    expect(a).toBe(b);
    await Promise.all([a, b, sink.stop()]);
    expect((await readWavMono48k(path)).length).toBe(3 * 960);
  });

  it('stop() during start() still leaves a valid (empty) file', async () => {
    const path = join(dir, 'early.wav');
    const sink = new WavSink({ path, frameMs: 20, clock: new ManualClock(0) });
    const started = sink.start(countingPuller(960).pull);
    await sink.stop();
    await started;
    expect((await readWavMono48k(path)).length).toBe(0);
  });

  it('survives a puller that throws or returns the wrong length, writing silence or a fixed-up frame', async () => {
    const clock = new ManualClock(0);
    const path = join(dir, 'bad-pull.wav');
    const sink = new WavSink({ path, frameMs: 20, clock });
    let n = 0;
    await sink.start(() => {
      n++;
      if (n === 1) throw new Error('boom');
      if (n === 2) return new Int16Array(10).fill(7);
      return new Int16Array(960).fill(3);
    });
    clock.advance(40);
    await sink.stop();
    expect(sink.badFrameCount).toBe(2);
    const back = await readWavMono48k(path);
    expect(back.length).toBe(3 * 960);
    expect(back.subarray(0, 960).every((v) => v === 0)).toBe(true);
    expect(Array.from(back.subarray(960, 972))).toEqual([7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 0]);
    expect(back.subarray(1920).every((v) => v === 3)).toBe(true);
  });

  it('rejects start() with AudioFileError when the path cannot be created', async () => {
    const path = join(dir, 'no-such-dir', 'out.wav');
    const sink = new WavSink({ path, frameMs: 20, clock: new ManualClock(0) });
    const err = await sink.start(countingPuller(960).pull).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioFileError);
    expect((err as Error).message).toContain(path);
    await sink.stop(); // still safe
  });
});
