/**
 * The rooms of a single signaling node, in this process's memory (the
 * default; directory.ts). Join rules are RoomManager's, knocks KnockDesk's;
 * this module tells the members, in the order the server always did.
 *
 * Every operation runs to its end synchronously (the promises it returns are
 * already settled), so a single node behaves exactly as the synchronous
 * server did before rooms could be shared (docs/architecture.md §5).
 */
import { encodeMessage, type KnockOutcome, type LeaveReason, type SfuRoute } from '../protocol/index.js';
import { nextViaSfu } from './media-mode.js';
import type { Room } from './room.js';
import { NOBODY_LEFT_TO_ANSWER, type DirectoryJoin, type DirectoryKnock, type DirectoryMember, type DirectoryOptions, type RoomDirectory } from './directory.js';
import { KnockDesk, type Knock } from './knocks.js';
import { RoomManager } from './room-manager.js';

export class MemoryDirectory implements RoomDirectory {
  private readonly rooms: RoomManager<DirectoryMember>;
  private readonly knocks: KnockDesk<DirectoryMember>;

  constructor(private readonly opts: DirectoryOptions) {
    this.rooms = new RoomManager<DirectoryMember>(opts.maxPeersPerRoom, opts.maxRooms);
    this.knocks = new KnockDesk<DirectoryMember>(opts.clock, opts.knockTimeoutMs, opts.maxKnocksPerRoom, (k) => this.endKnock(k, 'timeout'));
  }

  get knockTimeoutMs(): number {
    return this.knocks.timeout;
  }

  localCounts(): { rooms: number; peers: number } {
    return { rooms: this.rooms.roomCount, peers: this.rooms.peerCount };
  }

  async join(m: DirectoryMember, roomId: string, relock: readonly string[] | undefined, wantsSfu = false): Promise<DirectoryJoin> {
    const outcome = this.rooms.join(roomId, m, relock);
    if (!outcome.ok) return outcome;
    const { room, resumed, replaced, relocked } = outcome;
    // The first member may pin the room to the SFU; after that its size decides (media-mode.ts).
    if (room.size === 1 && !resumed) {
      room.sfuPinned = wantsSfu && this.opts.sfu !== undefined;
      room.viaSfu = room.sfuPinned;
    }
    // The members hear of a switch before the newcomer's arrival, so they never build a link to it
    // that the new mode would close at once; the newcomer learns the mode from its `joined`.
    this.updateMode(room, m.peerId);
    const sfu = this.route(room);
    // Old socket of the same client: dropped without announcing a leave.
    if (replaced !== undefined && replaced !== m) this.opts.events.replaced(replaced.connId);
    const pending = this.knocks.pending(roomId).map((k) => (k.hello === undefined ? { id: k.id } : { id: k.id, hello: k.hello }));
    m.send(encodeMessage({ type: 'joined', selfId: m.peerId, peers: room.peerInfos(m.peerId), locked: room.locked, heartbeatMs: this.opts.heartbeatMs, resumed, ...(pending.length > 0 ? { knocks: pending } : {}), ...(sfu !== undefined ? { sfu } : {}) }));
    if (!resumed) room.broadcast(m.hello === undefined ? { type: 'peer-joined', id: m.peerId } : { type: 'peer-joined', id: m.peerId, hello: m.hello }, m.peerId);
    // Whoever got in before this member (a newcomer at a restarted server) learns the room is locked again.
    if (relocked) room.broadcast({ type: 'lock', by: m.peerId }, m.peerId);
    return { ok: true, resumed, relocked, roomSize: room.size };
  }

  async leave(m: DirectoryMember, roomId: string, reason: LeaveReason): Promise<{ left: boolean; roomSize: number }> {
    const room = this.rooms.get(roomId);
    // A dropped connection (not a 'left') may come back into its locked room.
    if (!this.rooms.leave(roomId, m, reason === 'left')) return { left: false, roomSize: room?.size ?? 0 };
    room?.broadcast({ type: 'peer-left', id: m.peerId, reason });
    if (room !== undefined && room.size > 0) this.updateMode(room);
    if (this.rooms.get(roomId) === undefined) {
      for (const k of this.knocks.takeAll(roomId)) this.endKnock(k, 'timeout', undefined, NOBODY_LEFT_TO_ANSWER);
    }
    return { left: true, roomSize: room?.size ?? 0 };
  }

  relay(m: DirectoryMember, roomId: string, to: string, payload: string): boolean {
    const room = this.rooms.get(roomId);
    const target = room?.members.get(to);
    if (room === undefined || room.members.get(m.peerId) !== m || target === undefined || to === m.peerId) return false;
    target.send(encodeMessage({ type: 'signal', from: m.peerId, payload }));
    return true;
  }

  async setLock(m: DirectoryMember, roomId: string, locked: boolean): Promise<boolean> {
    const room = this.rooms.get(roomId);
    if (room === undefined || room.members.get(m.peerId) !== m) return false;
    room.setLocked(locked);
    room.broadcast({ type: locked ? 'lock' : 'unlock', by: m.peerId });
    // An open room lets everyone waiting at the door in.
    if (!locked) for (const k of this.knocks.takeAll(roomId)) this.endKnock(k, 'admitted', m.peerId);
    return true;
  }

  async knock(m: DirectoryMember, roomId: string): Promise<DirectoryKnock> {
    const room = this.rooms.get(roomId);
    if (room === undefined || !room.locked || room.admits(m.peerId, m.tokenHash)) return { ok: false, reason: 'retry' };
    const opened = this.knocks.open(roomId, m.peerId, m.hello, m);
    if (!opened.ok) return opened;
    room.broadcast(m.hello === undefined ? { type: 'knock', id: m.peerId } : { type: 'knock', id: m.peerId, hello: m.hello });
    return { ok: true, pending: this.knocks.pending(roomId).length };
  }

  async answerKnock(m: DirectoryMember, roomId: string, knockerId: string, admit: boolean): Promise<boolean> {
    const k = this.knocks.take(roomId, knockerId);
    if (k === undefined) return false;
    this.endKnock(k, admit ? 'admitted' : 'denied', m.peerId);
    return true;
  }

  async withdrawKnock(m: DirectoryMember, roomId: string): Promise<void> {
    const k = this.knocks.take(roomId, m.peerId);
    if (k !== undefined) this.endKnock(k, 'withdrawn');
  }

  async close(): Promise<void> {
    this.knocks.clear();
  }

  /** Where the room's media goes, as its members are told; undefined for the mesh. */
  private route(room: Room<DirectoryMember>): SfuRoute | undefined {
    const sfu = this.opts.sfu;
    if (!room.viaSfu || sfu === undefined) return undefined;
    return { v: 1, janus: sfu.janus, publishers: sfu.publishers, ...(room.sfuPinned ? {} : { auto: true as const }) };
  }

  /** Apply the size rule (media-mode.ts) and tell every member but `exceptId` when the mode changed. */
  private updateMode(room: Room<DirectoryMember>, exceptId?: string): void {
    const sfu = this.opts.sfu;
    if (sfu === undefined) return;
    const viaSfu = nextViaSfu({ viaSfu: room.viaSfu, pinned: room.sfuPinned }, room.size, sfu);
    if (viaSfu === room.viaSfu) return;
    room.viaSfu = viaSfu;
    this.opts.log.info('media-path', { room: room.roomId.slice(0, 8), path: viaSfu ? 'sfu' : 'mesh', members: room.size });
    const route = this.route(room);
    room.broadcast(route === undefined ? { type: 'media-path' } : { type: 'media-path', sfu: route }, exceptId);
  }

  /**
   * A knock is over: the members are told how; an admitted newcomer's id
   * joins the ids the locked room lets in, and its connection is told.
   */
  private endKnock(k: Knock<DirectoryMember>, outcome: KnockOutcome, by?: string, why?: string): void {
    const room = this.rooms.get(k.roomId);
    room?.broadcast(by === undefined ? { type: 'knock-end', id: k.id, outcome } : { type: 'knock-end', id: k.id, outcome, by });
    this.opts.log.info('knock-end', { room: k.roomId.slice(0, 8), peer: k.id, outcome, by, waitedMs: Math.round(this.opts.clock.now() - k.sinceMs) });
    if (outcome === 'withdrawn') return;
    if (outcome === 'admitted') room?.allowBack(k.who.peerId, k.who.tokenHash);
    this.opts.events.knockEnded(k.who.connId, outcome, by, why);
  }
}
