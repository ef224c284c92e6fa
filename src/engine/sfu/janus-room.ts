/**
 * The Janus VideoRoom number of a Roundtable room (docs/architecture.md §11):
 * VideoRoom wants a number, every member must reach the same one, and
 * nobody may learn the join code from it. It is derived from the room id,
 * which the signaling server already knows (and which reveals nothing of
 * the code: PBKDF2 + HKDF, §5), so the SFU learns nothing new.
 */
import { createHash } from 'node:crypto';

/** 48 bits: unique enough among a server's rooms, and exact as a JSON number (below 2^53). */
const ROOM_NUMBER_BYTES = 6;

export function janusRoomNumber(roomId: string): number {
  const digest = createHash('sha256').update('roundtable/janus-room/v1\0').update(roomId).digest();
  // + 1: VideoRoom treats 0 as "choose one for me".
  return digest.readUIntBE(0, ROOM_NUMBER_BYTES) + 1;
}
