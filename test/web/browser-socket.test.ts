import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SignalSocketHandlers } from '../../src/engine/signaling/socket.js';
import { openBrowserSocket } from '../../src/web/browser-socket.js';

/**
 * The browser WebSocket as the WHATWG spec defines the parts used here:
 * close() accepts only code 1000 or 3000–4999 and a reason of at most 123
 * bytes (else it throws); close() on a CONNECTING socket fails the
 * connection, which later fires `error` then `close` (1006). Events are
 * delivered when the test says so, like network events.
 */
class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static instances: FakeWebSocket[] = [];

  readyState = FakeWebSocket.CONNECTING;
  readonly sent: string[] = [];
  readonly closeCalls: Array<{ code?: number; reason?: string }> = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string; wasClean: boolean }) => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }

  send(text: string): void {
    if (this.readyState === FakeWebSocket.CONNECTING) throw new DOMException('Still in CONNECTING state.', 'InvalidStateError');
    this.sent.push(text);
  }

  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
      throw new DOMException(`The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`, 'InvalidAccessError');
    }
    if (reason !== undefined && new TextEncoder().encode(reason).length > 123) throw new DOMException('The close reason must not be greater than 123 UTF-8 bytes.', 'SyntaxError');
    this.closeCalls.push({ code, reason });
    if (this.readyState === FakeWebSocket.CLOSING || this.readyState === FakeWebSocket.CLOSED) return;
    this.readyState = FakeWebSocket.CLOSING;
  }

  // ---- what the network does ----
  serverAccepts(): void {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.({});
  }

  receive(data: unknown): void {
    // The spec drops messages that arrive once the socket is no longer OPEN.
    if (this.readyState !== FakeWebSocket.OPEN) return;
    this.onmessage?.({ data });
  }

  /** The connection failed (or was failed by close() while CONNECTING): error, then close 1006. */
  fail(): void {
    this.readyState = FakeWebSocket.CLOSED;
    this.onerror?.({});
    this.onclose?.({ code: 1006, reason: '', wasClean: false });
  }

  /** The closing handshake completed. */
  closedCleanly(code: number, reason: string): void {
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.({ code, reason, wasClean: true });
  }
}

type Call = [string, ...unknown[]];

function recordingHandlers(): { calls: Call[]; handlers: SignalSocketHandlers } {
  const calls: Call[] = [];
  return {
    calls,
    handlers: {
      onOpen: () => calls.push(['open']),
      onText: (t) => calls.push(['text', t]),
      onBinary: () => calls.push(['binary']),
      onError: (m) => calls.push(['error', m]),
      onClose: (c, r) => calls.push(['close', c, r]),
    },
  };
}

const OPTIONS = { handshakeTimeoutMs: 5000, maxPayloadBytes: 64 };
const URL = 'wss://rt.example.org/signal';

function open(): { ws: FakeWebSocket; calls: Call[]; socket: ReturnType<typeof openBrowserSocket> } {
  const { calls, handlers } = recordingHandlers();
  const socket = openBrowserSocket(URL, handlers, OPTIONS);
  const ws = FakeWebSocket.instances.at(-1)!;
  return { ws, calls, socket };
}

/** Whether a promise has settled, without waiting on wall time. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

beforeEach(() => {
  FakeWebSocket.instances = [];
  vi.useFakeTimers();
  vi.stubGlobal('WebSocket', FakeWebSocket);
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('openBrowserSocket', () => {
  it('connects to the URL and reports the open', () => {
    const { ws, calls, socket } = open();
    expect(ws.url).toBe(URL);
    expect(socket.isOpen).toBe(false);
    expect(socket.isClosed).toBe(false);
    ws.serverAccepts();
    expect(calls).toEqual([['open']]);
    expect(socket.isOpen).toBe(true);
    socket.send('{"type":"join"}');
    expect(ws.sent).toEqual(['{"type":"join"}']);
  });

  it('passes text frames on and counts anything else as binary', () => {
    const { ws, calls } = open();
    ws.serverAccepts();
    ws.receive('{"type":"joined"}');
    ws.receive(new ArrayBuffer(4));
    ws.receive(new Blob(['x']));
    expect(calls).toEqual([['open'], ['text', '{"type":"joined"}'], ['binary'], ['binary']]);
  });

  it('refuses a frame over the limit: error, a close the browser accepts, no text', () => {
    const { ws, calls, socket } = open();
    ws.serverAccepts();
    ws.receive('x'.repeat(OPTIONS.maxPayloadBytes)); // at the limit: fine
    expect(() => ws.receive('x'.repeat(OPTIONS.maxPayloadBytes + 1))).not.toThrow();
    expect(calls).toEqual([['open'], ['text', 'x'.repeat(64)], ['error', 'frame larger than allowed']]);
    // The socket really starts closing (a code the browser rejects would throw and leave it open).
    expect(ws.closeCalls).toHaveLength(1);
    expect(ws.readyState).toBe(FakeWebSocket.CLOSING);
    expect(socket.isOpen).toBe(false);
    ws.closedCleanly(ws.closeCalls[0]!.code!, ws.closeCalls[0]!.reason!);
    expect(calls.at(-1)?.[0]).toBe('close');
    expect(socket.isClosed).toBe(true);
  });

  it('gives up a handshake that gets no answer: one error, one close, nothing after', async () => {
    const { ws, calls, socket } = open();
    vi.advanceTimersByTime(OPTIONS.handshakeTimeoutMs - 1);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual([
      ['error', 'no answer within 5000 ms'],
      ['close', 1006, 'handshake timeout'],
    ]);
    expect(socket.isClosed).toBe(true);
    expect(await settled(socket.closed)).toBe(true);
    // close() on a CONNECTING socket fails it: the browser fires error and close later.
    expect(ws.closeCalls).toHaveLength(1);
    ws.fail();
    // onClose is the last call (socket.ts): the late browser events add nothing.
    expect(calls).toHaveLength(2);
  });

  it('does not time out a handshake that completed', () => {
    const { ws, calls } = open();
    ws.serverAccepts();
    vi.advanceTimersByTime(OPTIONS.handshakeTimeoutMs * 2);
    expect(calls).toEqual([['open']]);
    expect(ws.closeCalls).toEqual([]);
  });

  it('reports a failed connection as an error, then the close the browser gives', async () => {
    const { ws, calls, socket } = open();
    expect(await settled(socket.closed)).toBe(false);
    ws.fail();
    expect(calls).toEqual([
      ['error', 'the connection failed (server down, wrong address, or blocked)'],
      ['close', 1006, ''],
    ]);
    expect(await settled(socket.closed)).toBe(true);
    // The handshake timer went with it.
    vi.advanceTimersByTime(OPTIONS.handshakeTimeoutMs);
    expect(calls).toHaveLength(2);
  });

  it('close() starts the closing handshake; onClose waits for its end', async () => {
    const { ws, calls, socket } = open();
    ws.serverAccepts();
    socket.close('bye');
    expect(ws.closeCalls).toEqual([{ code: 1000, reason: 'bye' }]);
    expect(socket.isOpen).toBe(false);
    expect(socket.isClosed).toBe(false);
    expect(await settled(socket.closed)).toBe(false);
    ws.closedCleanly(1000, 'bye');
    expect(calls).toEqual([['open'], ['close', 1000, 'bye']]);
    expect(socket.isClosed).toBe(true);
    expect(await settled(socket.closed)).toBe(true);
  });

  it('terminate() finishes at once and ignores the close event that follows', async () => {
    const { ws, calls, socket } = open();
    ws.serverAccepts();
    socket.terminate();
    expect(calls).toEqual([['open'], ['close', 1006, 'terminated']]);
    expect(socket.isClosed).toBe(true);
    expect(await settled(socket.closed)).toBe(true);
    ws.closedCleanly(1000, '');
    socket.terminate();
    expect(calls).toHaveLength(2);
  });

  it('terminate() while connecting: the browser failing the connection afterwards adds nothing', () => {
    const { ws, calls, socket } = open();
    socket.terminate();
    ws.fail();
    expect(calls).toEqual([['close', 1006, 'terminated']]);
    vi.advanceTimersByTime(OPTIONS.handshakeTimeoutMs);
    expect(calls).toHaveLength(1);
  });

  it('a server-initiated close is reported once with its code and reason', () => {
    const { ws, calls, socket } = open();
    ws.serverAccepts();
    ws.closedCleanly(4000, 'replaced by a newer connection');
    expect(calls).toEqual([['open'], ['close', 4000, 'replaced by a newer connection']]);
    expect(socket.isOpen).toBe(false);
    expect(socket.isClosed).toBe(true);
  });
});
