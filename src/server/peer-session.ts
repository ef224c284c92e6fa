/**
 * One WebSocket connection on the server: its rate limiter, liveness and,
 * once joined, its place in a room (it is then the room member for its id).
 */
import type { WebSocket } from 'ws';
import type { Clock } from '../core/clock.js';
import type { ErrorCode } from '../protocol/index.js';
import type { DirectoryMember } from './directory.js';
import { SerialQueue } from './serial-queue.js';
import { TokenBucket } from './token-bucket.js';

export class PeerSession implements DirectoryMember {
  peerId = '';
  tokenHash = '';
  hello: string | undefined;
  roomId: string | undefined;
  /** The locked room this connection knocks at (not yet a member), if any. */
  knockingAt: string | undefined;
  /** Knocks from this connection (made on its first knock). */
  knocks: TokenBucket | undefined;
  lastSeenMs: number;
  /** Set when the session ended for a known reason (timeout, replaced, shutdown, …). */
  endReason: 'timeout' | 'replaced' | 'shutdown' | 'too-slow' | 'evicted' | 'unavailable' | undefined;
  readonly bucket: TokenBucket;
  /** This connection's messages, knock outcome and close, one after another (serial-queue.ts). */
  readonly work: SerialQueue;
  private readonly lastNoticeMs = new Map<ErrorCode, number>();
  /** Sends since the last turn of the event loop sit in the socket until the turn ends (below). */
  private corked = false;
  /** Bytes sent while corked this turn: in `bufferedAmount`, but no sign of a slow reader. */
  private turnBytes = 0;

  constructor(
    readonly ws: WebSocket,
    readonly ip: string,
    readonly connId: number,
    private readonly clock: Clock,
    messagesPerSec: number,
    messageBurst: number,
    private readonly maxBufferedBytes: number,
    onWorkError: (err: unknown) => void,
    /** The connection's TCP socket (the upgrade request's), to batch what one turn of the loop sends on it. */
    private readonly socket?: { cork(): void; uncork(): void },
  ) {
    this.lastSeenMs = clock.now();
    this.work = new SerialQueue(onWorkError);
    this.bucket = new TokenBucket(clock, messagesPerSec, messageBurst);
  }

  get joined(): boolean {
    return this.roomId !== undefined;
  }

  send(frame: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    // A client that does not read its socket must not make the server buffer
    // without bound: cut it off (its peers are told it left). What this turn
    // sent is corked, not unread: only what earlier turns left behind counts
    // (a client that sends a burst gets the burst's replies in one turn, and
    // those alone could pass the limit: test/server/peer-session.test.ts).
    if (this.ws.bufferedAmount - this.turnBytes > this.maxBufferedBytes) {
      this.endReason = 'too-slow';
      this.ws.terminate();
      return;
    }
    // A room's burst (an offer, a stream of candidates from each peer) reaches a
    // member as dozens of frames in one turn of the loop: held in the socket
    // until the turn's I/O is handled, they leave in one write instead of one
    // system call each (writev was the server's biggest cost under load,
    // bench/results.md). Nothing waits longer than the turn it was sent in.
    if (this.socket !== undefined && !this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(() => {
        this.corked = false;
        this.turnBytes = 0;
        this.socket!.uncork();
      });
    }
    if (this.corked) this.turnBytes += Buffer.byteLength(frame);
    this.ws.send(frame);
  }

  /**
   * Whether an error notice for `code` may be sent/logged now: at most one per
   * `intervalMs` per code, so a flood is not answered with a flood.
   */
  mayNotify(code: ErrorCode, intervalMs: number): boolean {
    const now = this.clock.now();
    const last = this.lastNoticeMs.get(code);
    if (last !== undefined && now - last < intervalMs) return false;
    this.lastNoticeMs.set(code, now);
    return true;
  }
}
