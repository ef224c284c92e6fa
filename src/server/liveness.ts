/**
 * A connection's liveness, decided at each heartbeat sweep (server.ts). The
 * sweep runs ten times a heartbeat. Each connection has its own sweep in a
 * cycle of 15 (1.5 heartbeats): there it is pinged if it has been quiet for a
 * quarter of a heartbeat. At any sweep it is cut off once it has been silent
 * for 2.4 heartbeats, so a dead client is gone within 2.5 heartbeats (3.75 s
 * by default, inside the 5 s the spec allows), and a live one has at least
 * 0.65 heartbeats to answer its ping. One ping is enough: TCP does not lose
 * it.
 *
 * Why each connection has its own sweep: a sweep every half heartbeat that
 * pinged every connection silent for a whole one sent the pings of thousands
 * of connections in one turn of the loop, and their pongs came back in one
 * burst (4,000 quiet clients on a node: a stall of the node's loop that every
 * signal behind it waited out; docs/architecture.md §5, "Heartbeats";
 * bench/results.md). Here a sweep pings at most a fifteenth of the
 * connections, however they came to be in step, and a quiet client is pinged
 * once every 1.5 heartbeats, as often as the old sweep pinged it (its pong
 * came just after a sweep, so two sweeps later it was silent for just under
 * a heartbeat and waited for the third).
 */

/** Sweeps per heartbeat period. */
export const SWEEPS_PER_HEARTBEAT = 10;

/** The cycle of sweeps in which each connection has one: 1.5 heartbeats, the quiet connection's ping period. */
export const PING_CYCLE_SWEEPS = 15;

/** Quiet this long (heartbeats) at its sweep, a connection is pinged: at most 0.25 + 1.5 heartbeats after it went quiet. */
const PING_AFTER_HEARTBEATS = 0.25;

/** Silent this long (heartbeats), a connection is cut off. */
export const TIMEOUT_HEARTBEATS = 2.4;

export type LivenessVerdict = 'timeout' | 'ping' | 'alive';

/** What sweep number `sweep`, at `nowMs`, does with connection `connId`, last heard at `lastSeenMs`. */
export function livenessAt(sweep: number, nowMs: number, lastSeenMs: number, heartbeatMs: number, connId: number): LivenessVerdict {
  const silentMs = nowMs - lastSeenMs;
  if (silentMs > TIMEOUT_HEARTBEATS * heartbeatMs) return 'timeout';
  if (sweep % PING_CYCLE_SWEEPS === connId % PING_CYCLE_SWEEPS && silentMs >= PING_AFTER_HEARTBEATS * heartbeatMs) return 'ping';
  return 'alive';
}
