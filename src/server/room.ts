/**
 * One room: the peers that joined with the same room id, its lock state, and
 * who may come back in while it is locked. It knows nothing of sockets;
 * members only need to accept a frame.
 */
import { encodeMessage, type PeerInfo, type ServerMessageBody } from '../protocol/index.js';

export interface RoomMember {
  readonly peerId: string;
  /** SHA-256 of the client's resume token (proves ownership of peerId on rejoin). */
  readonly tokenHash: string;
  hello: string | undefined;
  send(frame: string): void;
}

export class Room<M extends RoomMember = RoomMember> {
  readonly members = new Map<string, M>();
  private lockedValue = false;
  /** Media through the server's SFU now (docs/architecture.md §11): asked for by its first member, or for its size (media-mode.ts). */
  viaSfu = false;
  /** Its first member asked for the SFU: it stays there whatever its size. */
  sfuPinned = false;
  /**
   * Peer ids a locked room lets back in: members whose connection dropped
   * (with their token hash, so only the same client returns), and the ids a
   * relocking member listed after a server restart (null: the server never
   * saw their token). Emptied on unlock. An admitted knock's id goes here
   * too, with its token hash, just before its join completes (server.ts).
   */
  private readonly returning = new Map<string, string | null>();

  constructor(readonly roomId: string) {}

  get locked(): boolean {
    return this.lockedValue;
  }

  /** Lock or unlock; unlocking forgets who could return (anyone may enter now). */
  setLocked(locked: boolean): void {
    this.lockedValue = locked;
    if (!locked) this.returning.clear();
  }

  /** While locked, `peerId` may come back in (token hash null: any token, the first join sets it). */
  allowBack(peerId: string, tokenHash: string | null): void {
    if (!this.lockedValue || this.members.has(peerId)) return;
    const known = this.returning.get(peerId);
    // A hash the server saw is better evidence than a name on someone's list.
    if (known === undefined || known === null) this.returning.set(peerId, tokenHash);
  }

  /** Whether a newcomer with this id and token hash may enter now. */
  admits(peerId: string, tokenHash: string): boolean {
    if (!this.lockedValue) return true;
    const expected = this.returning.get(peerId);
    return expected !== undefined && (expected === null || expected === tokenHash);
  }

  /** Add a member (the join rules are RoomManager's); a returning id is used up. */
  add(member: M): void {
    this.members.set(member.peerId, member);
    this.returning.delete(member.peerId);
  }

  get size(): number {
    return this.members.size;
  }

  /** Peers other than `exceptId`, as announced in `joined`. */
  peerInfos(exceptId: string): PeerInfo[] {
    const out: PeerInfo[] = [];
    for (const m of this.members.values()) {
      if (m.peerId !== exceptId) out.push(m.hello === undefined ? { id: m.peerId } : { id: m.peerId, hello: m.hello });
    }
    return out;
  }

  /** Send to every member except `exceptId`; encodes once. Returns the number of recipients. */
  broadcast(body: ServerMessageBody, exceptId?: string): number {
    const frame = encodeMessage(body);
    let n = 0;
    for (const m of this.members.values()) {
      if (m.peerId === exceptId) continue;
      m.send(frame);
      n++;
    }
    return n;
  }
}
