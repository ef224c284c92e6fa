/**
 * Behind a reverse proxy the per-address limits count clients, not the
 * proxy: a proxy named with `trustedProxies` is believed about the client's
 * address (the last X-Forwarded-For entry), anyone else's header is ignored.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encodeMessage, parseServerMessage } from '../../src/protocol/index.js';
import { startSignalingServer, type SignalingServer } from '../../src/server/server.js';

let server: SignalingServer | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await server?.close();
  server = undefined;
});

/** Connect with an X-Forwarded-For header; resolves with the server's first error code, or 'open' if none within 300 ms. */
function connect(forwardedFor: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(server!.url, { headers: { 'x-forwarded-for': forwardedFor } });
    sockets.push(ws);
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      const m = parseServerMessage(String(data));
      if (m.ok && m.message.type === 'error') resolve(m.message.code);
    });
    ws.on('open', () => {
      ws.send(encodeMessage({ type: 'ping' }));
      setTimeout(() => resolve('open'), 300);
    });
  });
}

describe('client addresses behind a trusted proxy', () => {
  it('counts connections per forwarded client when the proxy is trusted', async () => {
    server = await startSignalingServer({ host: '127.0.0.1', port: 0, webRoot: false, limits: { maxConnectionsPerIp: 1 }, trustedProxies: ['127.0.0.1'] });
    expect(await connect('192.0.2.1')).toBe('open');
    // A client-supplied entry before the proxy's own is not believed: this is 192.0.2.2.
    expect(await connect('192.0.2.1, 192.0.2.2')).toBe('open');
    expect(await connect('203.0.113.9, 192.0.2.1')).toBe('too-many-connections');
  });

  it('ignores the header from an address that is not a trusted proxy', async () => {
    server = await startSignalingServer({ host: '127.0.0.1', port: 0, webRoot: false, limits: { maxConnectionsPerIp: 1 } });
    expect(await connect('192.0.2.1')).toBe('open');
    expect(await connect('192.0.2.2')).toBe('too-many-connections');
  });
});
