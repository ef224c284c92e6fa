/**
 * What a join script returns is untrusted like everything from Redis
 * (docs/architecture.md §5): the room's SFU route must parse, or the reply
 * fails rather than put the newcomer on another path than the room's.
 */
import { describe, expect, it } from 'vitest';
import { parseJoinReply } from '../../src/server/cluster-messages.js';

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
