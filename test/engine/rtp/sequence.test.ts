import { describe, expect, it } from 'vitest';
import { SequenceTracker, SequenceUnwrapper, TimestampUnwrapper } from '../../../src/engine/rtp/sequence.js';

describe('SequenceUnwrapper', () => {
  it('extends across the 16-bit wrap', () => {
    const u = new SequenceUnwrapper();
    expect([65533, 65534, 65535, 0, 1, 2].map((s) => u.unwrap(s))).toEqual([65533, 65534, 65535, 65536, 65537, 65538]);
  });

  it('places packets reordered across the wrap before it', () => {
    const u = new SequenceUnwrapper();
    expect([65534, 0, 65535, 1].map((s) => u.unwrap(s))).toEqual([65534, 65536, 65535, 65537]);
    expect(u.highest).toBe(65537);
  });

  it('handles many wraps and stays monotonic for in-order input', () => {
    const u = new SequenceUnwrapper();
    let prev = -Infinity;
    for (let i = 0; i < 300_000; i += 7) {
      const ext = u.unwrap((1000 + i) & 0xffff);
      expect(ext).toBe(1000 + i);
      expect(ext).toBeGreaterThan(prev);
      prev = ext;
    }
  });

  it('re-anchors forward on a jump beyond the restart distance', () => {
    const u = new SequenceUnwrapper(3000);
    expect(u.unwrap(100)).toBe(100);
    expect(u.unwrap(40_000)).toBe(40_000); // far ahead
    expect(u.unwrap(5)).toBe(65_541); // far "behind" is treated as a forward restart, keeps order monotonic
    expect(u.unwrap(6)).toBe(65_542);
    u.reset();
    expect(u.unwrap(9)).toBe(9);
  });

  it('a packet reordered just before the first comes out below it', () => {
    const u = new SequenceUnwrapper();
    expect(u.unwrap(0)).toBe(0);
    expect(u.unwrap(65535)).toBe(-1);
  });
});

describe('TimestampUnwrapper', () => {
  it('extends across the 32-bit wrap, with reordering', () => {
    const u = new TimestampUnwrapper();
    const ts = [0xffffffff - 1919, 0xffffffff - 959, 0x100000000 - 0 - 0 /* wraps to 0 */, 960];
    expect(ts.map((t) => u.unwrap(t))).toEqual([0xffffffff - 1919, 0xffffffff - 959, 0x100000000, 0x100000000 + 960]);
    expect(u.unwrap(0xffffffff - 959)).toBe(0xffffffff - 959); // late packet from before the wrap
  });
});

describe('SequenceTracker (RFC 3550 A.1/A.3)', () => {
  it('counts in-order packets with gaps as loss', () => {
    const t = new SequenceTracker();
    for (const s of [10, 11, 13, 14, 17]) t.receive(s);
    expect(t.stats).toMatchObject({ expected: 8, received: 5, lost: 3, reordered: 0, duplicates: 0, extendedHighestSeq: 17 });
  });

  it('classifies reordered and duplicate packets, across the wrap', () => {
    const t = new SequenceTracker();
    const classes = [65534, 0, 65535, 1, 1, 65535].map((s) => t.receive(s));
    expect(classes).toEqual(['new', 'new', 'reordered', 'new', 'duplicate', 'duplicate']);
    expect(t.stats).toMatchObject({ expected: 4, received: 4, lost: 0, reordered: 1, duplicates: 2, extendedHighestSeq: 65537 });
  });

  it('a late packet from before the first extends the base', () => {
    const t = new SequenceTracker();
    t.receive(100);
    t.receive(101);
    expect(t.receive(99)).toBe('reordered');
    expect(t.stats).toMatchObject({ expected: 3, received: 3, lost: 0 });
  });

  it('ignores one wild packet, restarts on two sequential ones after a big jump', () => {
    const t = new SequenceTracker();
    for (let s = 0; s < 10; s++) t.receive(s);
    expect(t.receive(30_000)).toBe('out-of-window');
    expect(t.receive(10)).toBe('new'); // the stream continues: the wild one did not count
    expect(t.stats).toMatchObject({ expected: 11, received: 11, lost: 0, outOfWindow: 1 });
    expect(t.receive(50_000)).toBe('out-of-window');
    expect(t.receive(50_001)).toBe('restart');
    t.receive(50_003);
    expect(t.stats).toMatchObject({ restarts: 1, expected: 3, received: 2, lost: 1, extendedHighestSeq: 50_003 });
  });

  it('computes fraction lost per interval (A.3)', () => {
    const t = new SequenceTracker();
    for (let s = 0; s < 100; s++) if (s % 4 !== 3) t.receive(s); // 25 lost of 100 (last one, 99, is lost too)
    t.receive(100);
    const first = t.takeIntervalReport();
    expect(first.cumulativeLost).toBe(25);
    expect(first.fractionLost).toBe(Math.floor((25 * 256) / 101));
    for (let s = 101; s < 201; s++) t.receive(s); // no loss
    const second = t.takeIntervalReport();
    expect(second.fractionLost).toBe(0);
    expect(second.cumulativeLost).toBe(25);
    expect(second.extendedHighestSeq).toBe(200);
  });

  it('estimates interarrival jitter (A.8)', () => {
    const steady = new SequenceTracker();
    for (let i = 0; i < 50; i++) steady.receive(i, i * 960, 1000 + i * 20);
    expect(steady.stats.jitter).toBe(0);
    const jittery = new SequenceTracker();
    // Arrivals alternate 5 ms early/late around the 20 ms grid: |D| = 10 ms = 480 units.
    for (let i = 0; i < 200; i++) jittery.receive(i, i * 960, 1000 + i * 20 + (i % 2 === 0 ? 5 : -5));
    expect(jittery.stats.jitter).toBeGreaterThan(470);
    expect(jittery.stats.jitter).toBeLessThanOrEqual(480);
  });
});
