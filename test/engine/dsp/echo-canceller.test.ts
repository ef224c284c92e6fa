/**
 * The echo canceller on the simulated room of test/helpers/echo-path.ts
 * (80 ms, −6 dB, short reverb, −70 dBFS noise floor): the audio that would
 * be sent is checked, not only that the filters ran.
 *
 * Script, as B's microphone hears it (turnsAndDoubleTalk): 0–5 s A talks
 * (B's speaker plays A), 5–10 s A and B at once, 10–15 s B alone, 15–20 s A
 * alone again.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { EchoCanceller } from '../../../src/engine/dsp/echo-canceller.js';
import { DSP_BLOCK_SAMPLES } from '../../../src/engine/dsp/stage.js';
import { speexDspAvailability } from '../../../src/engine/dsp/speexdsp.js';
import { atMs as at, cancelEcho, energyRatioDb, nearWindowsFound, turnsAndDoubleTalk, type TalkScript } from '../../helpers/echo-path.js';

const speex = speexDspAvailability();

let script: TalkScript;

beforeAll(async () => {
  script = await turnsAndDoubleTalk();
});

describe.skipIf(!speex.available)('EchoCanceller (speexdsp canceller + residual-echo suppressor)', () => {
  it('single talk: A comes back ≥ 25 dB below the echo in the microphone, after 2 s and after double talk', () => {
    const { out } = cancelEcho(script);
    // Echo return loss enhancement: microphone (echo + noise floor) over what would be sent.
    expect(energyRatioDb(script.mic, out, at(2000), at(5000))).toBeGreaterThanOrEqual(25);
    expect(energyRatioDb(script.mic, out, at(16_000), at(20_000))).toBeGreaterThanOrEqual(25);
  });

  it('double talk: B is found in ≥ 0.8 of its windows and not turned down; B alone passes at its level', () => {
    const { out } = cancelEcho(script);
    const dt = nearWindowsFound(script.near, out, 5000, 10_000);
    expect(dt.total).toBeGreaterThanOrEqual(6);
    expect(dt.found / dt.total).toBeGreaterThanOrEqual(0.8);
    // Not muted: what is sent during double talk carries at least B's level less 3 dB.
    expect(energyRatioDb(out, script.near, at(5000), at(10_000))).toBeGreaterThan(-3);
    // B alone: within 1 dB of what B said (the suppressor must leave near speech alone).
    expect(Math.abs(energyRatioDb(out, script.near, at(10_500), at(15_000)))).toBeLessThan(1);
  });

  it('the canceller alone removes less than with the residual suppressor', () => {
    const alone = cancelEcho(script, { residualSuppression: false }).out;
    const both = cancelEcho(script).out;
    const erleAlone = energyRatioDb(script.mic, alone, at(2000), at(5000));
    const erleBoth = energyRatioDb(script.mic, both, at(2000), at(5000));
    expect(erleAlone).toBeGreaterThan(10);
    expect(erleBoth).toBeGreaterThan(erleAlone + 6);
  });

  it('a far-end reference that lags the echo cannot be cancelled: alignment matters', () => {
    // Pairing with audio played 120 ms before capture: the echo (80 ms) comes 40 ms before its reference.
    const { out } = cancelEcho(script, { roundTripMs: 120, residualSuppression: false });
    expect(energyRatioDb(script.mic, out, at(2000), at(5000))).toBeLessThan(6);
  });

  it('counts its cost per block; per-block cost well inside the 1.5 ms chain budget', () => {
    const { blockMs } = cancelEcho(script);
    expect(blockMs.length).toBe(2000);
    const mean = blockMs.reduce((a, b) => a + b, 0) / blockMs.length;
    expect(mean).toBeGreaterThan(0);
    expect(mean).toBeLessThan(1);
  });

  it('checks block sizes and in-place use before any native call; close is idempotent', () => {
    const aec = new EchoCanceller({ timed: true });
    const x = new Int16Array(DSP_BLOCK_SAMPLES);
    expect(() => aec.processBlock(new Int16Array(479), x, new Int16Array(DSP_BLOCK_SAMPLES))).toThrow(RangeError);
    expect(() => aec.processBlock(x, x, x)).toThrow(RangeError);
    aec.processBlock(x, new Int16Array(DSP_BLOCK_SAMPLES), new Int16Array(DSP_BLOCK_SAMPLES));
    expect(aec.cost.blocks).toBe(1);
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
