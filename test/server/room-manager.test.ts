import { describe, expect, it } from 'vitest';
import { RoomManager } from '../../src/server/room-manager.js';
import type { RoomMember } from '../../src/server/room.js';

function member(peerId: string, tokenHash = `hash-${peerId}`): RoomMember & { frames: string[] } {
  const frames: string[] = [];
  return { peerId, tokenHash, hello: undefined, frames, send: (f) => frames.push(f) };
}

describe('RoomManager', () => {
  it('creates a room on first join and removes it when empty', () => {
    const rm = new RoomManager(8, 10);
    const a = member('a');
    const b = member('b');
    expect(rm.join('r1', a)).toMatchObject({ ok: true, resumed: false });
    expect(rm.join('r1', b)).toMatchObject({ ok: true });
    expect(rm.roomCount).toBe(1);
    expect(rm.peerCount).toBe(2);
    expect(rm.get('r1')!.peerInfos('a')).toEqual([{ id: 'b' }]);
    expect(rm.leave('r1', a)).toBe(true);
    expect(rm.leave('r1', a)).toBe(false);
    expect(rm.leave('r1', b)).toBe(true);
    expect(rm.roomCount).toBe(0);
  });

  it('enforces lock, capacity and room count, but lets the same client resume its id', () => {
    const rm = new RoomManager(2, 1);
    const a = member('a');
    rm.join('r1', a);
    rm.join('r1', member('b'));
    expect(rm.join('r1', member('c'))).toMatchObject({ ok: false, code: 'room-full' });
    expect(rm.join('r2', member('d'))).toMatchObject({ ok: false, code: 'too-many-rooms' });
    rm.get('r1')!.setLocked(true);
    const a2 = member('a');
    const resumed = rm.join('r1', a2);
    expect(resumed).toMatchObject({ ok: true, resumed: true });
    if (resumed.ok) expect(resumed.replaced).toBe(a);
    // The replaced member leaving must not remove the new one.
    expect(rm.leave('r1', a)).toBe(false);
    expect(rm.get('r1')!.members.get('a')).toBe(a2);
    expect(rm.join('r1', member('a', 'other-hash'))).toMatchObject({ ok: false, code: 'peer-id-taken' });
    rm.leave('r1', a2);
    expect(rm.join('r1', member('e'))).toMatchObject({ ok: false, code: 'room-locked' });
  });

  it('lets a member whose connection dropped back into its locked room, with its own token only', () => {
    const rm = new RoomManager(8, 10);
    const a = member('a');
    const b = member('b');
    rm.join('r', a);
    rm.join('r', b);
    rm.get('r')!.setLocked(true);
    expect(rm.leave('r', b, false)).toBe(true); // dropped, not left
    expect(rm.join('r', member('b', 'someone-else'))).toMatchObject({ ok: false, code: 'room-locked' });
    expect(rm.join('r', member('b'))).toMatchObject({ ok: true, resumed: false });
    // Used up: after leaving on purpose it is a newcomer again.
    expect(rm.leave('r', rm.get('r')!.members.get('b')!, true)).toBe(true);
    expect(rm.join('r', member('b'))).toMatchObject({ ok: false, code: 'room-locked' });
    // Unlocking forgets who could return; anyone may enter.
    rm.get('r')!.setLocked(false);
    expect(rm.join('r', member('z'))).toMatchObject({ ok: true });
  });

  it('relock: the first member back at a restarted server locks the room in its join and the others it knew get in', () => {
    const rm = new RoomManager(8, 10);
    const a = rm.join('r', member('a'), ['b', 'c']);
    expect(a).toMatchObject({ ok: true, relocked: true });
    expect(rm.get('r')!.locked).toBe(true);
    expect(rm.join('r', member('newcomer'))).toMatchObject({ ok: false, code: 'room-locked' });
    // b returns (its token was never seen by this server: any token), listing a and c.
    expect(rm.join('r', member('b'), ['a', 'c'])).toMatchObject({ ok: true, relocked: false });
    expect(rm.join('r', member('c'), ['a', 'b'])).toMatchObject({ ok: true, relocked: false });
    expect(rm.get('r')!.size).toBe(3);
  });

  it('relock does not override a room that someone the rejoiner knew is still in (they may have unlocked it)', () => {
    const rm = new RoomManager(8, 10);
    rm.join('r', member('b'));
    expect(rm.join('r', member('a'), ['b'])).toMatchObject({ ok: true, relocked: false });
    expect(rm.get('r')!.locked).toBe(false);
  });

  it('relock race: a newcomer first at a restarted server is in; the first member back locks it again', () => {
    const rm = new RoomManager(8, 10);
    rm.join('r', member('n'));
    expect(rm.join('r', member('a'), ['b'])).toMatchObject({ ok: true, relocked: true });
    expect(rm.get('r')!.locked).toBe(true);
    expect([...rm.get('r')!.members.keys()].sort()).toEqual(['a', 'n']);
    expect(rm.join('r', member('m'))).toMatchObject({ ok: false, code: 'room-locked' });
    expect(rm.join('r', member('b'), ['a'])).toMatchObject({ ok: true });
  });

  it('a relock list cannot get anyone into a room that is already locked', () => {
    const rm = new RoomManager(8, 10);
    rm.join('r', member('a'));
    rm.get('r')!.setLocked(true);
    expect(rm.join('r', member('x'), ['y'])).toMatchObject({ ok: false, code: 'room-locked' });
  });

  it('broadcasts one encoded frame to everyone but the sender', () => {
    const rm = new RoomManager(8, 10);
    const a = member('a');
    const b = member('b');
    const c = member('c');
    for (const m of [a, b, c]) rm.join('r', m);
    expect(rm.get('r')!.broadcast({ type: 'lock', by: 'a' }, 'a')).toBe(2);
    expect(a.frames).toEqual([]);
    expect(JSON.parse(b.frames[0]!)).toEqual({ v: 1, type: 'lock', by: 'a' });
    expect(c.frames).toEqual(b.frames);
  });
});
