import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CallRecorder } from '../../../src/engine/audio/call-recorder.js';
import { WAV_WRITE_CHUNK_SAMPLES, WavFileWriter } from '../../../src/engine/audio/wav-file.js';
import { readWavChannels } from '../../helpers/wav-channels.js';

const dir = mkdtempSync(join(tmpdir(), 'rt-recorder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CAPTURE = 960; // 20 ms frames
const PULL = 480; // 10 ms pulls

/** Distinct, recognisable values: sample k of a stream is `base + k` (wrapped into int16). */
function ramp(base: number, start: number, n: number): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => ((base + start + i) % 30000) + 1);
}

function recorder(name: string, extra: Partial<ConstructorParameters<typeof CallRecorder>[0]> = {}): CallRecorder {
  return new CallRecorder({ path: join(dir, name), captureFrameSamples: CAPTURE, playbackFrameSamples: PULL, ...extra });
}

describe('CallRecorder', () => {
  it('writes a stereo WAV: the microphone on the left, delayed by one capture frame + one pull at the start, exactly the played blocks on the right', async () => {
    const rec = recorder('both.wav');
    await rec.start();
    expect(rec.state).toMatchObject({ state: 'recording', path: join(dir, 'both.wav'), error: null });
    const mic: Int16Array[] = [];
    const played: Int16Array[] = [];
    // The capture clock pushes 20 ms, the playback clock pulls 10 ms twice, for 2 s.
    for (let step = 0; step < 100; step++) {
      const frame = ramp(0, step * CAPTURE, CAPTURE);
      mic.push(frame);
      rec.mic(frame, true);
      for (let k = 0; k < 2; k++) {
        const block = ramp(15000, (2 * step + k) * PULL, PULL).map((v) => -v);
        played.push(block);
        rec.played(block);
      }
    }
    await rec.stop();
    expect(rec.state).toMatchObject({ state: 'off', seconds: 2, error: null });

    const wav = readWavChannels(join(dir, 'both.wav'));
    expect(wav).toMatchObject({ sampleRate: 48_000, bitsPerSample: 16 });
    expect(wav.channels).toHaveLength(2);
    const [left, right] = wav.channels as [Int16Array, Int16Array];
    expect(right).toEqual(Int16Array.from(played.flatMap((b) => [...b])));
    // The FIFO starts once it holds 20 + 10 ms: the first pulls (before the second frame came) are silent, then no gap.
    const micAll = Int16Array.from(mic.flatMap((f) => [...f]));
    expect(left.subarray(0, CAPTURE).every((v) => v === 0)).toBe(true);
    expect(left.subarray(CAPTURE)).toEqual(micAll.subarray(0, left.length - CAPTURE));
    expect(rec.alignment).toEqual({ micPaddedSamples: CAPTURE, micDroppedSamples: 0 });
  });

  it('has valid header sizes after stop, including a partial last chunk', async () => {
    const rec = recorder('sizes.wav');
    await rec.start();
    const pulls = Math.ceil(WAV_WRITE_CHUNK_SAMPLES / PULL) + 3; // one full 200 ms chunk and a part of the next
    for (let i = 0; i < pulls; i++) rec.played(new Int16Array(PULL).fill(7));
    await rec.stop();
    const wav = readWavChannels(join(dir, 'sizes.wav'));
    expect(wav.dataSize).toBe(pulls * PULL * 2 * 2);
    expect(wav.fileBytes).toBe(44 + wav.dataSize);
    expect(wav.riffSize).toBe(wav.fileBytes - 8);
    expect(wav.channels[1]!.length).toBe(pulls * PULL);
  });

  it('records silence on the left while we are muted, as the others hear us', async () => {
    const rec = recorder('muted.wav');
    await rec.start();
    for (let step = 0; step < 10; step++) {
      rec.mic(new Int16Array(CAPTURE).fill(1000), step < 5);
      rec.played(new Int16Array(PULL));
      rec.played(new Int16Array(PULL));
    }
    await rec.stop();
    const left = readWavChannels(join(dir, 'muted.wav')).channels[0]!;
    // One frame of start delay: frames 0-4 (sent) land at 960..5760, frames 5-9 (muted) after.
    expect(left.subarray(CAPTURE, CAPTURE + 5 * CAPTURE).every((v) => v === 1000)).toBe(true);
    expect(left.subarray(CAPTURE + 5 * CAPTURE).every((v) => v === 0)).toBe(true);
  });

  it('drops the oldest microphone samples when capture runs ahead, keeping the left channel close to the right', async () => {
    const rec = recorder('ahead.wav', { maxMicBacklogMs: 100 });
    await rec.start();
    // Capture delivers 3 frames per 2 pulls (3x the playback clock's rate) for 1 s of playback.
    for (let step = 0; step < 50; step++) {
      for (let f = 0; f < 3; f++) rec.mic(ramp(0, (3 * step + f) * CAPTURE, CAPTURE), true);
      rec.played(new Int16Array(PULL));
      rec.played(new Int16Array(PULL));
    }
    await rec.stop();
    const { micDroppedSamples } = rec.alignment;
    expect(micDroppedSamples).toBeGreaterThan(0);
    const left = readWavChannels(join(dir, 'ahead.wav')).channels[0]!;
    expect(left.length).toBe(100 * PULL); // the playback clock sets the file's length
    // What is kept stays in order: the ramp only ever rises (wrapping aside) or jumps ahead.
    let backwards = 0;
    for (let i = CAPTURE + 1; i < left.length; i++) if (left[i]! < left[i - 1]! && left[i - 1]! - left[i]! < 20000) backwards++;
    expect(backwards).toBe(0);
  });

  it('fills with silence when capture stalls, then starts again without a gap every pull', async () => {
    const rec = recorder('stall.wav');
    await rec.start();
    for (let step = 0; step < 10; step++) {
      rec.mic(new Int16Array(CAPTURE).fill(500), true);
      rec.played(new Int16Array(PULL));
      rec.played(new Int16Array(PULL));
    }
    for (let i = 0; i < 10; i++) rec.played(new Int16Array(PULL)); // 100 ms without capture
    for (let step = 0; step < 10; step++) {
      rec.mic(new Int16Array(CAPTURE).fill(500), true);
      rec.played(new Int16Array(PULL));
      rec.played(new Int16Array(PULL));
    }
    await rec.stop();
    const left = readWavChannels(join(dir, 'stall.wav')).channels[0]!;
    const silentRuns: number[] = [];
    let run = 0;
    for (const v of left) {
      if (v === 0) run++;
      else if (run > 0) {
        silentRuns.push(run);
        run = 0;
      }
    }
    // The start delay, then one stretch for the stall (and its restart), not a gap per pull.
    expect(silentRuns).toHaveLength(2);
    expect(rec.alignment.micPaddedSamples).toBe(left.filter((v) => v === 0).length);
  });

  it('never overwrites: an existing file stays, the recording goes to NAME-2.wav', async () => {
    const taken = join(dir, 'taken.wav');
    writeFileSync(taken, 'not to be lost');
    writeFileSync(join(dir, 'taken-2.wav'), 'nor this');
    const rec = recorder('taken.wav');
    await rec.start();
    expect(rec.state.path).toBe(join(dir, 'taken-3.wav'));
    rec.played(new Int16Array(PULL));
    await rec.stop();
    expect(readFileSync(taken, 'utf8')).toBe('not to be lost');
    expect(readWavChannels(join(dir, 'taken-3.wav')).channels[1]!.length).toBe(PULL);
  });

  it('a directory that does not exist: no recording, an error that says why, and frames are ignored', async () => {
    const rec = recorder('missing/dir.wav');
    await rec.start();
    expect(rec.state.state).toBe('off');
    expect(rec.state.error).toMatch(/^cannot record: WAV file ".*missing\/dir\.wav": cannot create: its directory does not exist$/);
    rec.mic(new Int16Array(CAPTURE), true);
    rec.played(new Int16Array(PULL));
    await rec.stop();
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });

  it('a full disk stops the recording with a clear error; frames after it are ignored, nothing throws', async () => {
    // /dev/full fails every write with ENOSPC, as a full disk does.
    const rec = recorder('full.wav', { open: () => WavFileWriter.create('/dev/full', { channels: 2 }) });
    await rec.start();
    expect(rec.state.state).toBe('recording');
    for (let i = 0; i < 3 * (WAV_WRITE_CHUNK_SAMPLES / PULL) && rec.state.state === 'recording'; i++) {
      rec.mic(new Int16Array(CAPTURE), true);
      rec.played(new Int16Array(PULL).fill(3));
      await new Promise((r) => setImmediate(r));
    }
    for (let i = 0; i < 50 && rec.state.state !== 'off'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(rec.state.state).toBe('off');
    expect(rec.state.error).toMatch(/^recording stopped: WAV file "\/dev\/full": cannot write: the disk is full \(the file keeps what was recorded until then\)$/);
    rec.played(new Int16Array(PULL));
    await rec.stop();
  });

  it('a stop while the file is being made leaves a valid, empty file', async () => {
    const rec = recorder('early-stop.wav');
    const started = rec.start();
    const stopped = rec.stop();
    await started;
    await stopped;
    expect(rec.state.state).toBe('off');
    const wav = readWavChannels(join(dir, 'early-stop.wav'));
    expect(wav.dataSize).toBe(0);
    expect(wav.channels).toHaveLength(2);
  });
});
