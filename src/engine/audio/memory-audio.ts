/**
 * Audio ends that keep audio in memory, for a short recording such as
 * `roundtable test-audio`'s (a few seconds; 30 s is ~3 MB):
 *
 * - RecordingSource wraps a source (a microphone, a WAV): it keeps a copy of
 *   every frame the source delivers, before anyone processes it, reports each
 *   frame to an observer (a level meter), and ends after a set length as a
 *   WAV source ends at its last frame.
 * - MemorySink is a speaker that pulls on its own paced clock, like a WAV
 *   sink, and keeps what it pulled.
 * - playPcm plays a recording on any sink from start to end.
 */
import { FramePacer, monotonicClock, type Clock } from '../../core/clock.js';
import { assertFrameMs, samplesPerFrame, type FrameMs } from '../../core/media-format.js';
import type { AudioSink, AudioSource, FrameHandler, FramePuller, SinkStartOptions } from './types.js';

/** Frames kept in order, joined on demand. */
class FrameStore {
  private readonly frames: Int16Array[] = [];
  private length = 0;

  add(pcm: Int16Array): void {
    this.frames.push(Int16Array.from(pcm));
    this.length += pcm.length;
  }

  get sampleCount(): number {
    return this.length;
  }

  joined(): Int16Array {
    const out = new Int16Array(this.length);
    let at = 0;
    for (const f of this.frames) {
      out.set(f, at);
      at += f.length;
    }
    return out;
  }
}

export interface RecordingSourceOptions {
  /** End after this many samples (rounded up to whole frames); default: when the inner source ends. */
  maxSamples?: number;
  /** Each delivered frame, before the engine sees it (copy what you keep). */
  onFrame?: (pcm: Int16Array) => void;
}

export class RecordingSource implements AudioSource {
  readonly frameMs: FrameMs;
  onEnd?: (() => void) | undefined;
  private readonly store = new FrameStore();
  private ended = false;

  constructor(
    private readonly inner: AudioSource,
    private readonly options: RecordingSourceOptions = {},
  ) {
    this.frameMs = inner.frameMs;
  }

  /** What the inner source delivered, up to the limit. */
  get recording(): Int16Array {
    return this.store.joined();
  }

  get hasEnded(): boolean {
    return this.ended;
  }

  async start(onFrame: FrameHandler): Promise<void> {
    this.inner.onEnd = () => this.end();
    await this.inner.start((pcm, captureTimeNs) => {
      if (this.ended) return;
      this.store.add(pcm);
      this.options.onFrame?.(pcm);
      onFrame(pcm, captureTimeNs);
      if (this.options.maxSamples !== undefined && this.store.sampleCount >= this.options.maxSamples) this.end();
    });
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd?.();
  }
}

export interface MemorySinkOptions {
  frameMs: FrameMs;
  clock?: Clock;
}

export class MemorySink implements AudioSink {
  readonly frameMs: FrameMs;
  /** Memory waits for nobody. */
  readonly underflows = 0;
  private readonly clock: Clock;
  private readonly store = new FrameStore();
  private pacer: FramePacer | undefined;

  constructor(options: MemorySinkOptions) {
    this.frameMs = assertFrameMs(options.frameMs);
    this.clock = options.clock ?? monotonicClock;
  }

  /** Everything pulled so far. */
  get recording(): Int16Array {
    return this.store.joined();
  }

  async start(pull: FramePuller, opts: SinkStartOptions = {}): Promise<void> {
    if (this.pacer !== undefined) throw new Error('MemorySink already started');
    const frameSamples = samplesPerFrame(this.frameMs);
    this.pacer = new FramePacer(this.clock, this.frameMs, (_index, dueMs) => {
      const pcm = pull(BigInt(Math.round(dueMs * 1e6)));
      // A wrong-sized frame is kept as a device would play it: cut or padded.
      this.store.add(pcm.length === frameSamples ? pcm : Int16Array.from({ length: frameSamples }, (_, i) => pcm[i] ?? 0));
    });
    this.pacer.start(opts.atMs);
  }

  async stop(): Promise<void> {
    this.pacer?.stop();
  }
}

/**
 * Plays `pcm` on `sink` from its first sample to its last, then silence
 * while `tailMs` pass (what the device still holds drains), then stops the
 * sink. Rejects if the sink cannot start (a device that cannot open).
 */
export async function playPcm(sink: AudioSink, pcm: Int16Array, opts: { tailMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const frameSamples = samplesPerFrame(sink.frameMs);
  const tailFrames = Math.ceil((opts.tailMs ?? 300) / sink.frameMs);
  const totalFrames = Math.ceil(pcm.length / frameSamples) + tailFrames;
  let pulled = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const frame = new Int16Array(frameSamples);
  const onAbort = (): void => done();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await sink.start(() => {
      const from = pulled * frameSamples;
      frame.fill(0);
      if (from < pcm.length) frame.set(pcm.subarray(from, Math.min(pcm.length, from + frameSamples)));
      if (++pulled >= totalFrames) done();
      return frame;
    });
    if (opts.signal?.aborted) done();
    await finished;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await sink.stop();
  }
}
