/**
 * Knocks at locked rooms (docs/architecture.md §4, "knock and admit"): a
 * newcomer a locked room would refuse waits here while the members are
 * asked. A knock ends exactly once: a member answers (the first answer
 * decides; later ones find nothing), nobody answers within the timeout, or
 * the newcomer goes away. This module keeps the pending knocks and their
 * timers on an injected clock; what an ending means for sockets and rooms is
 * the server's (server.ts).
 */
import type { Clock, TimerHandle } from '../core/clock.js';

export interface Knock<S> {
  readonly roomId: string;
  /** The newcomer's peer id. */
  readonly id: string;
  /** The newcomer's sealed hello (its name, which the server cannot read). */
  readonly hello: string | undefined;
  /** Whatever the server keeps for the newcomer's connection. */
  readonly who: S;
  readonly sinceMs: number;
}

export type OpenKnockResult<S> = { ok: true; knock: Knock<S> } | { ok: false; reason: 'too-many-knocks' | 'id-knocking' };

export class KnockDesk<S> {
  private readonly rooms = new Map<string, Map<string, { knock: Knock<S>; timer: TimerHandle }>>();

  constructor(
    private readonly clock: Clock,
    /** A knock nobody answers ends after this long. */
    private readonly timeoutMs: number,
    /** Knocks pending at one room at once (so a flood cannot bury the members in prompts). */
    private readonly maxPerRoom: number,
    /** Called when a knock times out (it is already removed). */
    private readonly onTimeout: (knock: Knock<S>) => void,
  ) {
    if (!(timeoutMs > 0) || !(maxPerRoom >= 1)) throw new RangeError(`knock desk needs timeoutMs > 0 and maxPerRoom >= 1, got ${timeoutMs}/${maxPerRoom}`);
  }

  get timeout(): number {
    return this.timeoutMs;
  }

  /** Start a knock by `id` at `roomId`; refused when the room has too many or the id already knocks there. */
  open(roomId: string, id: string, hello: string | undefined, who: S): OpenKnockResult<S> {
    let room = this.rooms.get(roomId);
    if (room?.has(id) === true) return { ok: false, reason: 'id-knocking' };
    if (room !== undefined && room.size >= this.maxPerRoom) return { ok: false, reason: 'too-many-knocks' };
    if (room === undefined) this.rooms.set(roomId, (room = new Map()));
    const knock: Knock<S> = { roomId, id, hello, who, sinceMs: this.clock.now() };
    const timer = this.clock.setTimer(() => {
      if (this.remove(roomId, id) !== undefined) this.onTimeout(knock);
    }, this.timeoutMs);
    room.set(id, { knock, timer });
    return { ok: true, knock };
  }

  /** End the knock by `id` at `roomId` (answered or withdrawn); undefined when there is none (already ended). */
  take(roomId: string, id: string): Knock<S> | undefined {
    return this.remove(roomId, id);
  }

  /** End every knock at `roomId` (the room unlocked, or emptied); oldest first. */
  takeAll(roomId: string): Knock<S>[] {
    const room = this.rooms.get(roomId);
    if (room === undefined) return [];
    const all = [...room.values()].map((e) => e.knock);
    for (const k of all) this.remove(roomId, k.id);
    return all;
  }

  /** Pending knocks at `roomId`, oldest first. */
  pending(roomId: string): Knock<S>[] {
    return [...(this.rooms.get(roomId)?.values() ?? [])].map((e) => e.knock);
  }

  /** Knocks pending at all rooms. */
  get size(): number {
    let n = 0;
    for (const r of this.rooms.values()) n += r.size;
    return n;
  }

  /** Cancel every timer (server shutdown). */
  clear(): void {
    for (const room of this.rooms.values()) for (const e of room.values()) this.clock.clearTimer(e.timer);
    this.rooms.clear();
  }

  private remove(roomId: string, id: string): Knock<S> | undefined {
    const room = this.rooms.get(roomId);
    const entry = room?.get(id);
    if (room === undefined || entry === undefined) return undefined;
    this.clock.clearTimer(entry.timer);
    room.delete(id);
    if (room.size === 0) this.rooms.delete(roomId);
    return entry.knock;
  }
}
