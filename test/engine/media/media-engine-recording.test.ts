/**
 * Recording through the MediaEngine on a ManualClock (two engines, real
 * Opus): B records; its right channel is what B plays (A's tone, through
 * encode, RTP, jitter buffer and decode), its left channel B's own
 * microphone; mute silences the left; stopping the engine finishes the file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { peakLevel } from '../../../src/engine/audio/level.js';
import { readWavChannels } from '../../helpers/wav-channels.js';
import { pair } from './engine-pair.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rt-engine-rec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(cond: () => boolean): Promise<void> {
  for (let waited = 0; waited < 5000 && !cond(); waited += 5) await new Promise((r) => setTimeout(r, 5));
}

/** B's microphone: a square wave at 6000, easy to tell from A's 440 Hz sine. */
const square = (): Int16Array => Int16Array.from({ length: 960 }, (_, i) => (i % 48 < 24 ? 6000 : -6000));

describe('MediaEngine recording', () => {
  it("records the processed microphone left and exactly what is played right; the engine's stop finishes the file", async () => {
    const { a, b, step } = await pair();
    const file = path.join(dir, 'b.wav');
    b.engine.setRecording(true, file);
    expect(b.engine.self.recording).toMatchObject({ state: 'starting', path: file, count: 1 });
    await until(() => b.engine.self.recording.state === 'recording');
    const played: number[] = [];
    for (let i = 0; i < 50; i++) {
      b.source.push(square());
      if (i === 30) b.engine.setMuted(true);
      played.push(await step());
    }
    expect(b.engine.self.recording.seconds).toBeCloseTo(1, 5); // 100 pulls of 10 ms
    await b.engine.stop();
    await a.engine.stop();
    expect(b.engine.self.recording).toMatchObject({ state: 'off', path: file, error: null, seconds: 1 });

    const wav = readWavChannels(file);
    expect(wav.channels).toHaveLength(2);
    const [left, right] = wav.channels as [Int16Array, Int16Array];
    expect(wav.fileBytes).toBe(44 + left.length * 4);
    // Right: A's tone as B played it (the same peaks the sink saw).
    expect(peakLevel(right.subarray(40 * 480))).toBeCloseTo(Math.max(...played.slice(20)), 2);
    // Left: B's square wave until B muted (frame 30), silence after (the FIFO lags by one frame + one pull).
    expect(peakLevel(left.subarray(2 * 960, 25 * 960))).toBeCloseTo(6000 / 32768, 3);
    expect(peakLevel(left.subarray(33 * 960))).toBe(0);
  });

  it('a second start while recording and a stop without a recording change nothing', async () => {
    const { a, b } = await pair();
    b.engine.setRecording(false);
    expect(b.engine.self.recording.count).toBe(0);
    b.engine.setRecording(true, path.join(dir, 'once.wav'));
    b.engine.setRecording(true, path.join(dir, 'twice.wav'));
    await until(() => b.engine.self.recording.state === 'recording');
    expect(b.engine.self.recording).toMatchObject({ path: path.join(dir, 'once.wav'), count: 1 });
    b.engine.setRecording(false);
    await until(() => b.engine.self.recording.state === 'off');
    await a.engine.stop();
    await b.engine.stop();
  });
});
