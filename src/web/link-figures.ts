/**
 * What the page reads from RTCPeerConnection.getStats() (W3C
 * webrtc-stats), turned into the figures the room shows for a terminal
 * peer (PeerMediaStats, engine/media/media-port.ts). Pure: entries in,
 * figures out, so it is tested in plain Node. Figures libwebrtc does not
 * report (packets late, reordered, duplicates, decoder resets, packets
 * recovered from RED, RFC 2198: NetEQ splits RED before counting and has no
 * such counter) stay 0 and the UI does not show them for browser links.
 */
import type { CandidateInfo, CandidatePair } from '../engine/mesh/link-types.js';
import type { RemoteStreamStats } from '../engine/receive/remote-stream.js';
import type { SendLoopStats } from '../engine/send/send-loop.js';

/** One stats entry as getStats() gives it (RTCStats dictionaries). */
export type StatsEntry = Readonly<Record<string, unknown>> & { readonly type: string; readonly id: string };

export interface LinkFigures {
  /** RTP packets received / lost on the audio inbound-rtp (RFC 3550 A.3 as libwebrtc counts them). */
  readonly packetsReceived: number;
  readonly packetsLost: number;
  readonly packetsSent: number;
  /** Bytes over the selected transport (RTP, RTCP, STUN): what keeps a quiet peer "alive". */
  readonly transportBytesReceived: number;
  readonly transportBytesSent: number;
  /** Interarrival jitter, ms (RFC 3550 A.8). */
  readonly jitterMs: number;
  /** Sum of each emitted sample's jitter-buffer delay, s, and how many samples were emitted. */
  readonly jitterBufferDelayS: number;
  readonly jitterBufferEmittedCount: number;
  readonly concealedSamples: number;
  /** Of those, samples concealed during silence (the sender sent nothing: DTX or a voice gate). */
  readonly silentConcealedSamples: number;
  readonly totalSamplesReceived: number;
  /** NetEQ's time stretching: samples removed by accelerate, inserted by expand (webrtc-stats inbound-rtp). */
  readonly removedSamplesForAcceleration: number;
  readonly insertedSamplesForDeceleration: number;
  readonly audioLevel: number;
  /** From RTCP (remote-inbound-rtp) or, before the first report, from ICE consent checks. */
  readonly rttMs: number | null;
  readonly selectedPair: CandidatePair | null;
}

export const EMPTY_FIGURES: LinkFigures = {
  packetsReceived: 0,
  packetsLost: 0,
  packetsSent: 0,
  transportBytesReceived: 0,
  transportBytesSent: 0,
  jitterMs: 0,
  jitterBufferDelayS: 0,
  jitterBufferEmittedCount: 0,
  concealedSamples: 0,
  silentConcealedSamples: 0,
  totalSamplesReceived: 0,
  removedSamplesForAcceleration: 0,
  insertedSamplesForDeceleration: 0,
  audioLevel: 0,
  rttMs: null,
  selectedPair: null,
};

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
/** A round-trip time in seconds, or null when absent or not a finite number (never NaN on screen). */
const finiteOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function candidate(entry: StatsEntry | undefined): CandidateInfo | null {
  if (entry === undefined) return null;
  return { address: str(entry.address ?? entry.ip), port: num(entry.port), type: str(entry.candidateType), transportType: str(entry.protocol) };
}

export function readLinkFigures(entries: Iterable<StatsEntry>): LinkFigures {
  const byId = new Map<string, StatsEntry>();
  const all: StatsEntry[] = [];
  for (const e of entries) {
    byId.set(e.id, e);
    all.push(e);
  }
  const inbound = all.find((e) => e.type === 'inbound-rtp' && e.kind === 'audio');
  const outbound = all.find((e) => e.type === 'outbound-rtp' && e.kind === 'audio');
  const remoteInbound = all.find((e) => e.type === 'remote-inbound-rtp' && e.kind === 'audio');
  const transport = all.find((e) => e.type === 'transport');
  const pairId = transport !== undefined ? str(transport.selectedCandidatePairId) : '';
  const pair = byId.get(pairId) ?? all.find((e) => e.type === 'candidate-pair' && e.nominated === true && e.state === 'succeeded');
  const local = pair !== undefined ? candidate(byId.get(str(pair.localCandidateId))) : null;
  const remote = pair !== undefined ? candidate(byId.get(str(pair.remoteCandidateId))) : null;
  const rtcpRtt = finiteOrNull(remoteInbound?.roundTripTime);
  const iceRtt = finiteOrNull(pair?.currentRoundTripTime);
  const rttS = rtcpRtt ?? iceRtt;
  return {
    packetsReceived: num(inbound?.packetsReceived),
    packetsLost: Math.max(0, num(inbound?.packetsLost)),
    packetsSent: num(outbound?.packetsSent),
    transportBytesReceived: num(transport?.bytesReceived ?? pair?.bytesReceived),
    transportBytesSent: num(transport?.bytesSent ?? pair?.bytesSent),
    jitterMs: num(inbound?.jitter) * 1000,
    jitterBufferDelayS: num(inbound?.jitterBufferDelay),
    jitterBufferEmittedCount: num(inbound?.jitterBufferEmittedCount),
    concealedSamples: num(inbound?.concealedSamples),
    silentConcealedSamples: num(inbound?.silentConcealedSamples),
    totalSamplesReceived: num(inbound?.totalSamplesReceived),
    removedSamplesForAcceleration: num(inbound?.removedSamplesForAcceleration),
    insertedSamplesForDeceleration: num(inbound?.insertedSamplesForDeceleration),
    audioLevel: num(inbound?.audioLevel),
    rttMs: rttS === null ? null : rttS * 1000,
    selectedPair: local !== null && remote !== null ? { local, remote } : null,
  };
}

/** Mean jitter-buffer delay of the samples emitted between two readings, ms (0 when none were). */
export function jitterBufferDelayMs(now: LinkFigures, before: LinkFigures): number {
  const emitted = now.jitterBufferEmittedCount - before.jitterBufferEmittedCount;
  return emitted > 0 ? ((now.jitterBufferDelayS - before.jitterBufferDelayS) / emitted) * 1000 : 0;
}

/** The reception figures in the shape of a terminal's RemoteStream (engine/receive/remote-stream.ts). */
export function receiveStats(now: LinkFigures, before: LinkFigures, frameSamples: number): RemoteStreamStats {
  const delayMs = jitterBufferDelayMs(now, before);
  const meanDelayMs = now.jitterBufferEmittedCount > 0 ? (now.jitterBufferDelayS / now.jitterBufferEmittedCount) * 1000 : 0;
  return {
    currentDelayMs: delayMs,
    targetDelayMs: delayMs,
    meanDelayMs,
    jitterMs: now.jitterMs,
    bufferedPackets: 0,
    received: now.packetsReceived,
    expected: now.packetsReceived + now.packetsLost,
    lost: now.packetsLost,
    late: 0,
    concealed: Math.round(now.concealedSamples / frameSamples),
    reordered: 0,
    duplicates: 0,
    outOfWindow: 0,
    discarded: 0,
    invalid: 0,
    resets: 0,
    drains: 0,
    concealedFrames: Math.round(now.concealedSamples / frameSamples),
    corruptPackets: 0,
    catchUpDrops: 0,
    accelerateSamples: now.removedSamplesForAcceleration,
    expandSamples: now.insertedSamplesForDeceleration,
    recovered: 0,
    redPackets: 0,
    redMalformed: 0,
  };
}

/** The send figures in the shape of a terminal's SendLoop (the browser paces its own sending). */
export function sendStats(now: LinkFigures): SendLoopStats {
  return { queued: 0, sent: now.packetsSent, droppedOverflow: 0, sendErrors: 0, sendTimeouts: 0, lastDelayMs: 0, maxDelayMs: 0, meanDelayMs: 0, lastError: undefined };
}
