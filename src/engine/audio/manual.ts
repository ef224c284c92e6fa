/**
 * Audio ends driven by their caller instead of a clock: a source the caller
 * pushes frames into and a sink the caller pulls from. For embedding the
 * engine where something else owns time (tests on a ManualClock, CPU
 * benchmarks that run as fast as they can).
 */
import { monotonicClock, type Clock } from '../../core/clock.js';
import { assertFrameMs, type FrameMs } from '../../core/media-format.js';
import type { AudioSink, AudioSource, FrameHandler, FramePuller } from './types.js';

export class ManualSource implements AudioSource {
  readonly frameMs: FrameMs;
  onEnd?: () => void;
  private handler: FrameHandler | undefined;

  constructor(frameMs: FrameMs, private readonly clock: Clock = monotonicClock) {
    this.frameMs = assertFrameMs(frameMs);
  }

  async start(onFrame: FrameHandler): Promise<void> {
    this.handler = onFrame;
  }

  async stop(): Promise<void> {
    this.handler = undefined;
  }

  get started(): boolean {
    return this.handler !== undefined;
  }

  /** Deliver one frame (samplesPerFrame(frameMs) samples) now; ignored unless started. */
  push(pcm: Int16Array): void {
    this.handler?.(pcm, this.clock.nowNs());
  }
}

export class ManualSink implements AudioSink {
  readonly frameMs: FrameMs;
  readonly underflows = 0;
  private puller: FramePuller | undefined;
  stopped = false;

  constructor(frameMs: FrameMs, private readonly clock: Clock = monotonicClock) {
    this.frameMs = assertFrameMs(frameMs);
  }

  async start(pull: FramePuller): Promise<void> {
    this.puller = pull;
  }

  async stop(): Promise<void> {
    this.puller = undefined;
    this.stopped = true;
  }

  /** Pull one frame now (a view the engine reuses: copy to keep); silence unless started. */
  pull(): Int16Array {
    return this.puller?.(this.clock.nowNs()) ?? new Int16Array(0);
  }
}
