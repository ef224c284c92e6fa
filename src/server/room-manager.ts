/**
 * Rooms appear on the first join and vanish when their last peer leaves.
 * Join rules live here: lock, capacity, room count, the resume-token check
 * that lets a reconnecting client take its own id back (and nobody else take
 * it), and relocking: a client that rejoins a room it last saw locked lists
 * the peers it knew there (protocol/messages.ts `relock`). When none of them
 * is in the room (it is new: the server restarted, or everyone dropped), the
 * room is locked in the same step as this join, before anyone else can
 * enter, and the listed ids may come back in. When one of them is there, the
 * room's own state stands (someone who stayed may have unlocked it).
 *
 * The race this leaves (docs/architecture.md §4): a newcomer who reaches a
 * restarted server before any member makes the room unlocked and is in it;
 * the first member back locks it again with the newcomer inside (nobody is
 * expelled), and every later newcomer is refused.
 */
import type { ErrorCode } from '../protocol/index.js';
import { Room, type RoomMember } from './room.js';

export type JoinOutcome =
  | {
      ok: true;
      room: Room;
      resumed: boolean;
      replaced: RoomMember | undefined;
      /** This join locked the room again (relock); the others should be told. */
      relocked: boolean;
    }
  | { ok: false; code: ErrorCode; message: string };

export class RoomManager {
  private readonly rooms = new Map<string, Room>();

  constructor(
    private readonly maxPeersPerRoom: number,
    private readonly maxRooms: number,
  ) {}

  get roomCount(): number {
    return this.rooms.size;
  }

  get peerCount(): number {
    let n = 0;
    for (const r of this.rooms.values()) n += r.size;
    return n;
  }

  get(roomId: string): Room | undefined {
    return this.rooms.get(roomId);
  }

  allRooms(): IterableIterator<Room> {
    return this.rooms.values();
  }

  /** `relock`: the ids this client knew in the room when it last saw it locked (a rejoin), else undefined. */
  join(roomId: string, member: RoomMember, relock?: readonly string[]): JoinOutcome {
    let room = this.rooms.get(roomId);
    const existing = room?.members.get(member.peerId);
    if (room !== undefined && existing !== undefined) {
      if (existing.tokenHash !== member.tokenHash) {
        return { ok: false, code: 'peer-id-taken', message: 'this peer id is in use in the room by another client' };
      }
      // Same client coming back before the server noticed its old socket
      // died: swap sockets, keep its place (even in a locked or full room).
      room.members.set(member.peerId, member);
      return { ok: true, room, resumed: true, replaced: existing, relocked: false };
    }
    // Nobody this client knew is here: the room's state was not made by anyone it shared the lock with.
    const relocks = relock !== undefined && room?.locked !== true && !relock.some((id) => room?.members.has(id) === true);
    if (room !== undefined) {
      if (!relocks && !room.admits(member.peerId, member.tokenHash)) {
        return { ok: false, code: 'room-locked', message: 'the room is locked: ask someone inside to unlock it' };
      }
      if (room.size >= this.maxPeersPerRoom) {
        return { ok: false, code: 'room-full', message: `the room is full (${this.maxPeersPerRoom} peers max)` };
      }
    } else {
      if (this.rooms.size >= this.maxRooms) return { ok: false, code: 'too-many-rooms', message: 'the server has too many rooms open; try later' };
      room = new Room(roomId);
      this.rooms.set(roomId, room);
    }
    room.add(member);
    if (relocks) room.setLocked(true);
    if (relock !== undefined && room.locked) for (const id of relock) room.allowBack(id, null);
    return { ok: true, room, resumed: false, replaced: undefined, relocked: relocks };
  }

  /**
   * Remove `member` if it is still the current holder of its id. Returns true
   * if removed. A member that did not leave on purpose (its connection
   * dropped) may come back into its locked room with the same token.
   */
  leave(roomId: string, member: RoomMember, onPurpose = true): boolean {
    const room = this.rooms.get(roomId);
    if (room === undefined || room.members.get(member.peerId) !== member) return false;
    room.members.delete(member.peerId);
    if (!onPurpose) room.allowBack(member.peerId, member.tokenHash);
    if (room.size === 0) this.rooms.delete(roomId);
    return true;
  }
}
