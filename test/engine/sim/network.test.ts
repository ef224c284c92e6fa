import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { CLEAN_LINK, emptyNetworkStats, gilbertElliottFor, OutageSchedule, SimulatedNetwork, type NetworkImpairment } from '../../../src/engine/sim/network.js';
import { createRandom } from '../../../src/engine/sim/prng.js';

function run(imp: Partial<NetworkImpairment>, packets = 1000, spacingMs = 20, opts: { bytes?: number; outages?: (clock: ManualClock) => OutageSchedule } = {}) {
  const clock = new ManualClock(0);
  const arrivals: Array<{ index: number; sentMs: number; arrivalMs: number }> = [];
  const net = new SimulatedNetwork(
    clock,
    { ...CLEAN_LINK, ...imp },
    (p, arrivalMs) => {
      arrivals.push({ index: p[0]! | (p[1]! << 8), sentMs: (p[0]! | (p[1]! << 8)) * spacingMs, arrivalMs });
    },
    opts.outages?.(clock),
  );
  for (let i = 0; i < packets; i++) {
    const packet = new Uint8Array(opts.bytes ?? 2);
    packet[0] = i & 0xff;
    packet[1] = i >> 8;
    net.send(packet);
    clock.advance(spacingMs);
  }
  clock.advance(10_000);
  return { arrivals, stats: net.stats };
}

describe('SimulatedNetwork', () => {
  it('delivers everything at once on a clean link, in order', () => {
    const { arrivals, stats } = run({});
    expect(stats).toEqual({ ...emptyNetworkStats(), sent: 1000, delivered: 1000 });
    expect(arrivals.every((a) => a.arrivalMs === a.sentMs)).toBe(true);
  });

  it('loses about the configured share, reproducibly per seed', () => {
    const a = run({ lossPercent: 5, seed: 7 });
    const b = run({ lossPercent: 5, seed: 7 });
    expect(a.stats.dropped).toBe(b.stats.dropped);
    expect(a.stats.dropped).toBeGreaterThan(30);
    expect(a.stats.dropped).toBeLessThan(75);
    expect(a.stats.delivered + a.stats.dropped).toBe(1000);
  });

  it('adds delay within [base, base + jitter] and reorders when jitter exceeds spacing', () => {
    const { arrivals, stats } = run({ baseDelayMs: 10, jitterMs: 40, seed: 3 });
    for (const a of arrivals) {
      expect(a.arrivalMs - a.sentMs).toBeGreaterThanOrEqual(10);
      expect(a.arrivalMs - a.sentMs).toBeLessThanOrEqual(50);
    }
    expect(stats.reordered).toBeGreaterThan(0);
  });

  it('close() drops packets in flight', () => {
    const clock = new ManualClock(0);
    let delivered = 0;
    const net = new SimulatedNetwork(clock, { ...CLEAN_LINK, baseDelayMs: 50 }, () => delivered++);
    net.send(new Uint8Array([1]));
    net.close();
    clock.advance(100);
    expect(delivered).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps the random loss and delays of a seed when burst loss or duplication is turned on', () => {
    const plain = run({ lossPercent: 5, jitterMs: 30, seed: 9 });
    const more = run({ lossPercent: 5, jitterMs: 30, seed: 9, gilbertElliott: gilbertElliottFor(10, 3), duplicatePercent: 5 });
    expect(more.stats.droppedBy.random).toBe(plain.stats.dropped);
    const firstArrival = new Map<number, number>();
    for (const a of more.arrivals) if (!firstArrival.has(a.index)) firstArrival.set(a.index, a.arrivalMs);
    // Every packet that survived both keeps its delay (the original copy is delivered first or with it).
    for (const a of plain.arrivals) {
      const m = firstArrival.get(a.index);
      if (m !== undefined) expect(m).toBeLessThanOrEqual(a.arrivalMs);
    }
  });

  it('Gilbert–Elliott: long-run loss and mean burst length as asked, reproducibly', () => {
    const packets = 20_000;
    const a = run({ gilbertElliott: gilbertElliottFor(15, 3), seed: 4 }, packets);
    const b = run({ gilbertElliott: gilbertElliottFor(15, 3), seed: 4 }, packets);
    expect(a.stats).toEqual(b.stats);
    expect(a.stats.droppedBy.burst).toBe(a.stats.dropped);
    const lossShare = a.stats.dropped / packets;
    expect(lossShare).toBeGreaterThan(0.13);
    expect(lossShare).toBeLessThan(0.17);
    // Bursts: runs of consecutive missing indices.
    const got = new Set(a.arrivals.map((x) => x.index));
    const bursts: number[] = [];
    let run_ = 0;
    for (let i = 0; i < packets; i++) {
      if (!got.has(i)) run_++;
      else if (run_ > 0) (bursts.push(run_), (run_ = 0));
    }
    const meanBurst = bursts.reduce((s, x) => s + x, 0) / bursts.length;
    expect(meanBurst).toBeGreaterThan(2.7);
    expect(meanBurst).toBeLessThan(3.3);
  });

  it('gilbertElliottFor: p and r from loss and mean burst length', () => {
    const ge = gilbertElliottFor(15, 3);
    expect(ge.r).toBeCloseTo(1 / 3, 12);
    expect(ge.p / (ge.p + ge.r)).toBeCloseTo(0.15, 12);
    expect(() => gilbertElliottFor(15, 0.5)).toThrow(/burst/);
  });

  it('duplicates about the share asked, and counts the copies', () => {
    const { arrivals, stats } = run({ duplicatePercent: 10, seed: 2 });
    expect(stats.duplicated).toBeGreaterThan(70);
    expect(stats.duplicated).toBeLessThan(130);
    expect(stats.delivered).toBe(1000 + stats.duplicated);
    expect(arrivals.length).toBe(stats.delivered);
  });

  it('rate limit: serializes at the rate and drops the tail when the queue is full', () => {
    // 200-byte packets every 20 ms = 10 kB/s offered to a 5 kB/s link with a 1 kB queue.
    const { arrivals, stats } = run({ rateLimit: { bytesPerS: 5000, queueBytes: 1000 } }, 500, 20, { bytes: 200 });
    expect(stats.droppedBy.rate).toBe(stats.dropped);
    // Half gets through (what the link can carry), give or take the queue.
    expect(stats.delivered).toBeGreaterThanOrEqual(245);
    expect(stats.delivered).toBeLessThanOrEqual(256);
    // Back-to-back at the link rate: 200 B / 5 kB/s = 40 ms apart once the queue is full.
    const gaps = arrivals.slice(50).map((a, i) => a.arrivalMs - arrivals[50 + i - 1]!.arrivalMs);
    for (const g of gaps) expect(g).toBeCloseTo(40, 6);
    // Queueing delay never exceeds the queue's drain time (1 kB / 5 kB/s = 200 ms) plus one packet's serialization.
    for (const a of arrivals) expect(a.arrivalMs - a.sentMs).toBeLessThanOrEqual(240 + 1e-9);
  });

  it('rate limit below the offered load adds only serialization delay', () => {
    const { arrivals, stats } = run({ rateLimit: { bytesPerS: 100_000 } }, 100, 20, { bytes: 1000 });
    expect(stats.dropped).toBe(0);
    for (const a of arrivals) expect(a.arrivalMs - a.sentMs).toBeCloseTo(10, 6);
  });

  it('outages: nothing sent during a scripted or started outage gets through; packets in flight still arrive', () => {
    let schedule: OutageSchedule | undefined;
    const { arrivals, stats } = run({ baseDelayMs: 50 }, 200, 20, {
      outages: (clock) => (schedule = new OutageSchedule(clock, [{ atMs: 1000, forMs: 500 }])),
    });
    expect(stats.droppedBy.outage).toBe(25); // sent at 1000, 1020, …, 1480
    expect(stats.dropped).toBe(25);
    const sent = new Set(arrivals.map((a) => a.sentMs));
    expect(sent.has(980)).toBe(true); // in flight when the outage began (arrives at 1030)
    expect(sent.has(1000)).toBe(false);
    expect(sent.has(1480)).toBe(false);
    expect(sent.has(1500)).toBe(true);
    expect(schedule!.all).toEqual([{ startMs: 1000, endMs: 1500 }]);

    const clock = new ManualClock(100);
    const s = new OutageSchedule(clock);
    clock.advance(50);
    expect(s.start(3000)).toEqual({ startMs: 150, endMs: 3150 });
    expect(s.isDown(150)).toBe(true);
    expect(s.isDown(3149.9)).toBe(true);
    expect(s.isDown(3150)).toBe(false);
    expect(() => new OutageSchedule(clock, [{ atMs: -1, forMs: 10 }])).toThrow(/outage/);
  });

  it('rejects impossible settings', () => {
    expect(() => new SimulatedNetwork(new ManualClock(), { ...CLEAN_LINK, duplicatePercent: 150 }, () => {})).toThrow(/duplication/);
    expect(() => new SimulatedNetwork(new ManualClock(), { ...CLEAN_LINK, gilbertElliott: { p: 2, r: 0.5 } }, () => {})).toThrow(/Gilbert/);
    expect(() => new SimulatedNetwork(new ManualClock(), { ...CLEAN_LINK, rateLimit: { bytesPerS: 0 } }, () => {})).toThrow(/rate/);
    expect(() => new SimulatedNetwork(new ManualClock(), { ...CLEAN_LINK, lossPercent: 101 }, () => {})).toThrow(/loss/);
    expect(() => new SimulatedNetwork(new ManualClock(), { ...CLEAN_LINK, jitterMs: -1 }, () => {})).toThrow(/jitter/);
  });
});

describe('createRandom', () => {
  it('is deterministic per seed and uniform enough', () => {
    const a = createRandom(42), b = createRandom(42);
    const xs = Array.from({ length: 10_000 }, () => a.next());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
