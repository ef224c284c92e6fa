/** The signaling socket over `ws` (signaling/socket.ts), for Node. */
import { WebSocket } from 'ws';
import type { SignalSocket, SignalSocketOpener } from './socket.js';

export const openNodeSocket: SignalSocketOpener = (url, handlers, options): SignalSocket => {
  const ws = new WebSocket(url, options.protocol === undefined ? [] : [options.protocol], { handshakeTimeout: options.handshakeTimeoutMs, maxPayload: options.maxPayloadBytes });
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  ws.on('open', () => handlers.onOpen());
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      handlers.onBinary();
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as Buffer).toString('utf8');
    handlers.onText(text);
  });
  ws.on('error', (err) => handlers.onError(err.message));
  ws.on('close', (code, reason) => {
    handlers.onClose(code, reason.toString());
    resolveClosed();
  });
  return {
    get isOpen() {
      return ws.readyState === WebSocket.OPEN;
    },
    get isClosed() {
      return ws.readyState === WebSocket.CLOSED;
    },
    closed,
    send: (text) => ws.send(text),
    close: (reason) => {
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, reason);
    },
    terminate: () => ws.terminate(),
  };
};
