/**
 * The echo canceller on the simulated room of test/helpers/echo-path.ts
 * (80 ms, −6 dB, short reverb, −70 dBFS noise floor): the audio that would
 * be sent is checked, not only that the filters ran.
 *
 * Script, as B's microphone hears it: 0–5 s A talks (B's speaker plays A),
 * 5–10 s A and B at once, 10–15 s B alone, 15–20 s A alone again.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readWavMono48k } from '../../../src/engine/audio/wav-file.js';
import { ManualClock } from '../../../src/core/clock.js';
import { EchoCanceller, type EchoCancellerOptions } from '../../../src/engine/dsp/echo-canceller.js';
import { DSP_BLOCK_SAMPLES } from '../../../src/engine/dsp/stage.js';
import { FarEndReference } from '../../../src/engine/dsp/far-end-reference.js';
import { speexDspAvailability } from '../../../src/engine/dsp/speexdsp.js';
import { decimate, findInSignal, rmsOf, toFloat } from '../../../bench/lib/analysis.js';
import { fixture } from '../../../bench/lib/paths.js';
import { EchoPath, energyRatioDb, mixTracks, placeAt } from '../../helpers/echo-path.js';

const speex = speexDspAvailability();
const at = (ms: number): number => Math.round(ms * 48);

interface Script {
  played: Int16Array;
  near: Int16Array;
  mic: Int16Array;
}

let script: Script;

beforeAll(async () => {
  const [a, b, c] = await Promise.all(['speech-a.wav', 'speech-b.wav', 'speech-c.wav'].map((f) => readWavMono48k(fixture(f))));
  const total = 20_000;
  const played = mixTracks(mixTracks(placeAt(a!, 0, total), placeAt(c!, 5000, total)), placeAt(a!, 15_000, total));
  const near = mixTracks(placeAt(b!, 5000, total), placeAt(b!, 10_000, total));
  script = { played, near, mic: new EchoPath().microphone(played, near) };
});

/** Runs the script through FarEndReference + EchoCanceller block by block, as a send chain would. */
function runCanceller(opts: EchoCancellerOptions & { roundTripMs?: number } = {}): { out: Int16Array; aec: EchoCanceller } {
  const aec = new EchoCanceller(opts);
  const clock = new ManualClock(0);
  const ref = new FarEndReference({ clock, roundTripMs: opts.roundTripMs ?? 0 });
  const far = new Int16Array(DSP_BLOCK_SAMPLES);
  const block = new Int16Array(DSP_BLOCK_SAMPLES);
  const out = new Int16Array(script.mic.length);
  try {
    for (let k = 0; k + DSP_BLOCK_SAMPLES <= script.mic.length; k += DSP_BLOCK_SAMPLES) {
      ref.pushPlayed(script.played.subarray(k, k + DSP_BLOCK_SAMPLES));
      clock.advance(10);
      ref.readFor(far);
      aec.processBlock(script.mic.subarray(k, k + DSP_BLOCK_SAMPLES), far, block);
      out.set(block, k);
    }
  } finally {
    aec.close();
  }
  return { out, aec };
}

/** 500 ms windows of B's speech in [fromMs, toMs) found in `out` (normalized correlation ≥ 0.5 within ±50 ms). */
function windowsFound(near: Int16Array, out: Int16Array, fromMs: number, toMs: number): { found: number; total: number } {
  let found = 0;
  let total = 0;
  for (let w = fromMs; w + 500 <= toMs; w += 500) {
    if (rmsOf(near, at(w), at(w + 500)) < 0.01) continue; // B pauses here
    total++;
    const ref = decimate(toFloat(near.subarray(at(w), at(w + 500))), 6);
    const sig = decimate(toFloat(out.subarray(at(w - 50), at(w + 550))), 6);
    if (findInSignal(ref, sig).value >= 0.5) found++;
  }
  return { found, total };
}

describe.skipIf(!speex.available)('EchoCanceller (speexdsp canceller + residual-echo suppressor)', () => {
  it('single talk: A comes back ≥ 25 dB below the echo in the microphone, after 2 s and after double talk', () => {
    const { out } = runCanceller();
    // Echo return loss enhancement: microphone (echo + noise floor) over what would be sent.
    expect(energyRatioDb(script.mic, out, at(2000), at(5000))).toBeGreaterThanOrEqual(25);
    expect(energyRatioDb(script.mic, out, at(16_000), at(20_000))).toBeGreaterThanOrEqual(25);
  });

  it('double talk: B is found in ≥ 0.8 of its windows and not turned down; B alone passes at its level', () => {
    const { out } = runCanceller();
    const dt = windowsFound(script.near, out, 5000, 10_000);
    expect(dt.total).toBeGreaterThanOrEqual(6);
    expect(dt.found / dt.total).toBeGreaterThanOrEqual(0.8);
    // Not muted: what is sent during double talk carries at least B's level less 3 dB.
    expect(energyRatioDb(out, script.near, at(5000), at(10_000))).toBeGreaterThan(-3);
    // B alone: within 1 dB of what B said (the suppressor must leave near speech alone).
    expect(Math.abs(energyRatioDb(out, script.near, at(10_500), at(15_000)))).toBeLessThan(1);
  });

  it('the canceller alone removes less than with the residual suppressor', () => {
    const alone = runCanceller({ residualSuppression: false }).out;
    const both = runCanceller().out;
    const erleAlone = energyRatioDb(script.mic, alone, at(2000), at(5000));
    const erleBoth = energyRatioDb(script.mic, both, at(2000), at(5000));
    expect(erleAlone).toBeGreaterThan(10);
    expect(erleBoth).toBeGreaterThan(erleAlone + 6);
  });

  it('a far-end reference that lags the echo cannot be cancelled: alignment matters', () => {
    // Pairing with audio played 120 ms before capture: the echo (80 ms) comes 40 ms before its reference.
    const { out } = runCanceller({ roundTripMs: 120, residualSuppression: false });
    expect(energyRatioDb(script.mic, out, at(2000), at(5000))).toBeLessThan(6);
  });

  it('counts its cost per block; per-frame cost well inside the 1.5 ms chain budget', () => {
    const { aec } = runCanceller();
    expect(aec.cost.blocks).toBe(2000);
    expect(aec.cost.meanMs).toBeGreaterThan(0);
    expect(aec.cost.meanMs).toBeLessThan(1);
  });

  it('checks block sizes and in-place use before any native call; close is idempotent', () => {
    const aec = new EchoCanceller();
    const x = new Int16Array(DSP_BLOCK_SAMPLES);
    expect(() => aec.processBlock(new Int16Array(479), x, new Int16Array(DSP_BLOCK_SAMPLES))).toThrow(RangeError);
    expect(() => aec.processBlock(x, x, x)).toThrow(RangeError);
    aec.reset();
    aec.close();
    aec.close();
    expect(() => aec.processBlock(x, new Int16Array(DSP_BLOCK_SAMPLES), new Int16Array(DSP_BLOCK_SAMPLES))).toThrow(/closed/);
  });
});

describe.skipIf(speex.available)('EchoCanceller without libspeexdsp', () => {
  it('says which Debian package to install', () => {
    expect(speex.available ? '' : speex.reason).toMatch(/libspeexdsp1/);
    expect(() => new EchoCanceller()).toThrow(/apt-get install libspeexdsp1/);
  });
});
