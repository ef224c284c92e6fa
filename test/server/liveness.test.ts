import { describe, expect, it } from 'vitest';
import { livenessAt, PING_CYCLE_SWEEPS, SWEEPS_PER_HEARTBEAT, sweepTick, TIMEOUT_HEARTBEATS } from '../../src/server/liveness.js';

const HB = 1500;
const SWEEP_MS = HB / SWEEPS_PER_HEARTBEAT;

interface Conn {
  id: number;
  lastSeenMs: number;
  pings: number;
  /** Longest silence at which it was pinged. */
  longestSilenceAtPingMs: number;
}

const quietConns = (n: number): Conn[] => Array.from({ length: n }, (_, i) => ({ id: i + 1, lastSeenMs: 0, pings: 0, longestSilenceAtPingMs: 0 }));

/**
 * Sweep `conns` at the times `sweepAtMs` gives (the server's timer, late or
 * not); a pinged connection answers 1 ms later. Returns the pings of each sweep.
 */
function sweepQuiet(conns: Conn[], untilMs: number, sweepAtMs: (k: number) => number = (k) => (k + 1) * SWEEP_MS): number[] {
  const perSweep: number[] = [];
  let timeouts = 0;
  let lastTick = sweepTick(0, HB);
  for (let k = 0, now = sweepAtMs(0); now <= untilMs; k++, now = sweepAtMs(k)) {
    const span = { fromTick: lastTick, toTick: sweepTick(now, HB) };
    lastTick = span.toTick;
    let pings = 0;
    for (const c of conns) {
      const v = livenessAt(span, now, c.lastSeenMs, HB, c.id);
      if (v === 'timeout') timeouts++;
      if (v === 'ping') {
        c.longestSilenceAtPingMs = Math.max(c.longestSilenceAtPingMs, now - c.lastSeenMs);
        c.lastSeenMs = now + 1;
        c.pings++;
        pings++;
      }
    }
    perSweep.push(pings);
  }
  // A client that answers is never cut off.
  expect(timeouts).toBe(0);
  return perSweep;
}

describe('livenessAt', () => {
  it('pings a client that went silent within 1.8 heartbeats and cuts it off after 2.4 and within 2.5', () => {
    // Every turn of the cycle, and the client going quiet just before, at or after its sweep.
    for (let id = 1; id <= 2 * PING_CYCLE_SWEEPS; id++) {
      for (const quietAtMs of [0, 10, 149, 150, 700, 1234]) {
        const pingsAtMs: number[] = [];
        let timeoutAtMs: number | undefined;
        let lastTick = sweepTick(0, HB);
        for (let now = SWEEP_MS; timeoutAtMs === undefined; now += SWEEP_MS) {
          const span = { fromTick: lastTick, toTick: sweepTick(now, HB) };
          lastTick = span.toTick;
          if (now < quietAtMs) continue;
          const v = livenessAt(span, now, quietAtMs, HB, id);
          if (v === 'ping') pingsAtMs.push(now);
          else if (v === 'timeout') timeoutAtMs = now;
        }
        expect(pingsAtMs.length).toBeGreaterThanOrEqual(1);
        const firstSilenceMs = pingsAtMs[0]! - quietAtMs;
        expect(firstSilenceMs).toBeGreaterThanOrEqual(0.2 * HB);
        expect(firstSilenceMs).toBeLessThanOrEqual(1.8 * HB);
        const cutAfterMs = timeoutAtMs - quietAtMs;
        expect(cutAfterMs).toBeGreaterThan(TIMEOUT_HEARTBEATS * HB);
        expect(cutAfterMs).toBeLessThanOrEqual(2.5 * HB);
        // It had at least 0.6 heartbeats to answer its first ping.
        expect(timeoutAtMs - pingsAtMs[0]!).toBeGreaterThan(0.6 * HB);
      }
    }
  });

  it('leaves alone a client that talks every quarter second', () => {
    let lastTick = 0;
    for (let now = SWEEP_MS; now < 60_000; now += SWEEP_MS) {
      const span = { fromTick: lastTick, toTick: sweepTick(now, HB) };
      lastTick = span.toTick;
      expect(livenessAt(span, now, now - 250, HB, 7)).toBe('alive');
    }
  });

  it('pings a quiet client that answers once every 1.6 heartbeats (the half-heartbeat sweep: 1.5 and its lateness)', () => {
    const conns = quietConns(100);
    const spanMs = 600_000;
    sweepQuiet(conns, spanMs);
    for (const c of conns) expect(Math.abs(c.pings - spanMs / (1.6 * HB))).toBeLessThanOrEqual(1);
  });

  it('never pings more than a sixteenth of the connections in one sweep, even all last heard at one instant', () => {
    const conns = quietConns(4000);
    const perSweep = sweepQuiet(conns, 60_000);
    expect(Math.max(...perSweep)).toBeLessThanOrEqual(Math.ceil(4000 / PING_CYCLE_SWEEPS));
    // After the first fifth of a heartbeat, every sweep pings its share: the pings are spread, not bunched.
    expect(Math.min(...perSweep.slice(3))).toBeGreaterThanOrEqual(Math.floor(4000 / PING_CYCLE_SWEEPS));
    for (const c of conns) expect(c.pings).toBeGreaterThanOrEqual(24);
  });

  it('keeps the turns by the clock when the sweeps run late: every client is pinged in time, none cut off', () => {
    const conns = quietConns(300);
    // Each sweep 0–40 ms late, and every 50th sweep held up by a stall of a second.
    let atMs = 0;
    const times: number[] = [];
    for (let k = 0; atMs < 120_000; k++) {
      atMs += SWEEP_MS + ((k * 37) % 41) + (k % 50 === 49 ? 1000 : 0);
      times.push(atMs);
    }
    const perSweep = sweepQuiet(conns, 120_000, (k) => times[k] ?? Infinity);
    for (const c of conns) {
      // Pinged by 1.8 heartbeats of silence, plus how late one sweep ran.
      expect(c.longestSilenceAtPingMs).toBeLessThanOrEqual(1.8 * HB + 1000 + 40 + SWEEP_MS);
      expect(c.pings).toBeGreaterThanOrEqual(120_000 / (1.8 * HB + 1000) - 1);
    }
    // A sweep that stands for several periods pings those periods' turns, no more.
    expect(Math.max(...perSweep)).toBeLessThanOrEqual(Math.ceil((300 * 9) / PING_CYCLE_SWEEPS));
  });
});
