import { describe, expect, it } from 'vitest';
import { Framer } from '../../../src/engine/audio/framer.js';

function ramp(start: number, length: number): Int16Array {
  return Int16Array.from({ length }, (_, i) => (start + i) % 30000);
}

describe('Framer', () => {
  it('re-chunks arbitrary chunk sizes into exact frames with no sample lost or reordered', () => {
    const frames: Int16Array[] = [];
    const framer = new Framer(20, (f) => frames.push(Int16Array.from(f)));
    const sizes = [1, 959, 960, 961, 4096, 7, 0, 2000, 441, 1];
    let total = 0;
    for (const n of sizes) {
      framer.push(ramp(total, n));
      total += n;
    }
    expect(frames.length).toBe(Math.floor(total / 960));
    expect(framer.pendingSamples).toBe(total % 960);
    const joined = new Int16Array(frames.length * 960);
    frames.forEach((f, i) => {
      expect(f.length).toBe(960);
      joined.set(f, i * 960);
    });
    expect(Array.from(joined)).toEqual(Array.from(ramp(0, joined.length)));
  });

  it('reuses one buffer (no allocation per frame): a receiver copies what it keeps', () => {
    const frames: Int16Array[] = [];
    const buffers = new Set<Int16Array>();
    const framer = new Framer(10, (f) => {
      buffers.add(f);
      frames.push(Int16Array.from(f));
    });
    framer.push(ramp(0, 480 * 3));
    expect(frames.length).toBe(3);
    expect(frames[0]![0]).toBe(0);
    expect(frames[1]![0]).toBe(480);
    expect(frames[2]![479]).toBe(480 * 3 - 1);
    expect(buffers.size).toBe(1);
  });

  it('derives each frame capture time from its first sample', () => {
    const times: Array<bigint | undefined> = [];
    const framer = new Framer(20, (_f, t) => times.push(t));
    framer.push(new Int16Array(480), 1_000_000_000n); // 10 ms of samples starting at t = 1 s
    framer.push(new Int16Array(1440), 1_010_000_000n); // completes frame 0 and fills frame 1
    framer.push(new Int16Array(960)); // no time given
    expect(times).toEqual([1_000_000_000n, 1_020_000_000n, undefined]);
  });

  it('flush pads a partial frame with silence; reset drops it', () => {
    const frames: Int16Array[] = [];
    const framer = new Framer(20, (f) => frames.push(Int16Array.from(f)));
    framer.push(Int16Array.from({ length: 100 }, () => 7));
    framer.flush();
    expect(frames.length).toBe(1);
    expect(frames[0]![99]).toBe(7);
    expect(frames[0]![100]).toBe(0);
    framer.flush(); // nothing pending: no frame
    framer.push(new Int16Array(500));
    framer.reset();
    expect(framer.pendingSamples).toBe(0);
    framer.push(new Int16Array(960));
    expect(frames.length).toBe(2);
  });

  it('rejects bad input clearly', () => {
    expect(() => new Framer(30 as 20, () => undefined)).toThrow(RangeError);
    const framer = new Framer(20, () => undefined);
    expect(() => framer.push(new Float32Array(3) as unknown as Int16Array)).toThrow(TypeError);
  });
});
