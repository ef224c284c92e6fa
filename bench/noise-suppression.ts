/**
 * Noise suppression (RNNoise, src/engine/dsp/rnnoise.ts) on speech with fan
 * and keyboard noise at 5 dB SNR: the three speech fixtures (15 s, three
 * voices) plus fixtures/noise-fan.wav + noise-keys.wav (made by
 * fixtures/make-noise-fixture.sh), mixed by bench/lib/noisy-speech.ts.
 *
 * - the filter alone: noise reduction in speech pauses (dB) for fan, keys
 *   and both (and both without the voice hold), and speech windows found (500 ms windows of the clean speech
 *   correlating ≥ 0.6 with the output at the common lag);
 * - CPU: ms per 10 ms of audio through the send chain (FilterChain with the
 *   suppressor, 20 ms frames), median / p99 / max;
 * - the whole media path (`roundtable loopback` on a manual clock: gate,
 *   Opus, jitter buffer, mix) with suppression off, on the send path, and on
 *   the receive path (per-peer), same figures.
 *
 * Goal (issue "Voice processing"): pauses ≥ 20 dB quieter, ≥ 0.8 of the
 * speech windows found, the chain ≤ 1.5 ms per 10 ms.
 *
 * Run: `npx tsx bench/noise-suppression.ts`, or `run()` from bench/run.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readWavMono48k, writeWav } from '../src/engine/audio/wav-file.js';
import { FilterChain } from '../src/engine/dsp/filter-chain.js';
import { loadRnnoiseFactory, RNNOISE_DELAY_MS } from '../src/engine/dsp/rnnoise.js';
import { loopbackOnManualClock } from './lib/manual-loopback.js';
import { concat, fmt, median, percentile } from './lib/analysis.js';
import { addNoises, advance, mixAtSnr, pauseReductionDb, speechWindowsFound, type WindowsFound } from './lib/noisy-speech.js';
import { fixture } from './lib/paths.js';

export const SNR_DB = 5;
const FRAME_SAMPLES_20_MS = 960;

export interface Judged {
  readonly reductionDb: number;
  readonly windows: WindowsFound;
}

export interface NoiseSuppressionFigures {
  readonly speechSeconds: number;
  readonly delayMs: number;
  readonly filter: { readonly fan: Judged; readonly keys: Judged; readonly both: Judged; readonly bothWithoutHold: Judged; readonly noisyInput: WindowsFound };
  readonly cpu: { readonly frames: number; readonly medianMsPer10Ms: number; readonly p99MsPer10Ms: number; readonly maxMsPer10Ms: number };
  readonly loopback: ReadonlyArray<{ readonly mode: LoopbackMode } & Judged>;
}

export type LoopbackMode = 'off' | 'send' | 'receive';

export async function loadNoisySpeech(): Promise<{ clean: Int16Array; fan: Int16Array; keys: Int16Array }> {
  const clean = concat(await Promise.all(['speech-a.wav', 'speech-b.wav', 'speech-c.wav'].map((f) => readWavMono48k(fixture(f)))));
  return { clean, fan: await readWavMono48k(fixture('noise-fan.wav')), keys: await readWavMono48k(fixture('noise-keys.wav')) };
}

/** The output aligned to the clean speech by the lag its windows are found at, then judged. */
export function judge(clean: Int16Array, noisy: Int16Array, output: Int16Array): Judged {
  const first = speechWindowsFound(clean, output);
  const aligned = advance(output, Math.round(first.lagMs * 48));
  return { reductionDb: pauseReductionDb(clean, noisy, aligned), windows: first };
}

/** `roundtable loopback` on a manual clock (bench/lib/manual-loopback.ts) with noise suppression off, ours, or per peer. */
export async function noisyLoopback(noisy: Int16Array, mode: LoopbackMode, dir: string): Promise<Int16Array> {
  const input = path.join(dir, `noisy-${mode}.wav`);
  const output = path.join(dir, `out-${mode}.wav`);
  await writeWav(input, noisy);
  await loopbackOnManualClock({
    input,
    output,
    engine: { cues: { enabled: false }, noiseSuppression: mode === 'send' },
    receiveNoiseSuppression: mode === 'receive',
  });
  return readWavMono48k(output);
}

export async function run(): Promise<NoiseSuppressionFigures> {
  const factory = await loadRnnoiseFactory();
  const withoutHold = await loadRnnoiseFactory({ voiceHold: false });
  const { clean, fan, keys } = await loadNoisySpeech();
  const delaySamples = (RNNOISE_DELAY_MS * 48_000) / 1000;

  const filterOnly = (noise: Int16Array, make = factory): Judged => {
    const noisy = mixAtSnr(clean, noise, SNR_DB);
    const ns = make();
    const out = new Int16Array(noisy.length);
    const frame = new Int16Array(FRAME_SAMPLES_20_MS);
    for (let at = 0; at + frame.length <= noisy.length; at += frame.length) {
      frame.set(noisy.subarray(at, at + frame.length));
      ns.process(frame);
      out.set(frame, at);
    }
    ns.close();
    const aligned = advance(out, delaySamples);
    return { reductionDb: pauseReductionDb(clean, noisy, aligned), windows: speechWindowsFound(clean, aligned) };
  };
  const both = addNoises(fan, keys);
  const noisyBoth = mixAtSnr(clean, both, SNR_DB);
  const filter = {
    fan: filterOnly(fan),
    keys: filterOnly(keys),
    both: filterOnly(both),
    bothWithoutHold: filterOnly(both, withoutHold),
    noisyInput: speechWindowsFound(clean, noisyBoth),
  };

  // CPU: the send chain as the capture pipeline runs it, 20 ms frames, three passes over the noisy speech.
  const chain = new FilterChain();
  chain.register(factory(), true);
  const per10: number[] = [];
  const frame = new Int16Array(FRAME_SAMPLES_20_MS);
  for (let pass = 0; pass < 3; pass++) {
    for (let at = 0; at + frame.length <= noisyBoth.length; at += frame.length) {
      frame.set(noisyBoth.subarray(at, at + frame.length));
      const t0 = performance.now();
      chain.process(frame);
      per10.push((performance.now() - t0) / 2);
    }
  }
  chain.close();
  const cpu = { frames: per10.length, medianMsPer10Ms: median(per10), p99MsPer10Ms: percentile(per10, 99), maxMsPer10Ms: Math.max(...per10) };

  const dir = mkdtempSync(path.join(tmpdir(), 'rt-noise-'));
  const loopback: Array<{ mode: LoopbackMode } & Judged> = [];
  try {
    for (const mode of ['off', 'send', 'receive'] as const) {
      const out = await noisyLoopback(noisyBoth, mode, dir);
      loopback.push({ mode, ...judge(clean, noisyBoth, out) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { speechSeconds: clean.length / 48_000, delayMs: RNNOISE_DELAY_MS, filter, cpu, loopback };
}

const windows = (w: WindowsFound): string => `${w.found} of ${w.windows} (median r ${fmt(w.medianCorrelation, 2)})`;

/** Markdown lines for bench/results.md. */
export function render(r: NoiseSuppressionFigures): string[] {
  return [
    `${fmt(r.speechSeconds, 0)} s of speech (three voices) with noise at ${SNR_DB} dB SNR. Goal: pauses ≥ 20 dB quieter, ≥ 0.8 of the 500 ms speech windows found, chain ≤ 1.5 ms per 10 ms.`,
    `RNNoise adds ${r.delayMs} ms of delay wherever it runs.`,
    '',
    '| RNNoise alone | noise in pauses | speech windows found |',
    '|---|---|---|',
    `| fan | **−${fmt(r.filter.fan.reductionDb)} dB** | ${windows(r.filter.fan.windows)} |`,
    `| keyboard clicks | −${fmt(r.filter.keys.reductionDb)} dB | ${windows(r.filter.keys.windows)} |`,
    `| fan + keyboard | **−${fmt(r.filter.both.reductionDb)} dB** | ${windows(r.filter.both.windows)} (noisy input: ${windows(r.filter.noisyInput)}) |`,
    `| fan + keyboard, without the voice hold (RNNoise's output as is) | −${fmt(r.filter.bothWithoutHold.reductionDb)} dB | ${windows(r.filter.bothWithoutHold.windows)} |`,
    '',
    `CPU of the send chain (noise suppression is its only stage today), per 10 ms of audio over ${r.cpu.frames} frames of 20 ms: ` +
      `median **${fmt(r.cpu.medianMsPer10Ms, 3)} ms**, p99 ${fmt(r.cpu.p99MsPer10Ms, 3)} ms, max ${fmt(r.cpu.maxMsPer10Ms, 3)} ms.`,
    '',
    'Through `loopback` (gate, Opus 32 kb/s, jitter buffer, mix), fan + keyboard:',
    '',
    '| suppression | noise in pauses | speech windows found | lag |',
    '|---|---|---|---|',
    ...r.loopback.map(
      (l) => `| ${l.mode === 'off' ? 'off' : l.mode === 'send' ? 'send path (ours, before the gate)' : 'receive path (per peer, before the mix)'} | **−${fmt(l.reductionDb)} dB** | ${windows(l.windows)} | ${fmt(l.windows.lagMs)} ms |`,
    ),
  ];
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) console.log(render(await run()).join('\n'));
