import type { FrameMs } from '../../core/media-format.js';

/**
 * Capture side: pushes one frame at a time (push to send). `pcm` is exactly
 * samplesPerFrame(frameMs) samples of 48 kHz mono; the callee must not keep
 * a reference past the call unless it copies (sources may reuse buffers).
 * `captureTimeNs` is the monotonic time of the frame's first sample.
 */
export type FrameHandler = (pcm: Int16Array, captureTimeNs: bigint) => void;

export interface AudioSource {
  readonly frameMs: FrameMs;
  /** Start delivering frames. Rejects with a clear Error if the input cannot open. */
  start(onFrame: FrameHandler): Promise<void>;
  /** Stop delivering; resolves once no further frame will be delivered. */
  stop(): Promise<void>;
  /** Called once when a finite source (a WAV without loop) runs out. */
  onEnd?: (() => void) | undefined;
}

/**
 * Playback side: the sink owns the playback clock and pulls one frame each
 * period (pull to play). `pull` must return exactly samplesPerFrame(frameMs)
 * samples; `playTimeNs` is the monotonic time the frame is due to be heard.
 */
export type FramePuller = (playTimeNs: bigint) => Int16Array;

export interface AudioSink {
  readonly frameMs: FrameMs;
  /**
   * Start pulling. `opts.atMs` (monotonic ms) asks a paced sink to make its
   * first pull at that time, to set the playback phase; device sinks follow
   * the device's clock and ignore it.
   */
  start(pull: FramePuller, opts?: SinkStartOptions): Promise<void>;
  /** Stop pulling and flush/close; after it resolves an output file is complete and valid. */
  stop(): Promise<void>;
  /** Output underflows so far (device sinks), 0 for files. */
  readonly underflows: number;
  /**
   * Those of `underflows` that came after the device's first second of
   * playing (DEVICE_WARMUP_MS), the figure a settled call is judged by;
   * absent where there is no warm-up (files): all of them.
   */
  readonly underflowsAfterWarmup?: number;
}

/** A sink's underflows after its warm-up: the one reading of AudioSink.underflowsAfterWarmup's default. */
export function underflowsAfterWarmup(sink: Pick<AudioSink, 'underflows' | 'underflowsAfterWarmup'>): number {
  return sink.underflowsAfterWarmup ?? sink.underflows;
}

export interface SinkStartOptions {
  atMs?: number;
}
