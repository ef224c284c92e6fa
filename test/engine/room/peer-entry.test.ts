/** A new peer entry (room/peer-entry.ts): before any link. */
import { describe, expect, it } from 'vitest';
import { createPeerEntry } from '../../../src/engine/room/peer-entry.js';

describe('createPeerEntry', () => {
  it('starts listed by the server, connecting, with no link, generation 0 and zero totals', () => {
    const e = createPeerEntry('id-1', 'Ida', 'answerer', 1234);
    expect(e).toMatchObject({
      id: 'id-1',
      name: 'Ida',
      role: 'answerer',
      gen: 0,
      link: undefined,
      linkState: 'none',
      state: 'connecting',
      inRoster: true,
      lastPacketMs: 1234,
      knownAtMs: 1234,
      connectedAtMs: null,
      firstConnectMs: null,
      rebuildAttempt: 0,
      rebuildAskedGen: 0,
      closedLinks: { packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0 },
      lastPair: null,
      localTypes: [],
    });
    // Entries share nothing.
    expect(createPeerEntry('x', 'X', 'offerer', 0).closedLinks).not.toBe(e.closedLinks);
  });
});
