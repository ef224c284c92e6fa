/**
 * Test helper (not a test): a raw WebSocket client for the signaling server
 * that records every server message and lets a test await the next one of a
 * given type. Speaks the wire protocol directly so tests can also send junk.
 */
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { encodeMessage, parseServerMessage, type ClientMessageBody, type ServerMessage } from '../../src/protocol/index.js';

export const randomId = (): string => randomBytes(16).toString('base64url');
export const randomRoom = (): string => randomBytes(32).toString('base64url');

type Waiter = { type: string | undefined; resolve: (m: ServerMessage) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class RawClient {
  readonly ws: WebSocket;
  readonly received: ServerMessage[] = [];
  /** Server frames that failed the protocol schema (should stay empty). */
  readonly invalid: string[] = [];
  private unread: ServerMessage[] = [];
  private waiters: Waiter[] = [];
  /** When false the client ignores the server's pings (simulates a hung peer). */
  answerPings = true;
  closed: Promise<{ code: number; reason: string }>;
  readonly peerId = randomId();
  readonly token = randomId();

  private constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data) => {
      const parsed = parseServerMessage(String(data));
      if (!parsed.ok) {
        // Never throw inside a socket callback; tests assert this stays empty.
        this.invalid.push(parsed.error);
        return;
      }
      const m = parsed.message;
      if (m.type === 'ping' && this.answerPings) this.send({ type: 'pong', ts: m.ts });
      this.received.push(m);
      const i = this.waiters.findIndex((w) => w.type === undefined || w.type === m.type);
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        clearTimeout(w!.timer);
        w!.resolve(m);
      } else {
        this.unread.push(m);
      }
    });
  }

  static async open(url: string): Promise<RawClient> {
    const c = new RawClient(url);
    await new Promise<void>((resolve, reject) => {
      c.ws.once('open', () => resolve());
      c.ws.once('error', reject);
    });
    return c;
  }

  send(body: ClientMessageBody): void {
    this.ws.send(encodeMessage(body));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  join(roomId: string, hello?: string): void {
    this.send(hello === undefined ? { type: 'join', roomId, peerId: this.peerId, token: this.token } : { type: 'join', roomId, peerId: this.peerId, token: this.token, hello });
  }

  /** Next unread message of `type` (or of any type), waiting up to `timeoutMs`. */
  next<T extends ServerMessage['type']>(type?: T, timeoutMs = 3000): Promise<Extract<ServerMessage, { type: T }>> {
    const i = this.unread.findIndex((m) => type === undefined || m.type === type);
    if (i >= 0) return Promise.resolve(this.unread.splice(i, 1)[0] as Extract<ServerMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        type,
        resolve: resolve as (m: ServerMessage) => void,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${type ?? 'any message'}`));
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  /** Messages of `type` received so far and not yet consumed by next(). */
  unreadOf(type: ServerMessage['type']): ServerMessage[] {
    return this.unread.filter((m) => m.type === type);
  }

  async close(code = 1000): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(code);
    await this.closed;
  }
}

/** Every media-path message `c` got so far, oldest first (left unread): the path each one named. */
export function mediaPaths(c: RawClient): Array<'sfu' | 'mesh'> {
  return c.received.filter((m) => m.type === 'media-path').map((m) => ((m as Extract<ServerMessage, { type: 'media-path' }>).sfu === undefined ? 'mesh' : 'sfu'));
}

/** `c` asks to join `room` (as the room's first member, for the SFU with `sfu`); resolves with its `joined`. */
export async function joinRoom(c: RawClient, room: string, sfu = false): Promise<Extract<ServerMessage, { type: 'joined' }>> {
  c.send({ type: 'join', roomId: room, peerId: c.peerId, token: c.token, ...(sfu ? { sfu: true as const } : {}) });
  return c.next('joined');
}
