/**
 * Abuse limits of the signaling server. Every limit is answered with an
 * `error` message (and counted in the metrics), never a crash, and applies to
 * one connection or one IP only, so it never affects other rooms.
 */
export interface ServerLimits {
  /** Largest text frame (bytes) handled; bigger ones get `too-large`. */
  maxMessageBytes: number;
  /**
   * Frames above this are cut off by the WebSocket layer itself (close code
   * 1009) without being buffered: the memory bound against huge frames.
   */
  hardMaxFrameBytes: number;
  /** Per-connection message rate (token bucket). */
  messagesPerSec: number;
  messageBurst: number;
  /** Concurrent WebSocket connections from one IP address. */
  maxConnectionsPerIp: number;
  /** Joins from one IP address (token bucket). */
  joinsPerSecPerIp: number;
  joinBurstPerIp: number;
  /** Rooms in existence at once. */
  maxRooms: number;
  /** Outgoing bytes queued for one slow client before it is disconnected. */
  maxBufferedBytes: number;
  /** Knocks at locked rooms from one connection (token bucket, per minute). */
  knocksPerMinPerConnection: number;
  knockBurstPerConnection: number;
  /** Knocks at locked rooms from one IP address (token bucket, per minute). */
  knocksPerMinPerIp: number;
  knockBurstPerIp: number;
  /** Knocks pending at one room at once. */
  maxKnocksPerRoom: number;
  /** A knock nobody answers ends after this long (the newcomer is told nobody answered). */
  knockTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxMessageBytes: 64 * 1024,
  hardMaxFrameBytes: 1024 * 1024,
  // A join into a full room causes a burst of offer/answer/candidates for each
  // of up to 7 peers (~100 messages), then almost nothing.
  messagesPerSec: 50,
  messageBurst: 200,
  maxConnectionsPerIp: 16,
  joinsPerSecPerIp: 1,
  joinBurstPerIp: 20,
  maxRooms: 10_000,
  maxBufferedBytes: 1024 * 1024,
  // A person knocks once, maybe again after a typo or a timeout; members must
  // not be buried in prompts by someone who knocks in a loop.
  knocksPerMinPerConnection: 2,
  knockBurstPerConnection: 2,
  knocksPerMinPerIp: 6,
  knockBurstPerIp: 6,
  maxKnocksPerRoom: 8,
  knockTimeoutMs: 60_000,
});

export function resolveLimits(partial: Partial<ServerLimits> | undefined): ServerLimits {
  const limits = { ...DEFAULT_LIMITS, ...(partial ?? {}) };
  for (const [k, v] of Object.entries(limits)) {
    if (typeof v !== 'number' || !(v > 0)) throw new RangeError(`server limit ${k} must be a positive number, got ${String(v)}`);
  }
  if (limits.hardMaxFrameBytes < limits.maxMessageBytes) limits.hardMaxFrameBytes = limits.maxMessageBytes;
  return limits;
}
