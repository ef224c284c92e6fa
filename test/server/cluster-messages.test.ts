/**
 * What a join script returns is untrusted like everything from Redis
 * (docs/architecture.md §5): the room's SFU route must parse, or the reply
 * fails rather than put the newcomer on another path than the room's.
 */
import { describe, expect, it } from 'vitest';
import { MAX_RELAYS_PER_BATCH, parseBusMessage, parseJoinReply, parseRelayReply } from '../../src/server/cluster-messages.js';

const joined = (route: string, switched = '') => ['joined', 0, 0, 0, 2, [], [], route, switched];

describe('parseJoinReply: the room\'s path', () => {
  it('reads the mesh (no route) and an SFU route, with the path the join switched to', () => {
    expect(parseJoinReply(joined(''))).toMatchObject({ ok: true, value: { kind: 'joined', sfu: undefined, switched: undefined } });
    const route = { v: 1, janus: 'ws://198.18.0.1:8188', publishers: 12, auto: true };
    expect(parseJoinReply(joined(JSON.stringify(route), 'sfu'))).toMatchObject({ ok: true, value: { sfu: route, switched: 'sfu' } });
  });

  it('fails on a route that is not one, and on an unknown path', () => {
    for (const bad of ['{', '{"v":2,"janus":"ws://x","publishers":12}', '{"v":1,"janus":"http://x","publishers":12}']) expect(parseJoinReply(joined(bad)).ok).toBe(false);
    expect(parseJoinReply(joined('', 'turn')).ok).toBe(false);
  });
});

describe('a batch of signals on a node\'s channel, and the relay script\'s answer', () => {
  const room = 'cm9vbS1yb29tLXJvb20tMQ';
  const peer = 'cGVlci1wZWVyLXBlZXItMQ';

  it('reads each signal of a batch: room, connection, sender, payload', () => {
    const raw = JSON.stringify({ t: 'signals', s: [[room, 3, peer, 'AAAA'], [room, 4, peer, 'BBBB']] });
    expect(parseBusMessage(raw)).toEqual({ ok: true, value: { t: 'signals', s: [[room, 3, peer, 'AAAA'], [room, 4, peer, 'BBBB']] } });
  });

  it('refuses an empty or oversized batch, a payload that is not base64url, a sender that is no peer id, a bad connection', () => {
    const batch = (s: unknown[]) => parseBusMessage(JSON.stringify({ t: 'signals', s })).ok;
    expect(batch([])).toBe(false);
    expect(batch(Array.from({ length: MAX_RELAYS_PER_BATCH + 1 }, () => [room, 3, peer, 'AAAA']))).toBe(false);
    expect(batch(Array.from({ length: MAX_RELAYS_PER_BATCH }, () => [room, 3, peer, 'AAAA']))).toBe(true);
    expect(batch([[room, 3, peer, '"}']])).toBe(false);
    expect(batch([[room, 3, 'x', 'AAAA']])).toBe(false);
    expect(batch([[room, 0, peer, 'AAAA']])).toBe(false);
    expect(batch([[room, 3, peer]])).toBe(false);
  });

  it('reads one answer per signal, and refuses any other count or character', () => {
    expect(parseRelayReply('101', 3)).toEqual({ ok: true, value: '101' });
    expect(parseRelayReply('10', 3).ok).toBe(false);
    expect(parseRelayReply('1012', 4).ok).toBe(false);
    expect(parseRelayReply(1, 1).ok).toBe(false);
    expect(parseRelayReply('', 0).ok).toBe(false);
  });
});
