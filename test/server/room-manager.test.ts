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
    rm.get('r1')!.locked = true;
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
