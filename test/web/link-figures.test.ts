import { describe, expect, it } from 'vitest';
import { EMPTY_FIGURES, jitterBufferDelayMs, readLinkFigures, receiveStats, sendStats, type StatsEntry } from '../../src/web/link-figures.js';

// Entries shaped as Chromium's getStats() reports them for one audio link
// (W3C webrtc-stats field names; times in seconds, as the spec defines them).
function chromeReport(over: { inbound?: Record<string, unknown>; remoteInbound?: Record<string, unknown>; pair?: Record<string, unknown>; transport?: Record<string, unknown> | null } = {}): StatsEntry[] {
  const entries: StatsEntry[] = [
    {
      id: 'IT01A1234',
      type: 'inbound-rtp',
      timestamp: 1_700_000_000_000,
      kind: 'audio',
      ssrc: 1234,
      transportId: 'T01',
      codecId: 'CIT01_111_minptime=10;useinbandfec=1',
      mid: '0',
      packetsReceived: 1500,
      packetsLost: 12,
      jitter: 0.004,
      bytesReceived: 120_000,
      jitterBufferDelay: 57_600, // 30 s of samples, each held 40 ms
      jitterBufferTargetDelay: 60,
      jitterBufferEmittedCount: 1_440_000,
      totalSamplesReceived: 1_440_000,
      concealedSamples: 9600,
      silentConcealedSamples: 0,
      audioLevel: 0.03,
      ...over.inbound,
    },
    { id: 'IT01V9', type: 'inbound-rtp', kind: 'video', packetsReceived: 99_999, packetsLost: 500, jitter: 1 },
    { id: 'OT01A5678', type: 'outbound-rtp', kind: 'audio', ssrc: 5678, transportId: 'T01', mid: '0', packetsSent: 1490, bytesSent: 119_000 },
    {
      id: 'RI01A5678',
      type: 'remote-inbound-rtp',
      kind: 'audio',
      ssrc: 5678,
      localId: 'OT01A5678',
      roundTripTime: 0.042,
      totalRoundTripTime: 0.42,
      roundTripTimeMeasurements: 10,
      fractionLost: 0,
      packetsLost: 0,
      ...over.remoteInbound,
    },
    {
      id: 'CPabc_def',
      type: 'candidate-pair',
      transportId: 'T01',
      localCandidateId: 'Iabc',
      remoteCandidateId: 'Idef',
      state: 'succeeded',
      nominated: true,
      bytesSent: 130_000,
      bytesReceived: 131_000,
      currentRoundTripTime: 0.011,
      totalRoundTripTime: 0.2,
      ...over.pair,
    },
    // A losing pair that must not be mistaken for the selected one.
    { id: 'CPxyz_def', type: 'candidate-pair', transportId: 'T01', localCandidateId: 'Ixyz', remoteCandidateId: 'Idef', state: 'failed', nominated: false, currentRoundTripTime: 0.5 },
    { id: 'Iabc', type: 'local-candidate', transportId: 'T01', address: '192.168.1.10', port: 46243, protocol: 'udp', candidateType: 'host' },
    { id: 'Ixyz', type: 'local-candidate', transportId: 'T01', address: '203.0.113.7', port: 51000, protocol: 'udp', candidateType: 'srflx' },
    { id: 'Idef', type: 'remote-candidate', transportId: 'T01', address: '192.168.1.20', port: 50000, protocol: 'udp', candidateType: 'host' },
  ];
  if (over.transport !== null) {
    entries.push({ id: 'T01', type: 'transport', bytesSent: 140_000, bytesReceived: 141_000, dtlsState: 'connected', iceState: 'connected', selectedCandidatePairId: 'CPabc_def', ...over.transport });
  }
  return entries;
}

describe('readLinkFigures', () => {
  it('reads the audio inbound/outbound figures and the selected pair', () => {
    const f = readLinkFigures(chromeReport());
    // The video inbound-rtp entry is ignored: only the audio stream counts.
    expect(f.packetsReceived).toBe(1500);
    expect(f.packetsLost).toBe(12);
    expect(f.packetsSent).toBe(1490);
    expect(f.jitterMs).toBeCloseTo(4, 9);
    expect(f.jitterBufferDelayS).toBe(57_600);
    expect(f.jitterBufferEmittedCount).toBe(1_440_000);
    expect(f.concealedSamples).toBe(9600);
    expect(f.totalSamplesReceived).toBe(1_440_000);
    expect(f.audioLevel).toBe(0.03);
    // Transport bytes come from the transport entry (RTP + RTCP + STUN), not the RTP stream.
    expect(f.transportBytesReceived).toBe(141_000);
    expect(f.transportBytesSent).toBe(140_000);
    expect(f.selectedPair).toEqual({
      local: { address: '192.168.1.10', port: 46243, type: 'host', transportType: 'udp' },
      remote: { address: '192.168.1.20', port: 50000, type: 'host', transportType: 'udp' },
    });
  });

  it('prefers the RTCP round-trip time over the ICE consent one', () => {
    expect(readLinkFigures(chromeReport()).rttMs).toBeCloseTo(42, 9);
  });

  it('falls back to the pair currentRoundTripTime before the first RTCP report', () => {
    // libwebrtc omits roundTripTime until a receiver report has come back.
    const f = readLinkFigures(chromeReport({ remoteInbound: { roundTripTime: undefined } }));
    expect(f.rttMs).toBeCloseTo(11, 9);
  });

  it('gives no RTT at all when neither source has one', () => {
    const f = readLinkFigures(chromeReport({ remoteInbound: { roundTripTime: undefined }, pair: { currentRoundTripTime: undefined } }));
    expect(f.rttMs).toBeNull();
  });

  it('treats a non-finite RTT as missing rather than showing NaN', () => {
    const f = readLinkFigures(chromeReport({ remoteInbound: { roundTripTime: Number.NaN } }));
    expect(f.rttMs).toBeCloseTo(11, 9);
    const g = readLinkFigures(chromeReport({ remoteInbound: { roundTripTime: Number.NaN }, pair: { currentRoundTripTime: Number.POSITIVE_INFINITY } }));
    expect(g.rttMs).toBeNull();
  });

  it('uses the nominated succeeded pair when there is no transport entry', () => {
    // Firefox reports no transport entry; the pair also carries the byte counts.
    const f = readLinkFigures(chromeReport({ transport: null }));
    expect(f.selectedPair?.local.address).toBe('192.168.1.10');
    expect(f.selectedPair?.remote.port).toBe(50000);
    expect(f.transportBytesReceived).toBe(131_000);
    expect(f.transportBytesSent).toBe(130_000);
  });

  it('uses the nominated pair when the transport has not selected one yet', () => {
    const f = readLinkFigures(chromeReport({ transport: { selectedCandidatePairId: undefined } }));
    expect(f.selectedPair?.local.type).toBe('host');
    // The transport entry still supplies the bytes.
    expect(f.transportBytesReceived).toBe(141_000);
  });

  it('reads the deprecated `ip` field when `address` is absent', () => {
    const entries = chromeReport().map((e) => (e.id === 'Iabc' ? { id: 'Iabc', type: 'local-candidate', ip: '10.0.0.5', port: 1, protocol: 'tcp', candidateType: 'prflx' } : e));
    expect(readLinkFigures(entries).selectedPair?.local).toEqual({ address: '10.0.0.5', port: 1, type: 'prflx', transportType: 'tcp' });
  });

  it('gives no pair when a candidate of the pair is missing', () => {
    const entries = chromeReport().filter((e) => e.id !== 'Idef');
    expect(readLinkFigures(entries).selectedPair).toBeNull();
  });

  it('gives 0, never NaN, for missing or non-numeric fields', () => {
    const entries: StatsEntry[] = [
      { id: 'IT', type: 'inbound-rtp', kind: 'audio', packetsReceived: Number.NaN, jitter: 'x', audioLevel: null, concealedSamples: Number.POSITIVE_INFINITY },
      { id: 'OT', type: 'outbound-rtp', kind: 'audio' },
    ];
    const f = readLinkFigures(entries);
    for (const [key, value] of Object.entries(f)) {
      if (key === 'rttMs' || key === 'selectedPair') continue;
      expect(value, key).toBe(0);
    }
    expect(f.rttMs).toBeNull();
    expect(f.selectedPair).toBeNull();
  });

  it('gives the empty figures for an empty report (before negotiation)', () => {
    expect(readLinkFigures([])).toEqual(EMPTY_FIGURES);
  });

  it('clamps a negative packetsLost to 0', () => {
    // RFC 3550 §6.4.1: cumulative lost can go negative when duplicates arrive.
    expect(readLinkFigures(chromeReport({ inbound: { packetsLost: -3 } })).packetsLost).toBe(0);
  });

  it('accepts any iterable, such as a Map of the report', () => {
    const map = new Map(chromeReport().map((e) => [e.id, e] as const));
    expect(readLinkFigures(map.values()).packetsReceived).toBe(1500);
  });
});

describe('jitterBufferDelayMs', () => {
  it('is the mean delay of the samples emitted between two readings', () => {
    const before = readLinkFigures(chromeReport({ inbound: { jitterBufferDelay: 19_200, jitterBufferEmittedCount: 480_000 } }));
    // jitterBufferDelay sums each sample's wait: 48 000 more samples and
    // 2400 s more summed delay means each of them waited 50 ms.
    const now = readLinkFigures(chromeReport({ inbound: { jitterBufferDelay: 21_600, jitterBufferEmittedCount: 528_000 } }));
    expect(jitterBufferDelayMs(now, before)).toBeCloseTo(50, 9);
  });

  it('is 0 when nothing was emitted in between (no division by zero)', () => {
    const f = readLinkFigures(chromeReport());
    expect(jitterBufferDelayMs(f, f)).toBe(0);
    expect(jitterBufferDelayMs(EMPTY_FIGURES, EMPTY_FIGURES)).toBe(0);
  });
});

describe('receiveStats / sendStats', () => {
  it('maps the figures onto the terminal RemoteStream shape', () => {
    const before = readLinkFigures(chromeReport({ inbound: { jitterBufferDelay: 19_200, jitterBufferEmittedCount: 480_000 } }));
    const now = readLinkFigures(
      chromeReport({
        inbound: { jitterBufferDelay: 21_600, jitterBufferEmittedCount: 528_000, concealedSamples: 2400, removedSamplesForAcceleration: 1234, insertedSamplesForDeceleration: 567 },
      }),
    );
    const r = receiveStats(now, before, 960);
    // NetEQ's accelerate / expand, as the terminal's time stretching counts them.
    expect(r.accelerateSamples).toBe(1234);
    expect(r.expandSamples).toBe(567);
    expect(r.currentDelayMs).toBeCloseTo(50, 9);
    expect(r.targetDelayMs).toBeCloseTo(50, 9);
    // The mean over the whole call: 21 600 s over 528 000 samples.
    expect(r.meanDelayMs).toBeCloseTo((21_600 / 528_000) * 1000, 9);
    expect(r.jitterMs).toBeCloseTo(4, 9);
    expect(r.received).toBe(1500);
    expect(r.lost).toBe(12);
    expect(r.expected).toBe(1512);
    // 2400 concealed samples at 960 per 20 ms frame: 2.5, rounded.
    expect(r.concealed).toBe(3);
    expect(r.concealedFrames).toBe(3);
    // What libwebrtc does not report stays 0.
    expect([r.late, r.reordered, r.duplicates, r.resets, r.bufferedPackets]).toEqual([0, 0, 0, 0, 0]);
  });

  it('gives zero delays before anything was played out', () => {
    const r = receiveStats(EMPTY_FIGURES, EMPTY_FIGURES, 960);
    expect(r.currentDelayMs).toBe(0);
    expect(r.meanDelayMs).toBe(0);
    expect(r.expected).toBe(0);
  });

  it('reports packets sent and nothing else for the send side', () => {
    const s = sendStats(readLinkFigures(chromeReport()));
    expect(s).toEqual({ queued: 0, sent: 1490, droppedOverflow: 0, sendErrors: 0, sendTimeouts: 0, lastDelayMs: 0, maxDelayMs: 0, meanDelayMs: 0, lastError: undefined });
  });
});
