/**
 * The Janus client's own rules, against a WebSocket server on 127.0.0.1
 * that the test scripts (a real Janus is in test/e2e/sfu-room.test.ts):
 * an unreachable Janus is an error that says what to check; frames that do
 * not validate are dropped and counted, never acted on; a VideoRoom error
 * rejects with its code; an existing room (427) is not an error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { openNodeSocket } from '../../../src/engine/signaling/node-socket.js';
import { ensureAudioRoom, JanusError, JanusSession } from '../../../src/engine/sfu/janus-client.js';

let server: WebSocketServer | undefined;
const sessions: JanusSession[] = [];

afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  await new Promise<void>((r) => (server === undefined ? r() : server.close(() => r())));
  server = undefined;
});

/** A scripted Janus: `reply` answers each request (or not), `push` sends anything. */
async function scripted(reply: (req: Record<string, unknown>, ws: WebSocket) => void): Promise<string> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p) => (p.has('janus-protocol') ? 'janus-protocol' : false) });
  server.on('connection', (ws) => ws.on('message', (raw) => reply(JSON.parse(String(raw)) as Record<string, unknown>, ws)));
  await new Promise((r) => server!.once('listening', r));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const send = (ws: WebSocket, frame: unknown): void => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));

describe('JanusSession', () => {
  it('an unreachable Janus rejects with a message naming the address and what to check', async () => {
    const url = await scripted(() => undefined);
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const err = await JanusSession.connect(url, { openSocket: openNodeSocket }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JanusError);
    expect((err as Error).message).toMatch(new RegExp(`cannot reach Janus at ${url}.*is it running`));
  });

  it('drops frames that do not validate, then goes on with valid ones', async () => {
    const url = await scripted((req, ws) => {
      if (req.janus === 'create') {
        send(ws, 'not json');
        send(ws, { janus: 'success', transaction: req.transaction, data: { id: 'seven' } });
        send(ws, { janus: 'success', transaction: req.transaction, data: { id: 7 } });
      } else if (req.janus === 'attach') {
        send(ws, { janus: 'success', transaction: req.transaction, data: { id: 11 } });
      } else if (req.janus === 'message') {
        send(ws, { janus: 'ack', transaction: req.transaction });
        // An event whose plugin data is not VideoRoom's shape, for the handle: dropped and counted.
        send(ws, { janus: 'event', sender: 11, plugindata: { plugin: 'janus.plugin.videoroom', data: { videoroom: 42 } } });
        send(ws, { janus: 'event', sender: 11, transaction: req.transaction, plugindata: { plugin: 'janus.plugin.videoroom', data: { videoroom: 'joined', room: 5, id: 99, publishers: [{ id: 3, display: 'p3' }] } } });
      } else if (req.janus === 'destroy') {
        send(ws, { janus: 'success', transaction: req.transaction });
      }
    });
    const s = await JanusSession.connect(url, { openSocket: openNodeSocket });
    sessions.push(s);
    // 'not json' came before the session existed: dropped without a count; 'seven' failed validation the same way.
    expect(s.sessionId).toBe(7);
    const events: unknown[] = [];
    const handle = await s.attach({ onEvent: (d) => events.push(d) });
    expect(handle).toBe(11);
    const reply = await s.message(handle, { request: 'join', ptype: 'publisher', room: 5, display: 'p1' });
    expect(reply.data).toMatchObject({ videoroom: 'joined', id: 99, publishers: [{ id: 3, display: 'p3' }] });
    expect(events).toEqual([]);
    expect(s.malformedFrames).toBe(1);
  });

  it('a VideoRoom error rejects with its code; an existing room (427) is fine for ensureAudioRoom', async () => {
    const created: unknown[] = [];
    const url = await scripted((req, ws) => {
      if (req.janus === 'create') send(ws, { janus: 'success', transaction: req.transaction, data: { id: 1 } });
      else if (req.janus === 'attach') send(ws, { janus: 'success', transaction: req.transaction, data: { id: 2 } });
      else if (req.janus === 'message') {
        const body = req.body as Record<string, unknown>;
        created.push(body);
        const data = body.room === 1 ? { videoroom: 'event', error_code: 427, error: 'Room 1 already exists' } : { videoroom: 'event', error_code: 426, error: 'No such room' };
        send(ws, { janus: 'success', transaction: req.transaction, plugindata: { plugin: 'janus.plugin.videoroom', data } });
      } else if (req.janus === 'destroy') send(ws, { janus: 'success', transaction: req.transaction });
    });
    const s = await JanusSession.connect(url, { openSocket: openNodeSocket });
    sessions.push(s);
    const handle = await s.attach();
    await expect(ensureAudioRoom(s, handle, 1, 12)).resolves.toBeUndefined();
    expect(created[0]).toMatchObject({ request: 'create', room: 1, publishers: 12, audiocodec: 'opus', is_private: false });
    const err = await s.message(handle, { request: 'join', room: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JanusError);
    expect((err as JanusError).code).toBe(426);
  });
});
