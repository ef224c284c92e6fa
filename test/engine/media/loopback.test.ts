import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectOnsets, makeClickTrain, matchOnsets, median, presenceOf } from '../../../bench/lib/analysis.js';
import type { FrameMs } from '../../../src/core/media-format.js';
import { OPUS_LOOKAHEAD_MS } from '../../../src/engine/codec/types.js';
import { readWavMono48k, writeWav } from '../../../src/engine/audio/wav-file.js';
import type { LoopbackOptions, LoopbackResult } from '../../../src/engine/media/loopback.js';
import { loopbackOnManualClock } from '../../../bench/lib/manual-loopback.js';

const dir = mkdtempSync(join(tmpdir(), 'rt-loopback-'));
const SPEECH = 'fixtures/speech-a.wav';

/** The real pipeline (real Opus, real WAV files) on a ManualClock (bench/lib/manual-loopback.ts). */
async function loopback(input: string, name: string, opts: Partial<LoopbackOptions> & { frameMs?: FrameMs } = {}): Promise<{ result: LoopbackResult; output: Int16Array }> {
  const output = join(dir, name);
  const result = await loopbackOnManualClock({ ...opts, input, output });
  return { result, output: await readWavMono48k(output) };
}

describe('loopback (real Opus, simulated network, manual clock)', () => {
  it('reproduces the input on a clean link', async () => {
    const input = await readWavMono48k(SPEECH);
    const { result, output } = await loopback(SPEECH, 'clean.wav');
    const presence = presenceOf(input, output);
    expect(presence.value).toBeGreaterThan(0.85);
    expect(result.peer.receive.lost).toBe(0);
    expect(result.peer.receive.late).toBe(0);
    expect(result.network.dropped).toBe(0);
    // The whole clip came out, plus the tail.
    expect(output.length).toBeGreaterThanOrEqual(input.length);
  });

  it('stays speech-like at 5 % loss with 40 ms jitter, and late-loss stays under 1 %', async () => {
    const input = await readWavMono48k(SPEECH);
    const { result, output } = await loopback(SPEECH, 'impaired.wav', { network: { lossPercent: 5, jitterMs: 40, seed: 11 } });
    const rx = result.peer.receive;
    expect(result.network.dropped).toBeGreaterThan(0);
    expect(rx.lost).toBe(result.network.dropped);
    expect(rx.late / rx.expected).toBeLessThanOrEqual(0.01);
    expect(rx.meanDelayMs).toBeLessThanOrEqual(60);
    expect(rx.concealed).toBeGreaterThan(0);
    expect(presenceOf(input, output).value).toBeGreaterThan(0.6);
  });

  it('is reproducible for a seed', async () => {
    const a = await loopback(SPEECH, 'seed-a.wav', { network: { lossPercent: 10, jitterMs: 30, seed: 5 } });
    const b = await loopback(SPEECH, 'seed-b.wav', { network: { lossPercent: 10, jitterMs: 30, seed: 5 } });
    // The network's decisions are a pure function of the seed.
    expect(a.result.network).toEqual(b.result.network);
    expect(a.result.peer.receive.lost).toBe(b.result.peer.receive.lost);
    // The audio is the same up to where real file I/O put the start of the run.
    expect(presenceOf(a.output, b.output, { fromMs: 500, segmentMs: 3000 }).value).toBeGreaterThan(0.98);
  });

  it.each([20, 10] as const)('delays clicks by frame + Opus lookahead + playback phase at %i ms frames', async (frameMs) => {
    const train = makeClickTrain({ durationMs: 4000 });
    const clicks = join(dir, `clicks-${frameMs}.wav`);
    await writeWav(clicks, train.samples);
    const { result, output } = await loopback(clicks, `clicks-out-${frameMs}.wav`, { frameMs });
    const offset = (Number(result.anchors.firstOutputNs! - result.anchors.firstInputNs!) / 1e9) * 48_000;
    const delays = matchOnsets(train.onsets, detectOnsets(output), { offsetSamples: offset });
    expect(delays.length).toBe(train.onsets.length);
    // frame + 4 ms phase + 6.5 ms Opus lookahead (RFC 6716 VOIP mode), within a ms.
    expect(median(delays)).toBeGreaterThan(frameMs + 4 + OPUS_LOOKAHEAD_MS.voice - 1);
    expect(median(delays)).toBeLessThan(frameMs + 4 + OPUS_LOOKAHEAD_MS.voice + 1);
    expect(result.measuredPhaseMs).toBeCloseTo(4, 5);
  });

  it('Opus low-delay mode (engine lowDelay) takes 4 ms off every click', async () => {
    const train = makeClickTrain({ durationMs: 4000 });
    const clicks = join(dir, 'clicks-low-delay.wav');
    await writeWav(clicks, train.samples);
    const delaysOf = async (lowDelay: boolean): Promise<number> => {
      const { result, output } = await loopback(clicks, `clicks-out-ld-${String(lowDelay)}.wav`, { frameMs: 20, engine: { lowDelay } });
      const offset = (Number(result.anchors.firstOutputNs! - result.anchors.firstInputNs!) / 1e9) * 48_000;
      const delays = matchOnsets(train.onsets, detectOnsets(output), { offsetSamples: offset });
      expect(delays.length).toBe(train.onsets.length);
      return median(delays);
    };
    const voice = await delaysOf(false);
    const lowDelay = await delaysOf(true);
    // frame + 4 ms phase + 2.5 ms lookahead, within a ms; 6.5 − 2.5 = 4 ms less than the default, within a ms.
    expect(lowDelay).toBeGreaterThan(20 + 4 + OPUS_LOOKAHEAD_MS.lowDelay - 1);
    expect(lowDelay).toBeLessThan(20 + 4 + OPUS_LOOKAHEAD_MS.lowDelay + 1);
    expect(voice - lowDelay).toBeGreaterThan(OPUS_LOOKAHEAD_MS.voice - OPUS_LOOKAHEAD_MS.lowDelay - 1);
    expect(voice - lowDelay).toBeLessThan(OPUS_LOOKAHEAD_MS.voice - OPUS_LOOKAHEAD_MS.lowDelay + 1);
  });
});
