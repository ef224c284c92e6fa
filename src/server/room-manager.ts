/**
 * Rooms appear on the first join and vanish when their last peer leaves.
 * Join rules live here: lock, capacity, room count, and the resume-token
 * check that lets a reconnecting client take its own id back (and nobody
 * else take it).
 */
import type { ErrorCode } from '../protocol/index.js';
import { Room, type RoomMember } from './room.js';

export type JoinOutcome =
  | { ok: true; room: Room; resumed: boolean; replaced: RoomMember | undefined }
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

  join(roomId: string, member: RoomMember): JoinOutcome {
    let room = this.rooms.get(roomId);
    if (room !== undefined) {
      const existing = room.members.get(member.peerId);
      if (existing !== undefined) {
        if (existing.tokenHash !== member.tokenHash) {
          return { ok: false, code: 'peer-id-taken', message: 'this peer id is in use in the room by another client' };
        }
        // Same client coming back before the server noticed its old socket
        // died: swap sockets, keep its place (even in a locked or full room).
        room.members.set(member.peerId, member);
        return { ok: true, room, resumed: true, replaced: existing };
      }
      if (room.locked) return { ok: false, code: 'room-locked', message: 'the room is locked; ask someone inside to unlock it' };
      if (room.size >= this.maxPeersPerRoom) {
        return { ok: false, code: 'room-full', message: `the room is full (${this.maxPeersPerRoom} peers max)` };
      }
    } else {
      if (this.rooms.size >= this.maxRooms) return { ok: false, code: 'too-many-rooms', message: 'the server has too many rooms open; try later' };
      room = new Room(roomId);
      this.rooms.set(roomId, room);
    }
    room.members.set(member.peerId, member);
    return { ok: true, room, resumed: false, replaced: undefined };
  }

  /** Remove `member` if it is still the current holder of its id. Returns true if removed. */
  leave(roomId: string, member: RoomMember): boolean {
    const room = this.rooms.get(roomId);
    if (room === undefined || room.members.get(member.peerId) !== member) return false;
    room.members.delete(member.peerId);
    if (room.size === 0) this.rooms.delete(roomId);
    return true;
  }
}
