/**
 * Mouth-to-ear latency and impaired-link figures through `roundtable
 * loopback`'s pipeline, in real time (real timers, real Opus, WAV files).
 *
 * Latency: a click train goes in; clicks are found in the output; each
 * click's delay is (output time) − (input time), both on the monotonic clock
 * via the engine's anchors (docs/architecture.md §8). Two playback phases:
 *  - aligned: playback pulls 4 ms after each captured frame (what the
 *    loopback command does with files; a well-aligned device);
 *  - random: the playback clock starts at a random phase, as a sound card's
 *    clock would (uniform over one 10 ms pull).
 *
 * Run: `npx tsx bench/loopback.ts [runs]`, or `run()` from bench/run.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FrameMs } from '../src/core/media-format.js';
import { readWavMono48k, writeWav } from '../src/engine/audio/wav-file.js';
import { WavSink } from '../src/engine/audio/wav-sink.js';
import { WavSource } from '../src/engine/audio/wav-source.js';
import { runLoopback } from '../src/engine/media/loopback.js';
import { OPUS_LOOKAHEAD_MS } from '../src/engine/codec/types.js';
import { createRandom } from '../src/engine/sim/prng.js';
import { detectOnsets, makeClickTrain, matchOnsets, median, percentile, presenceOf } from './lib/analysis.js';
import { fixture } from './lib/paths.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rt-bench-loopback-'));

export interface LatencyFigures {
  frameMs: FrameMs;
  phase: 'aligned' | 'random';
  clicks: number;
  missed: number;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  /** The Opus floor: one frame + the encoder's lookahead (docs/architecture.md §8). */
  floorMs: number;
  meanPhaseMs: number;
  meanBufferMs: number;
}

async function latencyRuns(frameMs: FrameMs, phase: 'aligned' | 'random', runs: number, seed: number): Promise<LatencyFigures> {
  const random = createRandom(seed);
  const train = makeClickTrain({ durationMs: 8000, intervalMs: 250 });
  const input = path.join(dir, 'clicks.wav');
  await writeWav(input, train.samples);
  const delays: number[] = [];
  const phases: number[] = [];
  const buffers: number[] = [];
  let missed = 0;
  for (let r = 0; r < runs; r++) {
    const output = path.join(dir, `clicks-${frameMs}-${phase}-${r}.wav`);
    const result = await runLoopback({
      source: new WavSource({ path: input, frameMs }),
      sink: new WavSink({ path: output, frameMs: 10 }),
      frameMs,
      playoutPhaseMs: phase === 'aligned' ? 4 : random.next() * 10,
    });
    const out = await readWavMono48k(output);
    const offset = (Number(result.anchors.firstOutputNs! - result.anchors.firstInputNs!) / 1e9) * 48_000;
    const d = matchOnsets(train.onsets, detectOnsets(out), { offsetSamples: offset });
    missed += train.onsets.length - d.length;
    delays.push(...d);
    if (result.measuredPhaseMs !== null) phases.push(result.measuredPhaseMs);
    buffers.push(result.peer.receive.meanDelayMs);
  }
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  return {
    frameMs,
    phase,
    clicks: delays.length,
    missed,
    medianMs: median(delays),
    p10Ms: percentile(delays, 10),
    p90Ms: percentile(delays, 90),
    floorMs: frameMs + OPUS_LOOKAHEAD_MS.voice,
    meanPhaseMs: mean(phases),
    meanBufferMs: mean(buffers),
  };
}

export interface ImpairedFigures {
  runs: number;
  lossPercent: number;
  jitterMs: number;
  expected: number;
  lost: number;
  late: number;
  latePercent: number;
  meanBufferDelayMs: number;
  maxMeanBufferDelayMs: number;
  concealed: number;
  medianCorrelation: number;
}

async function impairedRuns(runs: number): Promise<ImpairedFigures> {
  const speech = fixture('speech-b.wav');
  const reference = await readWavMono48k(speech);
  let expected = 0, lost = 0, late = 0, concealed = 0;
  const means: number[] = [];
  const correlations: number[] = [];
  for (let r = 0; r < runs; r++) {
    const output = path.join(dir, `impaired-${r}.wav`);
    const result = await runLoopback({
      source: new WavSource({ path: speech, frameMs: 20, loop: true }),
      sink: new WavSink({ path: output, frameMs: 10 }),
      frameMs: 20,
      durationMs: 15_000,
      playoutPhaseMs: 4,
      network: { lossPercent: 5, jitterMs: 40, seed: 100 + r },
    });
    const rx = result.peer.receive;
    expected += rx.expected;
    lost += rx.lost;
    late += rx.late;
    concealed += rx.concealed;
    means.push(rx.meanDelayMs);
    correlations.push(presenceOf(reference, await readWavMono48k(output), { fromMs: 1000 }).value);
  }
  return {
    runs,
    lossPercent: 5,
    jitterMs: 40,
    expected,
    lost,
    late,
    latePercent: (100 * late) / Math.max(1, expected),
    meanBufferDelayMs: means.reduce((s, x) => s + x, 0) / means.length,
    maxMeanBufferDelayMs: Math.max(...means),
    concealed,
    medianCorrelation: median(correlations),
  };
}

export async function run(runs = 3): Promise<{ latency: LatencyFigures[]; impaired: ImpairedFigures }> {
  const latency: LatencyFigures[] = [];
  for (const frameMs of [20, 10] as const) {
    latency.push(await latencyRuns(frameMs, 'aligned', runs, 1));
    latency.push(await latencyRuns(frameMs, 'random', runs, 2));
  }
  const impaired = await impairedRuns(runs);
  return { latency, impaired };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const result = await run(Number(process.argv[2] ?? 3));
  for (const l of result.latency) {
    console.log(
      `${l.frameMs} ms frames, ${l.phase} phase: median ${l.medianMs.toFixed(1)} ms (p10 ${l.p10Ms.toFixed(1)}, p90 ${l.p90Ms.toFixed(1)}; floor ${l.floorMs}) over ${l.clicks} clicks, ${l.missed} missed; mean phase ${l.meanPhaseMs.toFixed(1)} ms, mean buffer ${l.meanBufferMs.toFixed(1)} ms`,
    );
  }
  const i = result.impaired;
  console.log(
    `impaired (${i.lossPercent} % loss, ${i.jitterMs} ms jitter, ${i.runs}×15 s): late ${i.late}/${i.expected} (${i.latePercent.toFixed(2)} %), lost ${i.lost}, mean buffer delay ${i.meanBufferDelayMs.toFixed(1)} ms (worst run ${i.maxMeanBufferDelayMs.toFixed(1)}), correlation ${i.medianCorrelation.toFixed(2)}`,
  );
}
