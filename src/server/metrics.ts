/** Counters the server exposes at GET /metrics (JSON). */
import type { ErrorCode } from '../protocol/index.js';

export interface MetricsSnapshot {
  rooms: number;
  peers: number;
  connections: number;
  messagesReceived: number;
  messagesRelayed: number;
  messagesRejected: Partial<Record<ErrorCode, number>>;
  /** Clients cut off because they left more than `maxBufferedBytes` unread (peer-session.ts). */
  clientsTooSlow: number;
  uptimeMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** This node's name when it shares rooms through Redis (then rooms and peers count only this node's). */
  node?: string;
}

export class ServerCounters {
  messagesReceived = 0;
  messagesRelayed = 0;
  clientsTooSlow = 0;
  readonly rejected = new Map<ErrorCode, number>();

  reject(code: ErrorCode): void {
    this.rejected.set(code, (this.rejected.get(code) ?? 0) + 1);
  }

  rejectedObject(): Partial<Record<ErrorCode, number>> {
    return Object.fromEntries(this.rejected) as Partial<Record<ErrorCode, number>>;
  }
}
