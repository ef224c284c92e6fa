/**
 * The Janus VideoRoom number of a Roundtable room (docs/architecture.md §11):
 * VideoRoom wants a number, every member must reach the same one, and
 * nobody may learn the join code from it. It is derived from the room id,
 * which the signaling server already knows (and which reveals nothing of
 * the code: PBKDF2 + HKDF, §5), so the SFU learns nothing new. WebCrypto
 * (src/protocol/portable.ts), so the terminal and the web page reach the
 * same number with one function.
 */
import { webCrypto } from '../../protocol/portable.js';

/** 48 bits: unique enough among a server's rooms, and exact as a JSON number (below 2^53). */
const ROOM_NUMBER_BYTES = 6;

export async function janusRoomNumber(roomId: string): Promise<number> {
  const digest = new Uint8Array(await webCrypto.subtle.digest('SHA-256', new TextEncoder().encode(`roundtable/janus-room/v1\0${roomId}`)));
  let n = 0;
  for (let i = 0; i < ROOM_NUMBER_BYTES; i++) n = n * 256 + digest[i]!;
  // + 1: VideoRoom treats 0 as "choose one for me".
  return n + 1;
}
