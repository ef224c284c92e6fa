/**
 * Two real `roundtable join` processes, relay-only through a real coturn,
 * with the impairment relay (src/engine/sim/udp-relay.ts) in front of coturn
 * (docs/architecture.md §10), under conditions from the "real networks" issue:
 *
 *   coturn direct    clients talk to coturn itself (no relay): the baseline
 *   clean relay      through the relay, no impairment (what the hop costs)
 *   5 % + 20/0–30    5 % random loss, 20 ms base delay, 0–30 ms jitter (reorders)
 *   … RED off        the same with `audio.redundancy: false` (plain Opus, RFC 2198 RED not sent)
 *   15 % GE bursts   Gilbert–Elliott loss, 15 % long-run in bursts of 3 on average, 20 ms base, 0–60 ms jitter
 *   3 s outage       clean relay, forwarding stopped for 3 s mid-call
 *
 * Only the client → coturn direction is impaired: every end-to-end packet
 * (A → relay → coturn → relay → B) crosses the impairment once, so the loss
 * and jitter a receiver sees are the ones named. TURN control traffic
 * (Allocate, Refresh, ChannelBind; RFC 8656) crosses it too, which is what
 * slows connecting.
 *
 * Per call: the newcomer ("talker") sends a looping click train, the
 * listener sends speech. Measured:
 * - mouth-to-ear of the clicks talker → listener, on the monotonic clock
 *   (--stats anchors, docs/architecture.md §8), clicks sent from 0.5 s after
 *   the link is up;
 * - the talker's join → peer-connected (its own log's times) and link
 *   generations (a rebuilt link counts 2 or more);
 * - the listener's loss (its own RTP accounting, RFC 3550 A.3) and frames
 *   concealed (playback frames into which Opus PLC was pushed: one per lost
 *   20 ms packet, so given as a share of the packets expected), and mean
 *   jitter-buffer delay (arrival → playout of played packets). Opus DTX is
 *   off and the click train loops seamlessly (clicks closer than the voice
 *   gate's 300 ms hangover), so every frame is sent and concealment counts
 *   only what the network took: with DTX on, the silences between clicks are
 *   not sent and their concealment would count too (6 % on a clean path);
 * - packets the listener played from RED copies (RFC 2198), as a share of
 *   the packets expected, and the RED distance the talker ended at; the
 *   talker's bitrate to the listener (bytes its link sent, RTP and RTCP with
 *   their headers, per second of the call) and its media process's CPU time
 *   per second of the call (--stats mediaProcess figures);
 * - correlation of the talker's output with the listener's speech;
 * - with an outage: from the path's return to the first audible output of the
 *   click train (clicks every 100 ms, so up to 100 ms of that is waiting for
 *   the next click). Mouth-to-ear in that call is of clicks before the
 *   outage and from 1 s after the return, matched within 90 ms (the period
 *   is 100 ms): slower clicks count as missed.
 *
 * Run: `npm run build && node dist/bench/impaired-link.js [runs] [name filter]`, or `run()`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { monotonicClock } from '../src/core/clock.js';
import { readWavMono48k, writeWav } from '../src/engine/audio/wav-file.js';
import { gilbertElliottFor } from '../src/engine/sim/network.js';
import type { PathImpairment } from '../src/engine/sim/udp-relay.js';
import { generateJoinCode } from '../src/protocol/index.js';
import { startSignalingServer } from '../src/server/index.js';
import { bestPresence, detectOnsets, HEARD, firstAudible, makeClickTrain, matchOnsets, median, percentile } from './lib/analysis.js';
import { coturnMissingReason, relayOnlyConfigYaml, startCoturn, startImpairedTurn } from './lib/coturn.js';
import { repoRoot } from './lib/paths.js';
import { spawnJoin, type JoinProcess } from './p2p-latency.js';

export interface Condition {
  name: string;
  /** null: clients use coturn directly, no relay. */
  impairment: PathImpairment | null;
  /** Stop forwarding for this long, 3 s after the link is up. */
  outageMs?: number;
  /** Send RED where negotiated (default true: the product's default). */
  redundancy?: boolean;
}

export const CONDITIONS: readonly Condition[] = [
  { name: 'coturn direct (no relay)', impairment: null },
  { name: 'clean relay', impairment: {} },
  { name: '5 % loss, 20 ms + 0–30 ms jitter', impairment: { lossPercent: 5, baseDelayMs: 20, jitterMs: 30 } },
  { name: '5 % loss, 20 ms + 0–30 ms jitter, RED off', impairment: { lossPercent: 5, baseDelayMs: 20, jitterMs: 30 }, redundancy: false },
  { name: '15 % GE bursts (mean 3), 20 ms + 0–60 ms jitter', impairment: { gilbertElliott: gilbertElliottFor(15, 3), baseDelayMs: 20, jitterMs: 60 } },
  { name: '3 s outage (clean relay)', impairment: {}, outageMs: 3000 },
];

interface Stats {
  anchors: { firstInputNs: string | null; firstOutputNs: string | null };
  peers: Array<{
    packetsReceived: number;
    packetsLost: number;
    framesConcealed: number;
    packetsRecovered: number;
    redDistance: number | null;
    bytesSent: number;
    linkGenerations: number;
    meanJitterBufferMs: number;
    accelerateSamples?: number;
    expandSamples?: number;
  }>;
  /** The media process (where encoding, RED and sending run). */
  mediaProcess?: { cpuUserMs: number; cpuSystemMs: number };
}

interface CallResult {
  /** Clicks before an outage (all clicks when there is none). */
  delaysMs: number[];
  /** Clicks from 1 s after the path returned. */
  delaysAfterMs: number[];
  missed: number;
  connectMs: number | null;
  linkGenerations: number;
  lossPercent: number;
  concealedPercent: number;
  recoveredPercent: number;
  redDistance: number | null;
  talkerKbps: number;
  talkerCpuPercent: number;
  meanJitterBufferMs: number;
  correlation: number;
  /** The same with 1 s probes (analysis.ts HEARD), which a stretching receiver does not misalign. */
  heard: number;
  /** The talker's playout of the listener's speech: time stretched (accelerated + expanded), ms per s of call; its mean jitter-buffer delay. */
  speechStretchMsPerS: number;
  speechJitterBufferMs: number;
  audioBackMs: number | null;
  exitCodes: Array<number | null>;
}

export interface ConditionResult {
  name: string;
  runs: number;
  clicks: number;
  missed: number;
  mouthToEarMedianMs: number;
  mouthToEarP90Ms: number;
  /** Outage runs: clicks from 1 s after the path returned (NaN otherwise). */
  mouthToEarAfterOutageMedianMs: number;
  connectMs: number[];
  linkGenerations: number[];
  lossPercent: number[];
  concealedPercent: number[];
  /** Packets played from RED copies, % of packets expected; the talker's RED distance at the end (null: not negotiated or off). */
  recoveredPercent: number[];
  redDistance: Array<number | null>;
  /** The talker's link: kb/s sent to the listener; its process's CPU, % of one core over the call. */
  talkerKbps: number[];
  talkerCpuPercent: number[];
  meanJitterBufferMs: number[];
  correlation: number[];
  heard: number[];
  speechStretchMsPerS: number[];
  speechJitterBufferMs: number[];
  /** Outage runs only. */
  audioBackMs: Array<number | null>;
  /** Runs where a process did not exit 0. */
  badExits: number;
}

export interface ImpairedLinkResult {
  skipped: string | null;
  conditions: ConditionResult[];
}

// No noise suppression either: the talker sends click trains, which RNNoise would remove (bench/p2p-latency.ts loopbackConfig).
const NO_DTX = 'audio:\n  dtx: false\n  noiseSuppression: false\n';
const CLICK_PERIOD_MS = 250;
const OUTAGE_CLICK_PERIOD_MS = 100;
/** How long the talker clicks once the link is up (outage runs: 3 s before it, 4 s after the return). */
const TALK_MS = 6000;

interface Fixture {
  dir: string;
  serverUrl: string;
  speech: string;
  trains: Map<number, { file: string; onsets: number[]; lengthSamples: number; periodMs: number }>;
}

function timeOf(line: Record<string, unknown>): number {
  return Date.parse(String(line.time));
}

async function oneCall(f: Fixture, config: string, c: Condition, r: number, outage: (ms: number) => { endMs: number }): Promise<CallResult> {
  const code = generateJoinCode();
  const tag = `${CONDITIONS.indexOf(c)}-${r}`;
  const file = (n: string): string => path.join(f.dir, `${n}-${tag}`);
  const train = f.trains.get(c.outageMs !== undefined ? OUTAGE_CLICK_PERIOD_MS : CLICK_PERIOD_MS)!;
  const listener = spawnJoin(code, f.serverUrl, config, ['--name', 'listener', '--input', f.speech, '--loop', '--output', file('heard.wav'), '--stats', file('listener.json'), '--duration', '60']);
  const procs: JoinProcess[] = [listener];
  try {
    await listener.waitFor((l) => l.event === 'joined', 15_000, 'the listener to join');
    const talker = spawnJoin(code, f.serverUrl, config, ['--name', 'talker', '--input', train.file, '--loop', '--output', file('talker-heard.wav'), '--stats', file('talker.json'), '--duration', '60']);
    procs.push(talker);
    const joined = await talker.waitFor((l) => l.event === 'joined', 15_000, 'the talker to join');
    const startedMs = monotonicClock.now();
    const connected = await talker.waitFor((l) => l.event === 'peer-connected', 30_000, 'the talker to connect');
    const upMs = monotonicClock.now();
    let pathBackMs: number | null = null;
    if (c.outageMs !== undefined) {
      await sleep(3000);
      pathBackMs = outage(c.outageMs).endMs;
      await sleep(c.outageMs + 4000);
    } else {
      await sleep(TALK_MS);
    }
    const endMs = monotonicClock.now();
    for (const p of procs) p.proc.kill('SIGINT');
    const exitCodes = await Promise.all(procs.map((p) => p.exited));

    const ls = JSON.parse(readFileSync(file('listener.json'), 'utf8')) as Stats;
    const ts = JSON.parse(readFileSync(file('talker.json'), 'utf8')) as Stats;
    if (ls.anchors.firstOutputNs === null || ts.anchors.firstInputNs === null) throw new Error('missing anchors in --stats');
    const inputStartMs = Number(BigInt(ts.anchors.firstInputNs)) / 1e6;
    const outputStartMs = Number(BigInt(ls.anchors.firstOutputNs)) / 1e6;
    const heard = await readWavMono48k(file('heard.wav'));
    // The input loops: its onsets repeat every file length. Keep those sent
    // while the link was up, away from the edges (and outside the outage).
    const onsets: number[] = [];
    const onsetsAfter: number[] = [];
    const toMs = (samples: number): number => (samples * 1000) / 48_000;
    for (let k = 0; toMs(k * train.lengthSamples) < endMs - inputStartMs; k++) {
      for (const o of train.onsets) {
        const at = inputStartMs + toMs(k * train.lengthSamples + o);
        const inOutage = pathBackMs !== null && at > pathBackMs - (c.outageMs ?? 0) - 100 && at < pathBackMs + 1000;
        if (at > upMs + 500 && at < endMs - 500 && !inOutage) (pathBackMs !== null && at > pathBackMs ? onsetsAfter : onsets).push(k * train.lengthSamples + o);
      }
    }
    const offsetSamples = ((outputStartMs - inputStartMs) * 48_000) / 1000;
    // A window shorter than the click period: a lost click must count as
    // missed, not match the next click's output one period later.
    const heardOnsets = detectOnsets(heard, { threshold: 0.1 });
    const delaysMs = matchOnsets(onsets, heardOnsets, { offsetSamples, windowMs: train.periodMs - 10 });
    const delaysAfterMs = matchOnsets(onsetsAfter, heardOnsets, { offsetSamples, windowMs: train.periodMs - 10 });
    const peer = ls.peers[0];
    const callS = (endMs - startedMs) / 1000;
    const expectedPackets = peer === undefined ? 0 : peer.packetsReceived + peer.packetsLost;
    const speech = await readWavMono48k(f.speech);
    const talkerHeard = await readWavMono48k(file('talker-heard.wav'));
    let audioBackMs: number | null = null;
    if (pathBackMs !== null) {
      const back = firstAudible(heard, ((pathBackMs - outputStartMs) * 48_000) / 1000);
      audioBackMs = back === null ? null : outputStartMs + toMs(back) - pathBackMs;
    }
    return {
      delaysMs,
      delaysAfterMs,
      missed: onsets.length - delaysMs.length + onsetsAfter.length - delaysAfterMs.length,
      connectMs: timeOf(connected) - timeOf(joined),
      linkGenerations: Math.max(ls.peers[0]?.linkGenerations ?? 0, ts.peers[0]?.linkGenerations ?? 0),
      lossPercent: expectedPackets > 0 ? (100 * peer!.packetsLost) / expectedPackets : NaN,
      concealedPercent: expectedPackets > 0 ? (100 * peer!.framesConcealed) / expectedPackets : NaN,
      recoveredPercent: expectedPackets > 0 ? (100 * peer!.packetsRecovered) / expectedPackets : NaN,
      redDistance: ts.peers[0]?.redDistance ?? null,
      talkerKbps: ((ts.peers[0]?.bytesSent ?? NaN) * 8) / 1000 / callS,
      talkerCpuPercent: ts.mediaProcess === undefined ? NaN : (100 * (ts.mediaProcess.cpuUserMs + ts.mediaProcess.cpuSystemMs)) / 1000 / callS,
      meanJitterBufferMs: peer?.meanJitterBufferMs ?? NaN,
      correlation: bestPresence(speech, talkerHeard),
      heard: bestPresence(speech, talkerHeard, HEARD),
      speechStretchMsPerS: (((ts.peers[0]?.accelerateSamples ?? NaN) + (ts.peers[0]?.expandSamples ?? NaN)) / 48) / callS,
      speechJitterBufferMs: ts.peers[0]?.meanJitterBufferMs ?? NaN,
      audioBackMs,
      exitCodes,
    };
  } finally {
    for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
  }
}

/** `runs` calls per condition (outage: max(1, runs − 1)); conditions interleaved run by run so all meet the same load. */
export async function run(runs = 3, conditions: readonly Condition[] = CONDITIONS): Promise<ImpairedLinkResult> {
  const missing = coturnMissingReason();
  if (missing !== null) return { skipped: missing, conditions: [] };
  const dir = mkdtempSync(path.join(tmpdir(), 'rt-bench-impaired-'));
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  const f: Fixture = { dir, serverUrl: server.url, speech: path.join(repoRoot(), 'fixtures', 'speech-b.wav'), trains: new Map() };
  for (const period of [CLICK_PERIOD_MS, OUTAGE_CLICK_PERIOD_MS]) {
    // A 2 s train that loops seamlessly (first click at 0, the last a period before the end):
    // clicks sharp enough for onsets, dense enough to keep the voice gate open.
    const t = makeClickTrain({ durationMs: 2000, intervalMs: period, leadMs: 0 });
    const file = path.join(dir, `clicks-${period}.wav`);
    await writeWav(file, t.samples);
    f.trains.set(period, { file, onsets: t.onsets, lengthSamples: t.samples.length, periodMs: period });
  }
  const acc = conditions.map((c) => ({ c, calls: [] as CallResult[] }));
  try {
    for (let r = 0; r < runs; r++) {
      for (const a of acc) {
        if (a.c.outageMs !== undefined && r >= Math.max(1, runs - 1)) continue;
        // A fresh coturn (and relay) per call: no allocation or permission outlives its call.
        const seed = 100 + r;
        if (a.c.impairment === null) {
          const turn = await startCoturn();
          const config = path.join(dir, `direct-${r}.yaml`);
          writeFileSync(config, relayOnlyConfigYaml(turn, NO_DTX));
          try {
            a.calls.push(await oneCall(f, config, a.c, r, () => ({ endMs: NaN })));
          } finally {
            await turn.stop();
          }
        } else {
          const impaired = await startImpairedTurn({ seed, toTarget: a.c.impairment });
          const config = path.join(dir, `relay-${CONDITIONS.indexOf(a.c)}-${r}.yaml`);
          writeFileSync(config, relayOnlyConfigYaml({ ...impaired.turn, url: impaired.url }, a.c.redundancy === false ? `${NO_DTX}  redundancy: false\n` : NO_DTX));
          try {
            a.calls.push(await oneCall(f, config, a.c, r, (ms) => impaired.relay.outage(ms)));
          } finally {
            await impaired.stop();
          }
        }
      }
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    skipped: null,
    conditions: acc.map(({ c, calls }) => {
      const all = calls.flatMap((x) => x.delaysMs);
      const after = calls.flatMap((x) => x.delaysAfterMs);
      return {
        name: c.name,
        runs: calls.length,
        clicks: all.length + after.length,
        missed: calls.reduce((s, x) => s + x.missed, 0),
        mouthToEarMedianMs: round(median(all)),
        mouthToEarP90Ms: round(percentile(all, 90)),
        mouthToEarAfterOutageMedianMs: round(median(after)),
        connectMs: calls.map((x) => round(x.connectMs ?? NaN, 0)),
        linkGenerations: calls.map((x) => x.linkGenerations),
        lossPercent: calls.map((x) => round(x.lossPercent, 2)),
        concealedPercent: calls.map((x) => round(x.concealedPercent, 2)),
        recoveredPercent: calls.map((x) => round(x.recoveredPercent, 2)),
        redDistance: calls.map((x) => x.redDistance),
        talkerKbps: calls.map((x) => round(x.talkerKbps)),
        talkerCpuPercent: calls.map((x) => round(x.talkerCpuPercent)),
        meanJitterBufferMs: calls.map((x) => round(x.meanJitterBufferMs)),
        correlation: calls.map((x) => round(x.correlation, 2)),
        heard: calls.map((x) => round(x.heard, 2)),
        speechStretchMsPerS: calls.map((x) => round(x.speechStretchMsPerS)),
        speechJitterBufferMs: calls.map((x) => round(x.speechJitterBufferMs)),
        audioBackMs: calls.map((x) => (x.audioBackMs === null ? null : round(x.audioBackMs, 0))),
        badExits: calls.filter((x) => x.exitCodes.some((e) => e !== 0)).length,
      };
    }),
  };
}

function round(x: number, digits = 1): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const runs = Number(process.argv[2] ?? 3);
  const only = process.argv[3];
  run(Number.isInteger(runs) && runs > 0 ? runs : 3, only === undefined ? CONDITIONS : CONDITIONS.filter((c) => c.name.includes(only)))
    .then((result) => {
      if (result.skipped !== null) console.log(`skipped: ${result.skipped}`);
      for (const c of result.conditions) {
        console.log(c.name);
        for (const [k, v] of Object.entries(c)) if (k !== 'name') console.log(`  ${k.padEnd(20)} ${Array.isArray(v) ? v.join(', ') : v}`);
      }
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
