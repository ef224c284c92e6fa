import { describe, expect, it } from 'vitest';
import { encodeMessage, parseClientMessage, parseServerMessage, PROTOCOL_VERSION, type ServerMessageBody } from '../../src/protocol/messages.js';

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const ROOM = 'RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR';
const TOKEN = 'TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT';

describe('protocol messages', () => {
  it('carries the protocol version and round-trips each client message', () => {
    const bodies = [
      { type: 'join', roomId: ROOM, peerId: ID, token: TOKEN, hello: 'aGVsbG8' },
      { type: 'join', roomId: ROOM, peerId: ID, token: TOKEN, relock: [ID, 'BBBBBBBBBBBBBBBBBBBBBB'] as string[] },
      { type: 'signal', to: ID, payload: 'YmxvYg' },
      { type: 'lock' },
      { type: 'unlock' },
      { type: 'ping', ts: 5 },
      { type: 'pong' },
    ] as const;
    for (const body of bodies) {
      const frame = encodeMessage(body);
      expect(JSON.parse(frame).v).toBe(PROTOCOL_VERSION);
      const parsed = parseClientMessage(frame);
      expect(parsed).toEqual({ ok: true, message: { v: PROTOCOL_VERSION, ...body } });
    }
  });

  it('a relock list holds peer ids only', () => {
    const bad = parseClientMessage(JSON.stringify({ v: 1, type: 'join', roomId: ROOM, peerId: ID, token: TOKEN, relock: ['short'] }));
    expect(bad).toMatchObject({ ok: false, code: 'bad-message', error: expect.stringMatching(/^invalid relock\.0/) });
  });

  it('round-trips server messages', () => {
    const frame = encodeMessage({ type: 'joined', selfId: ID, peers: [{ id: ID, hello: 'aGk' }], locked: false, heartbeatMs: 1500, resumed: false });
    expect(parseServerMessage(frame).ok).toBe(true);
    const err = parseServerMessage(encodeMessage({ type: 'error', code: 'room-full', message: 'full' }));
    expect(err).toMatchObject({ ok: true, message: { type: 'error', code: 'room-full' } });
  });

  it('knock messages: admit/deny name a peer id; knocking, knock, knock-end and joined with knocks round-trip; bad outcomes are refused', () => {
    for (const body of [
      { type: 'admit', id: ID },
      { type: 'deny', id: ID },
    ] as const) {
      expect(parseClientMessage(encodeMessage(body))).toEqual({ ok: true, message: { v: PROTOCOL_VERSION, ...body } });
    }
    expect(parseClientMessage(encodeMessage({ type: 'admit', id: 'short' } as never))).toMatchObject({ ok: false, code: 'bad-message' });
    const serverBodies: ServerMessageBody[] = [
      { type: 'knocking', timeoutMs: 60_000 },
      { type: 'knock', id: ID, hello: 'c2VhbGVk' },
      { type: 'knock-end', id: ID, outcome: 'admitted', by: ID },
      { type: 'knock-end', id: ID, outcome: 'withdrawn' },
      { type: 'joined', selfId: ID, peers: [], locked: true, heartbeatMs: 1500, resumed: false, knocks: [{ id: ID, hello: 'c2VhbGVk' }] },
      { type: 'error', code: 'knock-denied', message: 'the room said no' },
      { type: 'error', code: 'knock-timeout', message: 'nobody answered within 60 s' },
    ];
    for (const body of serverBodies) {
      expect(parseServerMessage(encodeMessage(body))).toEqual({ ok: true, message: { v: PROTOCOL_VERSION, ...body } });
    }
    expect(parseServerMessage(encodeMessage({ type: 'knock-end', id: ID, outcome: 'maybe' } as never))).toMatchObject({ ok: false, code: 'bad-message' });
    expect(parseServerMessage(encodeMessage({ type: 'knocking', timeoutMs: 0 } as never))).toMatchObject({ ok: false, code: 'bad-message' });
  });

  it('classifies bad input instead of throwing', () => {
    expect(parseClientMessage('{nope')).toMatchObject({ ok: false, code: 'bad-json' });
    expect(parseClientMessage('[1,2]')).toMatchObject({ ok: false, code: 'bad-message' });
    expect(parseClientMessage('null')).toMatchObject({ ok: false, code: 'bad-message' });
    expect(parseClientMessage('{"type":"ping"}')).toMatchObject({ ok: false, code: 'unsupported-version' });
    expect(parseClientMessage('{"v":2,"type":"ping"}')).toMatchObject({ ok: false, code: 'unsupported-version' });
    expect(parseClientMessage('{"v":1,"type":"dance"}')).toMatchObject({ ok: false, code: 'bad-message' });
    const badTo = parseClientMessage(JSON.stringify({ v: 1, type: 'signal', to: 'x', payload: 'YQ' }));
    expect(badTo).toMatchObject({ ok: false, code: 'bad-message' });
    if (!badTo.ok) expect(badTo.error).toMatch(/^invalid to:/);
    expect(parseClientMessage(JSON.stringify({ v: 1, type: 'signal', to: ID, payload: 'x'.repeat(49 * 1024) }))).toMatchObject({ ok: false });
    expect(parseClientMessage(JSON.stringify({ v: 1, type: 'signal', to: ID, payload: 'a b' }))).toMatchObject({ ok: false });
    let deep = '1';
    for (let i = 0; i < 50_000; i++) deep = `[${deep}]`;
    expect(parseClientMessage(`{"v":1,"type":"ping","ts":${deep}}`).ok).toBe(false);
  });
});
