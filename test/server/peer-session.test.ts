/**
 * PeerSession.send's slow-reader cut-off against per-turn corking: what one
 * turn sends sits corked in the socket (and in ws's bufferedAmount) until
 * the turn ends, which says nothing about whether the client reads; only
 * what earlier turns left unsent does.
 */
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { ManualClock } from '../../src/core/clock.js';
import { PeerSession } from '../../src/server/peer-session.js';

/** A socket whose buffer holds everything sent until `drain(bytes)` (the client reading) takes it. */
class FakeSocket {
  bufferedAmount = 0;
  terminated = false;
  readonly OPEN = 1;
  readyState = 1;
  send(frame: string): void {
    this.bufferedAmount += Buffer.byteLength(frame);
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
  drain(bytes: number): void {
    this.bufferedAmount = Math.max(0, this.bufferedAmount - bytes);
  }
}

const LIMIT = 100_000;
const FRAME = 'x'.repeat(1000);
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function session(ws: FakeSocket): PeerSession {
  const tcp = { cork() {}, uncork() {} };
  return new PeerSession(ws as unknown as WebSocket, '127.0.0.1', 1, new ManualClock(), 1e6, 1e6, LIMIT, () => undefined, tcp);
}

describe('PeerSession slow-reader cut-off with per-turn corking', () => {
  it('a burst of replies within one turn, over the limit, does not cut a client off', async () => {
    const ws = new FakeSocket();
    const s = session(ws);
    for (let i = 0; i < 300; i++) s.send(FRAME); // 300 kB in one turn, 3× the limit
    expect(ws.terminated).toBe(false);
    expect(s.endReason).toBeUndefined();
    await nextTurn();
    ws.drain(300_000); // the client read it
    for (let i = 0; i < 300; i++) s.send(FRAME);
    expect(ws.terminated).toBe(false);
  });

  it('what earlier turns left unread, over the limit, cuts the client off as too slow', async () => {
    const ws = new FakeSocket();
    const s = session(ws);
    for (let i = 0; i < 150; i++) s.send(FRAME); // 150 kB this turn
    await nextTurn(); // uncorked; the client reads nothing
    s.send(FRAME);
    expect(ws.terminated).toBe(true);
    expect(s.endReason).toBe('too-slow');
  });

  it('without a socket to cork, everything buffered counts', () => {
    const ws = new FakeSocket();
    const s = new PeerSession(ws as unknown as WebSocket, '127.0.0.1', 1, new ManualClock(), 1e6, 1e6, LIMIT, () => undefined);
    for (let i = 0; i < 101; i++) s.send(FRAME);
    s.send(FRAME);
    expect(ws.terminated).toBe(true);
  });
});
