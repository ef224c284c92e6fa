/**
 * PeerView and --stats figures from a peer entry plus the engine's per-peer
 * stats (room/views.ts), and how a session fills them over link generations.
 */
import { describe, expect, it } from 'vitest';
import type { PeerMediaStats } from '../../../src/engine/media/media-engine.js';
import { createPeerEntry } from '../../../src/engine/room/peer-entry.js';
import { peerSessionStats, peerView } from '../../../src/engine/room/views.js';
import { inRoomWith } from './fakes.js';

/** Only the fields views.ts reads. */
function media(): PeerMediaStats {
  return {
    receive: { expected: 200, lost: 10, received: 190, late: 3, concealedFrames: 4, currentDelayMs: 42, meanDelayMs: 40.5, accelerateSamples: 4800, expandSamples: 960 },
    send: { sent: 77 },
    rttMs: 12,
    level: 0.5,
    speaking: true,
    volumePercent: 80,
    mutedByMe: true,
  } as unknown as PeerMediaStats;
}

describe('views', () => {
  it('a peer the engine does not know yet shows neutral figures', () => {
    const entry = createPeerEntry('p', 'Pia', 'answerer', 0);
    expect(peerView(entry, undefined)).toEqual({
      id: 'p',
      name: 'Pia',
      state: 'connecting',
      speaking: false,
      level: 0,
      volumePercent: 100,
      mutedByMe: false,
      noiseSuppression: false,
      lossPercent: 0,
      jitterBufferMs: 0,
      rttMs: null,
      packetsReceived: 0,
      packetsLost: 0,
      packetsLate: 0,
      framesConcealed: 0,
      packetsRecovered: 0,
      redDistance: null,
      recording: false,
    });
  });

  it('loss is a percentage of packets expected; the rest comes from the engine as is', () => {
    const view = peerView(createPeerEntry('p', 'P', 'offerer', 0), media());
    expect(view).toMatchObject({ lossPercent: 5, jitterBufferMs: 42, rttMs: 12, packetsReceived: 190, packetsLost: 10, speaking: true, level: 0.5, volumePercent: 80, mutedByMe: true });
  });

  it('stats add closed link generations to the current link and give session-relative times', () => {
    const entry = createPeerEntry('p', 'P', 'offerer', 1500);
    entry.gen = 2;
    entry.connectedAtMs = 1800;
    entry.firstConnectMs = 120;
    entry.closedLinks = { packetsSent: 5, bytesSent: 500, packetsReceived: 6, bytesReceived: 600 };
    const here = peerSessionStats(entry, media(), { startedMs: 1000, nowMs: 5000, goneReason: null });
    expect(here).toMatchObject({
      linkGenerations: 2,
      connectMs: 120,
      timeToConnectMs: 300,
      packetsSent: 77,
      packetsReceived: 190,
      packetsLost: 10,
      packetsLate: 3,
      framesConcealed: 4,
      meanJitterBufferMs: 40.5,
      accelerateSamples: 4800,
      expandSamples: 960,
      bytesSent: 500,
      bytesReceived: 600,
      rttMs: 12,
      knownAtMs: 500,
      connectedAtMs: 800,
      goneAtMs: null,
      goneReason: null,
    });
    expect(peerSessionStats(entry, media(), { startedMs: 1000, nowMs: 5000, goneReason: 'left' })).toMatchObject({ goneAtMs: 4000, goneReason: 'left' });
  });

  it('in a session, bytes of every link generation are counted and the last candidate pair is kept', async () => {
    const t = await inRoomWith([['p', 'P']]);
    const first = t.linksFor('p')[0]!;
    first.setState('connected');
    first.sentRtp.push({ packet: new Uint8Array(17), atMs: 0 }, { packet: new Uint8Array(17), atMs: 0 });
    first.setState('failed');
    t.clock.advance(250);
    const second = t.linksFor('p')[1]!;
    second.setState('connected');
    second.sentRtp.push({ packet: new Uint8Array(17), atMs: 0 });
    const [s] = t.session.stats();
    expect(s).toMatchObject({ linkGenerations: 2, bytesSent: 3 * 17, connectMs: 3, localCandidateTypes: ['host'] });
    expect(s!.selectedCandidatePair?.remote.type).toBe('host');
    await t.session.leave();
    expect(t.session.stats()[0]).toMatchObject({ state: 'closed', goneReason: 'we-left', bytesSent: 3 * 17 });
  });
});
