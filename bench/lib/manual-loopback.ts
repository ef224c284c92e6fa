/**
 * `roundtable loopback` between two WAV files on a ManualClock: the real
 * pipeline (gate, real Opus, jitter buffer, mix), deterministic and faster
 * than real time. Time stands still while the files open (real I/O, however
 * slow the machine), then moves in 1 ms steps with a turn of the event loop
 * each, so that file I/O completes.
 */
import { ManualClock } from '../../src/core/clock.js';
import type { FrameMs } from '../../src/core/media-format.js';
import { WavSink } from '../../src/engine/audio/wav-sink.js';
import { WavSource } from '../../src/engine/audio/wav-source.js';
import { runLoopback, type LoopbackOptions, type LoopbackResult } from '../../src/engine/media/loopback.js';

export type ManualLoopbackOptions = Partial<Omit<LoopbackOptions, 'source' | 'sink' | 'clock' | 'onStarted'>> & {
  /** WAV in (any rate, converted) and out (48 kHz mono). */
  input: string;
  output: string;
  frameMs?: FrameMs;
};

export async function loopbackOnManualClock(opts: ManualLoopbackOptions): Promise<LoopbackResult> {
  const { input, output, ...rest } = opts;
  const clock = new ManualClock(1000);
  const frameMs = opts.frameMs ?? 20;
  let done = false;
  let started = false;
  const run = runLoopback({
    ...rest,
    frameMs,
    source: new WavSource({ path: input, frameMs, clock }),
    sink: new WavSink({ path: output, frameMs: 10, clock }),
    playoutPhaseMs: opts.playoutPhaseMs ?? 4,
    clock,
    onStarted: () => (started = true),
  }).finally(() => (done = true));
  while (!started && !done) await new Promise((r) => setImmediate(r));
  while (!done) {
    await new Promise((r) => setImmediate(r));
    clock.advance(1);
  }
  return run;
}
