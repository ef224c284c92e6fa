import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { CLEAN_LINK, SimulatedNetwork } from '../../../src/engine/sim/network.js';
import { createRandom } from '../../../src/engine/sim/prng.js';

function run(imp: Partial<typeof CLEAN_LINK>, packets = 1000, spacingMs = 20) {
  const clock = new ManualClock(0);
  const arrivals: Array<{ index: number; sentMs: number; arrivalMs: number }> = [];
  const net = new SimulatedNetwork(clock, { ...CLEAN_LINK, ...imp }, (p, arrivalMs) => {
    arrivals.push({ index: p[0]! | (p[1]! << 8), sentMs: (p[0]! | (p[1]! << 8)) * spacingMs, arrivalMs });
  });
  for (let i = 0; i < packets; i++) {
    net.send(new Uint8Array([i & 0xff, i >> 8]));
    clock.advance(spacingMs);
  }
  clock.advance(10_000);
  return { arrivals, stats: net.stats };
}

describe('SimulatedNetwork', () => {
  it('delivers everything at once on a clean link, in order', () => {
    const { arrivals, stats } = run({});
    expect(stats).toEqual({ sent: 1000, dropped: 0, delivered: 1000, reordered: 0 });
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

  it('rejects impossible settings', () => {
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
