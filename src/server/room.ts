/**
 * One room: the peers that joined with the same room id, and its lock state.
 * It knows nothing of sockets; members only need to accept a frame.
 */
import { encodeMessage, type PeerInfo, type ServerMessageBody } from '../protocol/index.js';

export interface RoomMember {
  readonly peerId: string;
  /** SHA-256 of the client's resume token (proves ownership of peerId on rejoin). */
  readonly tokenHash: string;
  hello: string | undefined;
  send(frame: string): void;
}

export class Room {
  readonly members = new Map<string, RoomMember>();
  locked = false;

  constructor(readonly roomId: string) {}

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
