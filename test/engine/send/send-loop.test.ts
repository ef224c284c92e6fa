import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { SendLoop } from '../../../src/engine/send/send-loop.js';

/** Let queued microtasks and promise callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SendLoop', () => {
  it('sends asynchronously, in order, never inside enqueue()', async () => {
    const sent: number[] = [];
    const loop = new SendLoop<number>({ send: (p) => void sent.push(p), clock: new ManualClock() });
    loop.enqueue(1);
    loop.enqueue(2);
    expect(sent).toEqual([]); // enqueue returned without sending
    await settle();
    expect(sent).toEqual([1, 2]);
    expect(loop.stats).toMatchObject({ queued: 0, sent: 2, droppedOverflow: 0, sendErrors: 0, maxDelayMs: 0 });
  });

  it('a burst in one turn (a capture catching up after a stall) loses nothing on a transport that keeps up', async () => {
    const clock = new ManualClock(0);
    const sent: number[] = [];
    const loop = new SendLoop<number>({ clock, maxQueue: 4, send: (p) => void sent.push(p) });
    // 150 ms of 20 ms frames handed over at once, as FramePacer does after the process was stopped.
    for (let frame = 0; frame < 8; frame++) loop.enqueue(frame);
    // The queue filled before the loop's microtask ran: it was sent from enqueue() rather than dropped.
    expect(sent).toEqual([0, 1, 2, 3]);
    await settle();
    expect(sent).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(loop.stats).toMatchObject({ sent: 8, droppedOverflow: 0, queued: 0 });
  });

  it('a stalled peer drops its own oldest frames and leaves other peers untouched', async () => {
    const clock = new ManualClock(0);
    const delivered: Record<string, Array<{ frame: number; atMs: number }>> = { a: [], b: [], c: [] };
    const stalled: Array<() => void> = [];
    const make = (name: 'a' | 'b' | 'c'): SendLoop<number> =>
      new SendLoop<number>({
        clock,
        maxQueue: 4,
        sendTimeoutMs: 10_000,
        send: (frame) => {
          delivered[name]!.push({ frame, atMs: clock.now() });
          // Peer b's transport hangs: its send promise does not settle until released.
          if (name === 'b') return new Promise<void>((resolve) => stalled.push(resolve));
          return undefined;
        },
      });
    const loops = { a: make('a'), b: make('b'), c: make('c') };

    for (let frame = 0; frame < 50; frame++) {
      for (const loop of Object.values(loops)) loop.enqueue(frame);
      await settle();
      clock.advance(20);
    }

    // Healthy peers: every frame, each sent in the same 20 ms tick it was captured (zero delay).
    for (const name of ['a', 'c'] as const) {
      expect(delivered[name]!.map((d) => d.frame)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(delivered[name]!.map((d) => d.atMs)).toEqual(Array.from({ length: 50 }, (_, i) => i * 20));
      expect(loops[name].stats).toMatchObject({ sent: 50, droppedOverflow: 0, queued: 0, maxDelayMs: 0 });
    }
    // Stalled peer: one frame in flight, 4 queued (the newest), the rest dropped oldest-first.
    expect(delivered.b!.map((d) => d.frame)).toEqual([0]);
    expect(loops.b.stats).toMatchObject({ sent: 0, queued: 4, droppedOverflow: 45 });

    // When b's transport recovers it sends the freshest frames it kept, not stale ones.
    stalled.shift()!();
    for (let i = 0; i < 4; i++) {
      await settle();
      stalled.shift()?.();
    }
    await settle();
    expect(delivered.b!.map((d) => d.frame)).toEqual([0, 46, 47, 48, 49]);
    expect(loops.b.stats).toMatchObject({ sent: 5, queued: 0, droppedOverflow: 45 });
    expect(loops.b.stats.maxDelayMs).toBe(80); // frame 46 waited from t=920 to t=1000
  });

  it('counts a send that throws or rejects, and keeps going', async () => {
    const clock = new ManualClock();
    let n = 0;
    const loop = new SendLoop<number>({
      clock,
      send: (p) => {
        n++;
        if (p === 1) throw new Error('Track is not open');
        if (p === 2) return Promise.reject(new Error('async failure'));
        return Promise.resolve();
      },
    });
    loop.enqueue(1);
    loop.enqueue(2);
    loop.enqueue(3);
    await settle();
    await settle();
    expect(n).toBe(3);
    expect(loop.stats).toMatchObject({ sent: 1, sendErrors: 2, lastError: 'async failure' });
  });

  it('times out a send that never settles and moves on', async () => {
    const clock = new ManualClock();
    const sent: number[] = [];
    const loop = new SendLoop<number>({
      clock,
      sendTimeoutMs: 500,
      send: (p) => {
        sent.push(p);
        return p === 1 ? new Promise<void>(() => undefined) : undefined;
      },
    });
    loop.enqueue(1);
    loop.enqueue(2);
    await settle();
    expect(sent).toEqual([1]);
    clock.advance(499);
    await settle();
    expect(sent).toEqual([1]);
    clock.advance(1);
    await settle();
    expect(sent).toEqual([1, 2]);
    expect(loop.stats).toMatchObject({ sent: 1, sendTimeouts: 1, lastDelayMs: 500 });
  });

  it('measures enqueue → send delay while a slow send is in flight', async () => {
    const clock = new ManualClock();
    const release: Array<() => void> = [];
    const loop = new SendLoop<number>({ clock, send: () => new Promise<void>((r) => release.push(r)) });
    loop.enqueue(1);
    loop.enqueue(2);
    await settle();
    clock.advance(15);
    release.shift()!();
    await settle();
    expect(loop.stats.lastDelayMs).toBe(15);
    release.shift()!();
    await settle();
    expect(loop.stats).toMatchObject({ sent: 2, maxDelayMs: 15, meanDelayMs: 7.5 });
  });

  it('close() drops the queue and ignores later packets', async () => {
    const sent: number[] = [];
    const loop = new SendLoop<number>({ clock: new ManualClock(), send: (p) => void sent.push(p) });
    loop.enqueue(1);
    loop.close();
    loop.enqueue(2);
    await settle();
    expect(sent).toEqual([]);
    expect(loop.isClosed).toBe(true);
    expect(loop.stats.queued).toBe(0);
  });

  it('validates options', () => {
    expect(() => new SendLoop({ send: () => undefined, maxQueue: 0 })).toThrow(RangeError);
    expect(() => new SendLoop({ send: () => undefined, sendTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => new SendLoop({ send: undefined as unknown as () => void })).toThrow(TypeError);
  });
});
