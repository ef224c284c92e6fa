import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { ManualSink, ManualSource } from '../../../src/engine/audio/manual.js';
import { MemorySink, RecordingSource, playPcm } from '../../../src/engine/audio/memory-audio.js';

const frame = (value: number, n = 480): Int16Array => new Int16Array(n).fill(value);

describe('RecordingSource', () => {
  it('keeps a copy of every frame before the handler changes it, and ends after the limit', async () => {
    const inner = new ManualSource(10);
    const seen: number[] = [];
    const rec = new RecordingSource(inner, { maxSamples: 1000, onFrame: (pcm) => seen.push(pcm[0]!) });
    let ended = 0;
    rec.onEnd = () => ended++;
    const delivered: number[] = [];
    await rec.start((pcm) => {
      delivered.push(pcm[0]!);
      pcm.fill(-1); // a filter working in place must not touch the recording
    });
    const buf = frame(0);
    for (const v of [1, 2, 3, 4]) {
      buf.fill(v); // one buffer reused, as sources do
      inner.push(buf);
    }
    // 1000 samples = 3 frames of 480 (rounded up to whole frames); the 4th is not delivered.
    expect(delivered).toEqual([1, 2, 3]);
    expect(seen).toEqual([1, 2, 3]);
    expect(ended).toBe(1);
    expect(rec.hasEnded).toBe(true);
    const r = rec.recording;
    expect(r.length).toBe(1440);
    expect([r[0], r[480], r[960], r[1439]]).toEqual([1, 2, 3, 3]);
  });

  it('ends when the inner source ends', async () => {
    const inner = new ManualSource(10);
    const rec = new RecordingSource(inner);
    let ended = false;
    rec.onEnd = () => (ended = true);
    await rec.start(() => undefined);
    inner.push(frame(5));
    inner.onEnd?.();
    expect(ended).toBe(true);
    expect(rec.recording.length).toBe(480);
  });
});

describe('MemorySink', () => {
  it('pulls on its own paced clock from the time asked and keeps every frame', async () => {
    const clock = new ManualClock(0);
    const sink = new MemorySink({ frameMs: 10, clock });
    let n = 0;
    const reused = frame(0);
    await sink.start(() => reused.fill(++n), { atMs: 25 });
    clock.advance(24);
    expect(sink.recording.length).toBe(0);
    clock.advance(1 + 20); // pulls due at 25, 35, 45
    await sink.stop();
    clock.advance(100);
    const r = sink.recording;
    expect(r.length).toBe(3 * 480);
    expect([r[0], r[480], r[960]]).toEqual([1, 2, 3]);
  });
});

describe('playPcm', () => {
  it('plays the samples in order, then the tail in silence, then stops the sink', async () => {
    const sink = new ManualSink(10);
    const pcm = Int16Array.from({ length: 1000 }, (_, i) => i + 1);
    const played: Int16Array[] = [];
    const done = playPcm(sink, pcm, { tailMs: 20 });
    await Promise.resolve();
    // 1000 samples: 3 frames (the last one padded), then 2 frames of tail.
    for (let i = 0; i < 5; i++) played.push(Int16Array.from(sink.pull()));
    await done;
    expect(sink.stopped).toBe(true);
    const all = Int16Array.from(played.flatMap((f) => Array.from(f)));
    expect(Array.from(all.subarray(0, 1000))).toEqual(Array.from(pcm));
    expect(all.subarray(1000).every((v) => v === 0)).toBe(true);
    expect(all.length).toBe(5 * 480);
  });

  it('stops early on abort', async () => {
    const sink = new ManualSink(10);
    const abort = new AbortController();
    const done = playPcm(sink, new Int16Array(48_000), { signal: abort.signal });
    await Promise.resolve();
    sink.pull();
    abort.abort();
    await done;
    expect(sink.stopped).toBe(true);
  });
});
