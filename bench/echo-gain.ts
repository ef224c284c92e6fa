/**
 * Echo cancellation and gain control ("Voice processing" issue), in-process
 * on the simulated room of bench/lib/echo-path.ts (B's speaker back into B's
 * microphone 80 ms later, −6 dB, short reverb, −70 dBFS noise floor):
 * - echo return loss enhancement (microphone echo over what B would send) in
 *   single talk, canceller alone and with the residual-echo suppressor, early
 *   (2–5 s) and after double talk (16–20 s); A's voice as played over what B
 *   would send;
 * - double talk: B's 500 ms windows found in what B would send;
 * - a reference that lags the echo by 40 ms (what misalignment costs);
 * - AGC: a −30 and a −6 dBFS talker's output levels, their spread, settling;
 * - ms per 10 ms block, median and p99, of each stage and of both in a row.
 * Run: `npx tsx bench/echo-gain.ts`, or from bench/run.ts.
 */
import { pathToFileURL } from 'node:url';
import { activeRmsLevel } from '../src/engine/audio/level.js';
import { speexDspAvailability } from '../src/engine/dsp/speexdsp.js';
import { median, percentile } from './lib/analysis.js';
import {
  agcSettling,
  atMs,
  cancelEcho,
  controlGain,
  energyRatioDb,
  nearWindowsFound,
  scaleToDbfs,
  turnsAndDoubleTalk,
  twentySecondsOfTalk,
} from './lib/echo-path.js';

export interface EchoGainResult {
  skipped?: string;
  erleEarlyDb: { cancellerOnly: number; withSuppressor: number };
  erleAfterDoubleTalkDb: { cancellerOnly: number; withSuppressor: number };
  playedOverSentDb: number;
  doubleTalk: { found: number; total: number };
  nearAloneLevelChangeDb: number;
  laggingReferenceErleDb: number;
  agc: { quietOutDbfs: number; loudOutDbfs: number; spreadDb: number; inputSpreadDb: number; settledMs: { quiet: number; loud: number }; wanderDb: { quiet: number; loud: number }; targetDbfs: number };
  cost: { aec: Percentiles; agc: Percentiles; both: Percentiles };
}

interface Percentiles {
  medianMs: number;
  p99Ms: number;
}

const dbfs = (level: number): number => 20 * Math.log10(level);

function percentiles(ms: number[]): Percentiles {
  return { medianMs: median(ms), p99Ms: percentile(ms, 99) };
}

export async function run(runs = 3): Promise<EchoGainResult | { skipped: string }> {
  const speex = speexDspAvailability();
  if (!speex.available) return { skipped: speex.reason };
  const script = await turnsAndDoubleTalk();
  const s = (ms: number): number => atMs(ms);

  const alone = cancelEcho(script, { residualSuppression: false });
  const aecTimes: number[] = [];
  let both = cancelEcho(script);
  for (let r = 0; r < runs; r++) {
    if (r > 0) both = cancelEcho(script);
    aecTimes.push(...both.blockMs);
  }
  const lagging = cancelEcho(script, { roundTripMs: 120, residualSuppression: false });

  const talk = await twentySecondsOfTalk();
  const quietIn = scaleToDbfs(talk, -30);
  const loudIn = scaleToDbfs(talk, -6);
  const quiet = controlGain(quietIn);
  const loud = controlGain(loudIn);
  const agcTimes: number[] = [];
  for (let r = 0; r < runs; r++) agcTimes.push(...controlGain(r % 2 === 0 ? quietIn : loudIn).blockMs);
  // Both in a row, as one send chain block: the sum of the two stages' times for the same block index.
  const chainAgc = controlGain(both.out);
  const bothTimes = both.blockMs.map((ms, i) => ms + (chainAgc.blockMs[i] ?? 0));

  const steadyFrom = s(5000);
  const quietOut = dbfs(activeRmsLevel(quiet.out, steadyFrom, quiet.out.length));
  const loudOut = dbfs(activeRmsLevel(loud.out, steadyFrom, loud.out.length));
  const qs = agcSettling(quiet.gainsDb);
  const ls = agcSettling(loud.gainsDb);
  return {
    erleEarlyDb: { cancellerOnly: energyRatioDb(script.mic, alone.out, s(2000), s(5000)), withSuppressor: energyRatioDb(script.mic, both.out, s(2000), s(5000)) },
    erleAfterDoubleTalkDb: {
      cancellerOnly: energyRatioDb(script.mic, alone.out, s(16_000), s(20_000)),
      withSuppressor: energyRatioDb(script.mic, both.out, s(16_000), s(20_000)),
    },
    playedOverSentDb: energyRatioDb(script.played, both.out, s(2000), s(5000)),
    doubleTalk: nearWindowsFound(script.near, both.out, 5000, 10_000),
    nearAloneLevelChangeDb: energyRatioDb(both.out, script.near, s(10_500), s(15_000)),
    laggingReferenceErleDb: energyRatioDb(script.mic, lagging.out, s(2000), s(5000)),
    agc: {
      quietOutDbfs: quietOut,
      loudOutDbfs: loudOut,
      spreadDb: Math.abs(quietOut - loudOut),
      inputSpreadDb: Math.abs(dbfs(activeRmsLevel(quietIn)) - dbfs(activeRmsLevel(loudIn))),
      settledMs: { quiet: qs.settledMs, loud: ls.settledMs },
      wanderDb: { quiet: qs.wanderDb, loud: ls.wanderDb },
      targetDbfs: -24,
    },
    cost: { aec: percentiles(aecTimes), agc: percentiles(agcTimes), both: percentiles(bothTimes) },
  };
}

async function main(): Promise<void> {
  console.log(JSON.stringify(await run(), null, 2));
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
