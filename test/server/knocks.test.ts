import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { KnockDesk, type Knock } from '../../src/server/knocks.js';

function desk(timeoutMs = 60_000, maxPerRoom = 3) {
  const clock = new ManualClock(1000);
  const timedOut: Knock<string>[] = [];
  const d = new KnockDesk<string>(clock, timeoutMs, maxPerRoom, (k) => timedOut.push(k));
  return { clock, d, timedOut };
}

describe('KnockDesk', () => {
  it('the first answer ends a knock; a later answer finds nothing', () => {
    const { d, clock } = desk();
    const opened = d.open('room', 'dan', 'aGVsbG8', 'conn-1');
    expect(opened).toMatchObject({ ok: true, knock: { roomId: 'room', id: 'dan', hello: 'aGVsbG8', who: 'conn-1', sinceMs: 1000 } });
    expect(d.pending('room').map((k) => k.id)).toEqual(['dan']);
    expect(d.take('room', 'dan')?.who).toBe('conn-1');
    expect(d.take('room', 'dan')).toBeUndefined();
    expect(d.size).toBe(0);
    // Its timer went with it.
    expect(clock.pendingTimers).toBe(0);
  });

  it('times out a knock nobody answers, exactly at the timeout, and only that one', () => {
    const { d, clock, timedOut } = desk(60_000);
    d.open('room', 'dan', undefined, 'a');
    clock.advance(30_000);
    d.open('room', 'eve', undefined, 'b');
    clock.advance(29_999);
    expect(timedOut).toEqual([]);
    clock.advance(1);
    expect(timedOut.map((k) => k.id)).toEqual(['dan']);
    expect(d.pending('room').map((k) => k.id)).toEqual(['eve']);
    // Answered before its time: no timeout later.
    expect(d.take('room', 'eve')).toBeDefined();
    clock.advance(60_000);
    expect(timedOut.map((k) => k.id)).toEqual(['dan']);
  });

  it('refuses a second knock by the same id and more than the per-room limit; other rooms are apart', () => {
    const { d } = desk(60_000, 2);
    expect(d.open('room', 'dan', undefined, 'a').ok).toBe(true);
    expect(d.open('room', 'dan', undefined, 'b')).toEqual({ ok: false, reason: 'id-knocking' });
    expect(d.open('room', 'eve', undefined, 'c').ok).toBe(true);
    expect(d.open('room', 'fay', undefined, 'd')).toEqual({ ok: false, reason: 'too-many-knocks' });
    expect(d.open('other', 'fay', undefined, 'd').ok).toBe(true);
  });

  it('takeAll ends every knock of a room, oldest first, and clear cancels every timer', () => {
    const { d, clock, timedOut } = desk();
    d.open('room', 'dan', undefined, 'a');
    d.open('room', 'eve', undefined, 'b');
    d.open('other', 'fay', undefined, 'c');
    expect(d.takeAll('room').map((k) => k.id)).toEqual(['dan', 'eve']);
    expect(d.pending('room')).toEqual([]);
    d.clear();
    clock.advance(120_000);
    expect(timedOut).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});
