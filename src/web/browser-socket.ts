/**
 * The signaling socket (engine/signaling/socket.ts) over the browser's
 * WebSocket, so the page runs the very signaling client the terminal runs.
 * Browsers offer no handshake timeout and no hard abort: the timeout is a
 * timer here, and "terminate" is a close whose completion we do not await.
 */
import type { SignalSocket, SignalSocketOpener } from '../engine/signaling/socket.js';

export const openBrowserSocket: SignalSocketOpener = (url, handlers, options): SignalSocket => {
  const ws = options.protocol === undefined ? new WebSocket(url) : new WebSocket(url, options.protocol);
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let finished = false;
  const finish = (code: number, reason: string): void => {
    if (finished) return;
    finished = true;
    clearTimeout(handshakeTimer);
    handlers.onClose(code, reason);
    resolveClosed();
  };
  const handshakeTimer = setTimeout(() => {
    if (ws.readyState !== WebSocket.CONNECTING) return;
    handlers.onError(`no answer within ${options.handshakeTimeoutMs} ms`);
    ws.close();
    finish(1006, 'handshake timeout');
  }, options.handshakeTimeoutMs);
  // Once finished (timeout, terminate), a late browser event must not follow
  // onClose: closing a CONNECTING socket fails it, which fires error then close.
  ws.onopen = () => {
    if (finished) return;
    clearTimeout(handshakeTimer);
    handlers.onOpen();
  };
  ws.onmessage = (event: MessageEvent) => {
    if (finished) return;
    if (typeof event.data !== 'string') {
      handlers.onBinary();
      return;
    }
    if (event.data.length > options.maxPayloadBytes) {
      handlers.onError('frame larger than allowed');
      // Browsers accept only 1000 or 3000–4999 here (1009 throws InvalidAccessError): 4009 mirrors 1009.
      ws.close(4009, 'too large');
      return;
    }
    handlers.onText(event.data);
  };
  // The browser hides the cause of a failed connection; the close event follows.
  ws.onerror = () => {
    if (!finished) handlers.onError('the connection failed (server down, wrong address, or blocked)');
  };
  ws.onclose = (event: CloseEvent) => finish(event.code, event.reason);
  return {
    get isOpen() {
      return ws.readyState === WebSocket.OPEN;
    },
    get isClosed() {
      return finished || ws.readyState === WebSocket.CLOSED;
    },
    closed,
    send: (text) => ws.send(text),
    close: (reason) => ws.close(1000, reason),
    terminate: () => {
      ws.close();
      finish(1006, 'terminated');
    },
  };
};
