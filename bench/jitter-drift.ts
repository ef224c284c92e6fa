/**
 * The jitter buffer's delay under clock drift, after a burst of jitter, and
 * on a lossy jittery link, with time stretching (accelerate / expand,
 * docs/architecture.md §2) and without it. In process, on a ManualClock:
 * real Opus (speech-b.wav encoded once at 20 ms frames, its packets sent in
 * a loop without a pause so no talkspurt re-anchors the buffer), a
 * RemoteStream pulled 10 ms at a time as playback does. Seeded: the same
 * figures every run, apart from the CPU timings.
 *
 * - drift: the sender's clock ε = ±100 / ±300 ppm off ours for 30 minutes;
 *   D (the delay of a fastest-path packet) once a second, its mean over
 *   minutes 1–6 against the last 5, its band, and every whole frame dropped
 *   (hard catch-up, quiet drop) or concealed.
 * - burst: 20 s clean, 10 s of 0–60 ms uniform jitter, 40 s clean; how long
 *   after the burst D is back within 5 ms of its level before it.
 * - lossy: 5 % loss + 0–30 ms uniform jitter for 60 s: mean time a packet
 *   waits in the buffer (arrival → played) and frames concealed.
 *
 * Run: `npx tsx bench/jitter-drift.ts`, or `run()` from bench/run.ts.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ManualClock } from '../src/core/clock.js';
import type { MediaPacket } from '../src/engine/codec/types.js';
import { createOpusDecoder, createOpusEncoder } from '../src/engine/codec/opus.js';
import { readWavMono48k } from '../src/engine/audio/wav-file.js';
import { RemoteStream, type RemoteStreamStats } from '../src/engine/receive/remote-stream.js';
import { TimeStretcher } from '../src/engine/receive/time-stretch.js';
import { createRandom } from '../src/engine/sim/prng.js';
import { median, percentile } from './lib/analysis.js';
import { fixture } from './lib/paths.js';

const FRAME = 960;

async function encodedSpeech(): Promise<{ payloads: Uint8Array[]; pcm: Int16Array }> {
  const pcm = await readWavMono48k(fixture('speech-b.wav'));
  const encoder = createOpusEncoder({ frameMs: 20 });
  const payloads: Uint8Array[] = [];
  for (let i = 0; i + FRAME <= pcm.length; i += FRAME) payloads.push(Uint8Array.from(encoder.encode(pcm.subarray(i, i + FRAME))));
  return { payloads, pcm };
}

interface Link {
  /** Sender clock off ours, ppm. */
  ppm: number;
  /** Extra delay of packet `seq` sent at `sendMs`, or null if it is lost. */
  impair(seq: number, sendMs: number): number | null;
}

interface Trace {
  /** D, and the target, once a second (ms). */
  delays: number[];
  targets: number[];
  stats: RemoteStreamStats;
  wallMs: number;
}

function simulate(payloads: Uint8Array[], link: Link, seconds: number, stretch: boolean): Trace {
  const clock = new ManualClock(0);
  const stream = new RemoteStream({ frameMs: 10, clock, decoderFactory: createOpusDecoder, jitter: { marginMs: 2 }, playout: { stretch } });
  const sendPeriodMs = 20 / (1 + link.ppm * 1e-6);
  const endMs = seconds * 1000;
  const pending: Array<{ at: number; p: MediaPacket }> = [];
  const delays: number[] = [];
  const targets: number[] = [];
  let seq = 0;
  const t0 = performance.now();
  for (let k = 0, t = 3; t < endMs; k++, t += 10) {
    // Packets sent up to now (path delay 5 ms plus the link's), delivered in arrival order.
    while (seq * sendPeriodMs <= t) {
      const sendMs = seq * sendPeriodMs;
      const extra = link.impair(seq, sendMs);
      if (extra !== null) {
        const p: MediaPacket = { sequenceNumber: seq & 0xffff, timestamp: (seq * FRAME) >>> 0, ssrc: 1, payloadType: 111, marker: seq === 0, payload: payloads[seq % payloads.length]! };
        pending.push({ at: sendMs + 5 + extra, p });
      }
      seq++;
    }
    pending.sort((a, b) => a.at - b.at);
    while (pending.length > 0 && pending[0]!.at <= t) {
      const { at, p } = pending.shift()!;
      clock.advance(Math.max(0, at - clock.now()));
      stream.insert(p, clock.now());
    }
    clock.advance(t - clock.now());
    stream.pullFrame();
    if (k % 100 === 99) {
      const s = stream.stats();
      delays.push(s.currentDelayMs);
      targets.push(s.targetDelayMs);
    }
  }
  return { delays, targets, stats: stream.stats(), wallMs: performance.now() - t0 };
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const ms = (samples: number): number => samples / 48;

export interface DriftFigures {
  ppm: number;
  stretch: boolean;
  firstMeanMs: number;
  lastMeanMs: number;
  driftMs: number;
  bandMs: [number, number];
  wholeFrames: { discarded: number; quietDrops: number; concealed: number; late: number };
  accelerateMs: number;
  expandMs: number;
}

function drift(payloads: Uint8Array[], ppm: number, stretch: boolean): DriftFigures {
  const random = createRandom(ppm + 7);
  // Up to 1 ms of scheduling noise on a clean path.
  const r = simulate(payloads, { ppm, impair: () => random.next() }, 30 * 60, stretch);
  const first = mean(r.delays.slice(60, 360));
  const last = mean(r.delays.slice(-300));
  const settled = r.delays.slice(60);
  return {
    ppm,
    stretch,
    firstMeanMs: first,
    lastMeanMs: last,
    driftMs: last - first,
    bandMs: [Math.min(...settled), Math.max(...settled)],
    wholeFrames: { discarded: r.stats.discarded, quietDrops: r.stats.catchUpDrops, concealed: r.stats.concealed, late: r.stats.late },
    accelerateMs: ms(r.stats.accelerateSamples),
    expandMs: ms(r.stats.expandSamples),
  };
}

export interface BurstFigures {
  stretch: boolean;
  beforeMs: number;
  peakMs: number;
  /** Seconds after the burst until D is within 5 ms of `beforeMs` (and stays), or null. */
  backAfterS: number | null;
  /** D 2, 5, 10 and 20 s after the burst. */
  afterMs: number[];
  concealed: number;
}

function burst(payloads: Uint8Array[], stretch: boolean): BurstFigures {
  const random = createRandom(11);
  const r = simulate(payloads, { ppm: 0, impair: (_seq, sendMs) => (sendMs >= 20_000 && sendMs < 30_000 ? random.next() * 60 : random.next()) }, 70, stretch);
  const before = mean(r.delays.slice(10, 20));
  const after = r.delays.slice(30);
  let back: number | null = null;
  for (let i = after.length - 1; i >= 0 && Math.abs(after[i]! - before) <= 5; i--) back = i + 1;
  return { stretch, beforeMs: before, peakMs: Math.max(...r.delays.slice(20, 30)), backAfterS: back, afterMs: [2, 5, 10, 20].map((s) => after[s - 1]!), concealed: r.stats.concealed };
}

export interface LossyFigures {
  stretch: boolean;
  meanWaitMs: number;
  meanDelayMs: number;
  concealedPercent: number;
  late: number;
  accelerateMs: number;
  expandMs: number;
}

function lossy(payloads: Uint8Array[], stretch: boolean): LossyFigures {
  const random = createRandom(23);
  const r = simulate(payloads, { ppm: 0, impair: () => (random.next() < 0.05 ? null : random.next() * 30) }, 60, stretch);
  return {
    stretch,
    meanWaitMs: r.stats.meanDelayMs,
    meanDelayMs: mean(r.delays.slice(5)),
    concealedPercent: (100 * r.stats.concealed) / Math.max(1, r.stats.expected),
    late: r.stats.late,
    accelerateMs: ms(r.stats.accelerateSamples),
    expandMs: ms(r.stats.expandSamples),
  };
}

export interface CostFigures {
  calls: number;
  stretched: number;
  medianUs: number;
  p99Us: number;
}

/** Time per accelerate / expand call on 20 ms chunks of speech. */
function cost(pcm: Int16Array): CostFigures {
  const stretcher = new TimeStretcher();
  const buf = new Int16Array(FRAME + 720);
  const times: number[] = [];
  let stretched = 0;
  for (let rep = 0; rep < 5; rep++) {
    for (let i = 0; i + FRAME <= pcm.length; i += FRAME) {
      buf.set(pcm.subarray(i, i + FRAME));
      const t = performance.now();
      const len = (i / FRAME) % 2 === 0 ? stretcher.accelerate(buf, FRAME) : stretcher.expand(buf, FRAME);
      times.push((performance.now() - t) * 1000);
      if (len !== FRAME) stretched++;
    }
  }
  return { calls: times.length, stretched, medianUs: median(times), p99Us: percentile(times, 99) };
}

export async function run(): Promise<{ drift: DriftFigures[]; burst: BurstFigures[]; lossy: LossyFigures[]; cost: CostFigures }> {
  const { payloads, pcm } = await encodedSpeech();
  const driftFigures: DriftFigures[] = [];
  for (const ppm of [100, -100, 300, -300]) driftFigures.push(drift(payloads, ppm, true));
  for (const ppm of [300, -300]) driftFigures.push(drift(payloads, ppm, false));
  return {
    drift: driftFigures,
    burst: [burst(payloads, true), burst(payloads, false)],
    lossy: [lossy(payloads, true), lossy(payloads, false)],
    cost: cost(pcm),
  };
}

const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

export function render(r: Awaited<ReturnType<typeof run>>): string[] {
  const on = (s: boolean): string => (s ? 'stretching' : 'off');
  return [
    'In process on a ManualClock: real Opus (speech-b.wav at 20 ms frames, sent without pause), a RemoteStream pulled 10 ms at a time, path delay 5 ms + 0–1 ms noise, seeded. ' +
      'D = delay of a fastest-path packet (what the UI shows as jitter buffer). Goals: ±100/±300 ppm over 30 min: D drift < 5 ms, no whole-frame drops; 5 % loss + 30 ms jitter: mean buffer delay ≤ 40 ms.',
    '',
    '| clock drift | mode | mean D, min 1–6 | mean D, last 5 min | drift | band of D | whole frames dropped (hard / quiet) | concealed | late | accelerated | expanded |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.drift.map(
      (d) =>
        `| ${d.ppm > 0 ? '+' : ''}${d.ppm} ppm | ${on(d.stretch)} | ${f(d.firstMeanMs)} ms | ${f(d.lastMeanMs)} ms | **${f(d.driftMs)} ms** | ${f(d.bandMs[0])}–${f(d.bandMs[1])} ms | ${d.wholeFrames.discarded} / ${d.wholeFrames.quietDrops} | ${d.wholeFrames.concealed} | ${d.wholeFrames.late} | ${f(d.accelerateMs, 0)} ms | ${f(d.expandMs, 0)} ms |`,
    ),
    '',
    'Jitter burst: 20 s clean, 10 s of 0–60 ms uniform jitter, then clean again.',
    '',
    '| mode | D before | peak D in the burst | D 2 / 5 / 10 / 20 s after | back within 5 ms after | concealed |',
    '|---|---|---|---|---|---|',
    ...r.burst.map(
      (b) =>
        `| ${on(b.stretch)} | ${f(b.beforeMs)} ms | ${f(b.peakMs)} ms | ${b.afterMs.map((x) => f(x)).join(' / ')} ms | **${b.backAfterS === null ? 'not within 40 s' : `${b.backAfterS} s`}** | ${b.concealed} |`,
    ),
    '',
    '5 % random loss + 0–30 ms uniform jitter, 60 s:',
    '',
    '| mode | mean wait in buffer (arrival → played) | mean D | concealed (per packet expected) | late | accelerated | expanded |',
    '|---|---|---|---|---|---|---|',
    ...r.lossy.map(
      (l) => `| ${on(l.stretch)} | **${f(l.meanWaitMs)} ms** | ${f(l.meanDelayMs)} ms | ${f(l.concealedPercent, 2)} % | ${l.late} | ${f(l.accelerateMs, 0)} ms | ${f(l.expandMs, 0)} ms |`,
    ),
    '',
    `Time stretching cost: ${r.cost.calls} accelerate/expand calls on 20 ms chunks of speech, ${r.cost.stretched} stretched; median **${f(r.cost.medianUs)} µs**, p99 ${f(r.cost.p99Us)} µs per call.`,
  ];
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) console.log(render(await run()).join('\n'));
