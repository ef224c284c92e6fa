import { describe, expect, it } from 'vitest';
import { livenessAt, PING_CYCLE_SWEEPS, SWEEPS_PER_HEARTBEAT, TIMEOUT_HEARTBEATS } from '../../src/server/liveness.js';

const HB = 1500;
const SWEEP_MS = HB / SWEEPS_PER_HEARTBEAT;

interface Conn {
  id: number;
  lastSeenMs: number;
  pings: number;
}

/** Sweep `conns` every SWEEP_MS up to `untilMs`; a pinged connection answers 1 ms later. Returns the pings of each sweep. */
function sweepQuiet(conns: Conn[], untilMs: number): number[] {
  const perSweep: number[] = [];
  let timeouts = 0;
  for (let sweep = 0, now = SWEEP_MS; now <= untilMs; sweep++, now += SWEEP_MS) {
    let pings = 0;
    for (const c of conns) {
      const v = livenessAt(sweep, now, c.lastSeenMs, HB, c.id);
      if (v === 'timeout') timeouts++;
      if (v === 'ping') {
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
  it('pings a client that went silent within 1.75 heartbeats, once, and cuts it off after 2.4 and within 2.5', () => {
    // Every phase: the client goes quiet just before, at or after its sweep.
    for (let id = 1; id <= 2 * PING_CYCLE_SWEEPS; id++) {
      for (const quietAtMs of [0, 10, 149, 150, 700, 1234]) {
        const pingsAtMs: number[] = [];
        let timeoutAtMs: number | undefined;
        for (let sweep = 0, now = SWEEP_MS; timeoutAtMs === undefined; sweep++, now += SWEEP_MS) {
          if (now < quietAtMs) continue;
          const v = livenessAt(sweep, now, quietAtMs, HB, id);
          if (v === 'ping') pingsAtMs.push(now);
          else if (v === 'timeout') timeoutAtMs = now;
        }
        expect(pingsAtMs.length).toBeGreaterThanOrEqual(1);
        const firstSilenceMs = pingsAtMs[0]! - quietAtMs;
        expect(firstSilenceMs).toBeGreaterThanOrEqual(0.25 * HB);
        expect(firstSilenceMs).toBeLessThanOrEqual(1.75 * HB);
        const cutAfterMs = timeoutAtMs - quietAtMs;
        expect(cutAfterMs).toBeGreaterThan(TIMEOUT_HEARTBEATS * HB);
        expect(cutAfterMs).toBeLessThanOrEqual(2.5 * HB);
        // It had at least 0.65 heartbeats to answer its first ping.
        expect(timeoutAtMs - pingsAtMs[0]!).toBeGreaterThan(0.65 * HB);
      }
    }
  });

  it('leaves alone a client that talks every few hundred milliseconds', () => {
    for (let sweep = 0, now = SWEEP_MS; now < 60_000; sweep++, now += SWEEP_MS) {
      expect(livenessAt(sweep, now, now - 300, HB, 7)).toBe('alive');
    }
  });

  it('pings a quiet client that answers once every 1.5 heartbeats, as the half-heartbeat sweep did', () => {
    const conns: Conn[] = Array.from({ length: 100 }, (_, i) => ({ id: i + 1, lastSeenMs: 0, pings: 0 }));
    const spanMs = 600_000;
    sweepQuiet(conns, spanMs);
    for (const c of conns) expect(Math.abs(c.pings - spanMs / (1.5 * HB))).toBeLessThanOrEqual(1);
  });

  it('never pings more than a fifteenth of the connections in one sweep, even all last heard at one instant', () => {
    const conns: Conn[] = Array.from({ length: 4000 }, (_, i) => ({ id: i + 1, lastSeenMs: 0, pings: 0 }));
    const perSweep = sweepQuiet(conns, 60_000);
    expect(Math.max(...perSweep)).toBeLessThanOrEqual(Math.ceil(4000 / PING_CYCLE_SWEEPS));
    // After the first quarter heartbeat, every sweep pings its share: the pings are spread, not bunched.
    expect(Math.min(...perSweep.slice(3))).toBeGreaterThanOrEqual(Math.floor(4000 / PING_CYCLE_SWEEPS));
    for (const c of conns) expect(c.pings).toBeGreaterThanOrEqual(25);
  });
});
