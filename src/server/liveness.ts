/**
 * A connection's liveness, decided at each heartbeat sweep (server.ts). The
 * sweep runs ten times a heartbeat. Each connection has its own turn in a
 * cycle of 16 sweeps (1.6 heartbeats): there it is pinged if it has been
 * quiet for a fifth of a heartbeat. At any sweep it is cut off once it has
 * been silent for 2.4 heartbeats, so a dead client is gone within 2.5
 * heartbeats (3.75 s by default, inside the 5 s the spec allows), and a live
 * one has at least 0.6 heartbeats to answer its ping. One ping is enough: TCP
 * does not lose it. Turns are kept by the clock: a sweep that runs late
 * stands for the periods it missed (`SweepSpan`).
 *
 * Why each connection has its own turn: a sweep every half heartbeat that
 * pinged every connection silent for a whole one sent the pings of thousands
 * of connections in one turn of the loop, and their pongs came back in one
 * burst (4,000 quiet clients on a node: a stall of the node's loop that every
 * signal behind it waited out; docs/architecture.md §5, "Heartbeats";
 * bench/results.md). Here a sweep pings at most a sixteenth of the
 * connections, however they came to be in step. A quiet client is pinged
 * every 1.6 heartbeats, about as often as the old sweep pinged it (its pong
 * came just after a sweep, so two sweeps later it was silent for just under
 * a heartbeat and waited for the third: 1.5 heartbeats and the sweeps'
 * lateness). A cycle of 1.5 heartbeats kept by the clock pinged 7 % more
 * often than that, and it showed in the CPU of nodes and clients.
 */

/** Sweeps per heartbeat period. */
export const SWEEPS_PER_HEARTBEAT = 10;

/** The cycle of sweeps in which each connection has one turn: 1.6 heartbeats, the quiet connection's ping period. */
export const PING_CYCLE_SWEEPS = 16;

/** Quiet this long (heartbeats) at its turn, a connection is pinged: at most 0.2 + 1.6 heartbeats after it went quiet. */
const PING_AFTER_HEARTBEATS = 0.2;

/** Silent this long (heartbeats), a connection is cut off. */
export const TIMEOUT_HEARTBEATS = 2.4;

export type LivenessVerdict = 'timeout' | 'ping' | 'alive';

/**
 * The sweeps a sweep stands for: the sweep periods (`floor(ms / period)`)
 * after `fromTick` up to `toTick`. A sweep that ran late (a loop held up)
 * stands for every period it missed, so no connection's turn is skipped and
 * each is pinged within its cycle by the clock, not by the count of sweeps.
 */
export interface SweepSpan {
  fromTick: number;
  toTick: number;
}

/** The sweep period's number at `nowMs`. */
export function sweepTick(nowMs: number, heartbeatMs: number): number {
  return Math.floor((nowMs * SWEEPS_PER_HEARTBEAT) / heartbeatMs);
}

/** Whether connection `connId`'s turn in the cycle falls in `span`. */
function turnIn(span: SweepSpan, connId: number): boolean {
  const ticks = span.toTick - span.fromTick;
  if (ticks >= PING_CYCLE_SWEEPS) return true;
  const fromTurn = (span.fromTick + 1) % PING_CYCLE_SWEEPS;
  return (((connId - fromTurn) % PING_CYCLE_SWEEPS) + PING_CYCLE_SWEEPS) % PING_CYCLE_SWEEPS < ticks;
}

/** What a sweep at `nowMs`, standing for `span`, does with connection `connId`, last heard at `lastSeenMs`. */
export function livenessAt(span: SweepSpan, nowMs: number, lastSeenMs: number, heartbeatMs: number, connId: number): LivenessVerdict {
  const silentMs = nowMs - lastSeenMs;
  if (silentMs > TIMEOUT_HEARTBEATS * heartbeatMs) return 'timeout';
  if (silentMs >= PING_AFTER_HEARTBEATS * heartbeatMs && turnIn(span, connId)) return 'ping';
  return 'alive';
}
