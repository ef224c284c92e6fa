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

/** Why a join is refused, in the words clients show (one wording for every directory). */
export type JoinRefusal = 'peer-id-taken' | 'room-locked' | 'room-full' | 'too-many-rooms';

export function joinRefused(code: JoinRefusal, maxPeersPerRoom: number): { ok: false; code: ErrorCode; message: string } {
  const message: Record<JoinRefusal, string> = {
    'peer-id-taken': 'this peer id is in use in the room by another client',
    'room-locked': 'the room is locked: ask someone inside to unlock it',
    'room-full': `the room is full (${maxPeersPerRoom} peers max)`,
    'too-many-rooms': 'the server has too many rooms open; try later',
  };
  return { ok: false, code, message: message[code] };
}

export type JoinOutcome<M extends RoomMember = RoomMember> =
  | {
      ok: true;
      room: Room<M>;
      resumed: boolean;
      replaced: M | undefined;
      /** This join locked the room again (relock); the others should be told. */
      relocked: boolean;
    }
  | ReturnType<typeof joinRefused>;

export class RoomManager<M extends RoomMember = RoomMember> {
  private readonly rooms = new Map<string, Room<M>>();

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

  get(roomId: string): Room<M> | undefined {
    return this.rooms.get(roomId);
  }

  allRooms(): IterableIterator<Room<M>> {
    return this.rooms.values();
  }

  /** `relock`: the ids this client knew in the room when it last saw it locked (a rejoin), else undefined. */
  join(roomId: string, member: M, relock?: readonly string[]): JoinOutcome<M> {
    let room = this.rooms.get(roomId);
    const existing = room?.members.get(member.peerId);
    if (room !== undefined && existing !== undefined) {
      if (existing.tokenHash !== member.tokenHash) {
        return joinRefused('peer-id-taken', this.maxPeersPerRoom);
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
        return joinRefused('room-locked', this.maxPeersPerRoom);
      }
      if (room.size >= this.maxPeersPerRoom) {
        return joinRefused('room-full', this.maxPeersPerRoom);
      }
    } else {
      if (this.rooms.size >= this.maxRooms) return joinRefused('too-many-rooms', this.maxPeersPerRoom);
      room = new Room<M>(roomId);
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
  leave(roomId: string, member: M, onPurpose = true): boolean {
    const room = this.rooms.get(roomId);
    if (room === undefined || room.members.get(member.peerId) !== member) return false;
    room.members.delete(member.peerId);
    if (!onPurpose) room.allowBack(member.peerId, member.tokenHash);
    if (room.size === 0) this.rooms.delete(roomId);
    return true;
  }
}
