import { describe, expect, it } from 'vitest';
import { FrameCoalescer, type FrameTimer } from '../../../src/web/page/frame.js';

class ManualFrames implements FrameTimer {
  private next = 1;
  readonly callbacks = new Map<number, () => void>();
  request(callback: () => void): number {
    const handle = this.next++;
    this.callbacks.set(handle, callback);
    return handle;
  }
  cancel(handle: number): void {
    this.callbacks.delete(handle);
  }
  fire(): void {
    const due = [...this.callbacks.values()];
    this.callbacks.clear();
    for (const cb of due) cb();
  }
}

describe('FrameCoalescer', () => {
  it('draws the newest value once per frame', () => {
    const frames = new ManualFrames();
    const drawn: number[] = [];
    const c = new FrameCoalescer<number>(frames, (v) => drawn.push(v));
    c.push(1);
    c.push(2);
    c.push(3);
    expect(frames.callbacks.size).toBe(1);
    expect(drawn).toEqual([]);
    frames.fire();
    expect(drawn).toEqual([3]);
    frames.fire();
    expect(drawn).toEqual([3]);
    c.push(4);
    expect(c.pending).toBe(true);
    frames.fire();
    expect(drawn).toEqual([3, 4]);
  });

  it('draws nothing after dispose', () => {
    const frames = new ManualFrames();
    const drawn: number[] = [];
    const c = new FrameCoalescer<number>(frames, (v) => drawn.push(v));
    c.push(1);
    c.dispose();
    expect(frames.callbacks.size).toBe(0);
    frames.fire();
    expect(drawn).toEqual([]);
  });
});
