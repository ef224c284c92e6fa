import { describe, expect, it } from 'vitest';
import { MAX_DROPOUT, MAX_MISORDER, ReceptionTracker, type PacketClass } from '../../../src/engine/rtp/reception.js';

const SSRC = 0x1234;

/** One packet with sequence number `seq` (RTP timestamp and arrival only where jitter matters). */
function rx(t: ReceptionTracker, seq: number, timestamp = 0, arrivalMs?: number, ssrc = SSRC): PacketClass {
  return t.receive({ ssrc, sequenceNumber: seq & 0xffff, timestamp: timestamp >>> 0 }, arrivalMs);
}

describe('ReceptionTracker: RFC 3550 A.1 classification and A.3 counts', () => {
  it('newSource(): the next packet starts a new source even with the same SSRC (another path, §11), without counting the jump as loss', () => {
    const t = new ReceptionTracker();
    t.newSource(); // before any packet: nothing to end
    expect([10, 11, 12].map((s) => rx(t, s))).toEqual(['new', 'new', 'new']);
    t.newSource();
    expect([40000, 40001].map((s) => rx(t, s))).toEqual(['restart', 'new']);
    expect(t.stats).toMatchObject({ expected: 5, received: 5, lost: 0, restarts: 1, extendedHighestSeq: 40001 });
  });

  it('counts in-order packets with gaps as loss', () => {
    const t = new ReceptionTracker();
    for (const s of [10, 11, 13, 14, 17]) rx(t, s);
    expect(t.stats).toMatchObject({ expected: 8, received: 5, lost: 3, reordered: 0, duplicates: 0, extendedHighestSeq: 17 });
  });

  it('classifies reordered and duplicate packets, across the wrap', () => {
    const t = new ReceptionTracker();
    const classes = [65534, 0, 65535, 1, 1, 65535].map((s) => rx(t, s));
    expect(classes).toEqual(['new', 'new', 'reordered', 'new', 'duplicate', 'duplicate']);
    expect(t.stats).toMatchObject({ expected: 4, received: 4, lost: 0, reordered: 1, duplicates: 2, extendedHighestSeq: 65537 });
  });

  it('gives each packet its extended sequence number, ordered across the wrap', () => {
    const t = new ReceptionTracker();
    const ext = [65534, 0, 65535, 1].map((s) => (rx(t, s), t.extendedSeq));
    expect(ext).toEqual([65534, 65536, 65535, 65537]);
    expect(t.ssrc).toBe(SSRC);
  });

  it('a late packet from before the first extends the base', () => {
    const t = new ReceptionTracker();
    rx(t, 100);
    rx(t, 101);
    expect(rx(t, 99)).toBe('reordered');
    expect(t.stats).toMatchObject({ expected: 3, received: 3, lost: 0 });
  });

  it('ignores one wild packet, restarts on two sequential ones after a big jump', () => {
    const t = new ReceptionTracker();
    for (let s = 0; s < 10; s++) rx(t, s);
    expect(rx(t, 30_000)).toBe('out-of-window');
    expect(rx(t, 10)).toBe('new'); // the stream continues: the wild one did not count
    expect(t.stats).toMatchObject({ expected: 11, received: 11, lost: 0, outOfWindow: 1 });
    expect(rx(t, 50_000)).toBe('out-of-window');
    expect(rx(t, 50_001)).toBe('restart');
    rx(t, 50_003);
    // The new source is counted apart (A.1 init_seq) ...
    expect(t.stats).toMatchObject({ restarts: 1, sourceExpected: 3, sourceReceived: 2, extendedHighestSeq: 50_003 });
    expect(t.takeIntervalReport()).toMatchObject({ cumulativeLost: 1, extendedHighestSeq: 50_003 });
    // ... and the stream's totals keep the first one.
    expect(t.stats).toMatchObject({ expected: 11 + 3, received: 11 + 2, lost: 1 });
  });

  it('re-anchors the extended sequence numbers at a confirmed restart, forwards or backwards', () => {
    const t = new ReceptionTracker();
    rx(t, 100);
    expect(rx(t, 100 + MAX_DROPOUT)).toBe('out-of-window'); // far ahead
    expect(rx(t, 101 + MAX_DROPOUT)).toBe('restart');
    expect(t.extendedSeq).toBe(101 + MAX_DROPOUT);
    expect(rx(t, 5)).toBe('out-of-window'); // far behind
    expect(rx(t, 6)).toBe('restart');
    expect(t.extendedSeq).toBe(6);
    expect(rx(t, 7)).toBe('new');
    expect(t.stats).toMatchObject({ restarts: 2, extendedHighestSeq: 7, expected: 1 + 1 + 2, received: 1 + 1 + 2, lost: 0, outOfWindow: 2 });
  });

  it('uses the A.1 window edges: MAX_DROPOUT ahead and MAX_MISORDER behind', () => {
    const t = new ReceptionTracker();
    rx(t, 1000);
    expect(rx(t, 1000 + MAX_DROPOUT - 1)).toBe('new');
    const top = 1000 + MAX_DROPOUT - 1;
    expect(rx(t, top - MAX_MISORDER + 1)).toBe('reordered');
    expect(rx(t, top - MAX_MISORDER)).toBe('out-of-window');
  });

  it('treats a new SSRC as a new source at once, keeping the totals', () => {
    const t = new ReceptionTracker();
    for (const s of [0, 1, 3]) rx(t, s);
    expect(rx(t, 5000, 0, undefined, 99)).toBe('restart');
    rx(t, 5001, 0, undefined, 99);
    expect(t.ssrc).toBe(99);
    expect(t.stats).toMatchObject({ expected: 4 + 2, received: 3 + 2, lost: 1, restarts: 1, sourceExpected: 2, sourceReceived: 2, extendedHighestSeq: 5001 });
    expect(t.takeIntervalReport().cumulativeLost).toBe(0); // the report block is about the new source only
  });

  it('computes fraction lost per interval (A.3)', () => {
    const t = new ReceptionTracker();
    for (let s = 0; s < 100; s++) if (s % 4 !== 3) rx(t, s); // 25 lost of 100 (last one, 99, is lost too)
    rx(t, 100);
    const first = t.takeIntervalReport();
    expect(first.cumulativeLost).toBe(25);
    expect(first.fractionLost).toBe(Math.floor((25 * 256) / 101));
    for (let s = 101; s < 201; s++) rx(t, s); // no loss
    const second = t.takeIntervalReport();
    expect(second.fractionLost).toBe(0);
    expect(second.cumulativeLost).toBe(25);
    expect(second.extendedHighestSeq).toBe(200);
  });

  it('reports nothing before the first packet', () => {
    const t = new ReceptionTracker();
    expect(t.ssrc).toBeUndefined();
    expect(t.stats).toMatchObject({ expected: 0, received: 0, lost: 0, extendedHighestSeq: 0, jitter: 0 });
    expect(t.takeIntervalReport()).toEqual({ fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 0, jitter: 0 });
  });
});

describe('ReceptionTracker: where counting starts (no false loss on a perfect link)', () => {
  /**
   * The sender numbers each packet once for all peers and skips this peer
   * until its link is open (send/capture-pipeline.ts, media/media-engine.ts):
   * a new link starts far from the sender's first number, and its first
   * packets may arrive out of order.
   */
  it('starts at the first packet that arrives, whatever the sender numbered before the link opened', () => {
    const t = new ReceptionTracker();
    const firstOnThisLink = 41_234; // 41 234 packets went to other peers (or nowhere) before
    for (let i = 0; i < 500; i++) rx(t, firstOnThisLink + i);
    expect(t.stats).toMatchObject({ expected: 500, received: 500, lost: 0 });
    expect(t.takeIntervalReport()).toMatchObject({ cumulativeLost: 0, fractionLost: 0 });
  });

  it('counts packets reordered before the first one as expected and received: no loss, and no loss hidden', () => {
    const t = new ReceptionTracker();
    const start = 20_000;
    // The first packets of the link arrive 2, 0, 3, 1, then in order; 250 is really lost.
    for (const i of [2, 0, 3, 1]) rx(t, start + i);
    for (let i = 4; i < 500; i++) if (i !== 250) rx(t, start + i);
    expect(t.stats).toMatchObject({ expected: 500, received: 499, lost: 1, reordered: 2 });
    expect(t.takeIntervalReport()).toMatchObject({ cumulativeLost: 1, fractionLost: Math.floor(256 / 500) });
  });

  it('copes with a link that starts at sequence number 0 and a packet reordered before it (extended −1)', () => {
    const t = new ReceptionTracker();
    expect(rx(t, 0)).toBe('new');
    expect(rx(t, 65535)).toBe('reordered');
    expect(t.extendedSeq).toBe(-1);
    expect(rx(t, 65535)).toBe('duplicate');
    for (let s = 1; s < 100; s++) rx(t, s);
    expect(t.stats).toMatchObject({ expected: 101, received: 101, lost: 0, duplicates: 1, extendedHighestSeq: 99 });
  });

  it('keeps every stream of a randomly reordered perfect start free of loss', () => {
    for (let trial = 0; trial < 200; trial++) {
      const t = new ReceptionTracker();
      const start = (trial * 7919) & 0xffff;
      const order = Array.from({ length: 300 }, (_, i) => i);
      // Swap neighbours among the first packets, as a link that opens may deliver them.
      for (let i = 0; i < 12; i++) {
        const j = i + ((trial >> (i % 5)) % 3);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (const i of order) rx(t, start + i);
      expect(t.stats).toMatchObject({ expected: 300, received: 300, lost: 0 });
    }
  });
});

describe('ReceptionTracker: A.8 interarrival jitter', () => {
  it('is 0 on a steady link and follows arrival noise', () => {
    const steady = new ReceptionTracker();
    for (let i = 0; i < 50; i++) rx(steady, i, i * 960, 1000 + i * 20);
    expect(steady.stats.jitter).toBe(0);
    expect(steady.stats.jitterMs).toBe(0);
    const jittery = new ReceptionTracker();
    // Arrivals alternate 5 ms early/late around the 20 ms grid: |D| = 10 ms = 480 units.
    for (let i = 0; i < 200; i++) rx(jittery, i, i * 960, 1000 + i * 20 + (i % 2 === 0 ? 5 : -5));
    expect(jittery.stats.jitter).toBeGreaterThan(470);
    expect(jittery.stats.jitter).toBeLessThanOrEqual(480);
  });

  it('gives the same in milliseconds (transit alternating by 10 ms converges to 10 ms)', () => {
    const t = new ReceptionTracker();
    for (let i = 0; i < 500; i++) rx(t, i, i * 960, i * 20 + (i % 2) * 10);
    expect(t.stats.jitterMs).toBeGreaterThan(9.9);
    expect(t.stats.jitterMs).toBeLessThanOrEqual(10);
    expect(t.takeIntervalReport().jitter).toBe(Math.floor(t.stats.jitter));
  });

  it('is unaffected by the timestamp wrap', () => {
    const t = new ReceptionTracker();
    const ts0 = 2 ** 32 - 10 * 960;
    for (let i = 0; i < 40; i++) rx(t, i, ts0 + i * 960, 500 + i * 20);
    expect(t.stats.jitter).toBe(0);
  });

  it('starts over for a new source', () => {
    const t = new ReceptionTracker();
    for (let i = 0; i < 50; i++) rx(t, i, i * 960, i * 20 + (i % 2) * 10);
    expect(t.stats.jitterMs).toBeGreaterThan(5);
    rx(t, 7000, 123_456, 1000, 77);
    expect(t.stats.jitterMs).toBe(0);
  });
});
