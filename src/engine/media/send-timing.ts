/**
 * How evenly audio frames leave this process, to check that drawing the
 * terminal UI never stalls the audio (bench/tui-pacing.ts). It runs where
 * the media path runs (the media process, docs/architecture.md §1).
 *
 * Two figures, both recorded in fixed-size histograms (no allocation or
 * logging per frame):
 * - send interval: wall time between two consecutive audio frames handed
 *   to one peer's link (`sendRtp`). Only pairs whose RTP timestamps differ
 *   by exactly one frame count (RFC 3550 §5.1: the timestamp advances by
 *   the samples in the packet), so a pause of the voice gate or DTX is not
 *   mistaken for a stall. Ideal: frameMs every time.
 * - capture lateness: how long after its due time the capture callback of
 *   a frame actually ran (the event loop's delay on the source's pacer).
 *   For a WAV source the frame's time is its due time; a device source
 *   stamps its first sample, which adds one frame to every value.
 */
import type { FrameMs } from '../../core/media-format.js';
import { samplesPerFrame } from '../../core/media-format.js';
import type { AudioSource, FrameHandler } from '../audio/types.js';
import { monotonicClock, type Clock } from '../../core/clock.js';
import type { SessionLink } from './media-port.js';
import type { MakeLink } from './engine-links.js';

export interface HistogramSummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Values above the histogram's range (counted, and in maxMs). */
  readonly overflow: number;
}

/** Millisecond values in fixed-width buckets from 0 to `rangeMs`; one Uint32Array, allocated once. */
export class MsHistogram {
  private readonly buckets: Uint32Array;
  private total = 0;
  private sumMs = 0;
  private maxValueMs = 0;
  private over = 0;

  constructor(
    readonly bucketMs = 0.1,
    readonly rangeMs = 250,
  ) {
    if (!(bucketMs > 0) || !(rangeMs > bucketMs)) throw new RangeError(`bad histogram shape: bucket ${bucketMs} ms, range ${rangeMs} ms`);
    this.buckets = new Uint32Array(Math.ceil(rangeMs / bucketMs));
  }

  record(valueMs: number): void {
    if (!Number.isFinite(valueMs)) return;
    const v = valueMs < 0 ? 0 : valueMs;
    this.total++;
    this.sumMs += v;
    if (v > this.maxValueMs) this.maxValueMs = v;
    const i = Math.floor(v / this.bucketMs);
    if (i >= this.buckets.length) this.over++;
    else this.buckets[i]!++;
  }

  get count(): number {
    return this.total;
  }

  /**
   * The q-quantile (0..1) as the middle of the bucket that holds it
   * (resolution ± bucketMs/2); values past the range report maxMs.
   */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * this.total));
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) return (i + 0.5) * this.bucketMs;
    }
    return this.maxValueMs;
  }

  summary(): HistogramSummary {
    const round = (v: number): number => Math.round(v * 100) / 100;
    return {
      count: this.total,
      meanMs: round(this.total === 0 ? 0 : this.sumMs / this.total),
      p50Ms: round(this.quantile(0.5)),
      p90Ms: round(this.quantile(0.9)),
      p99Ms: round(this.quantile(0.99)),
      maxMs: round(this.maxValueMs),
      overflow: this.over,
    };
  }
}

/** What a SendTiming recorded, as `--stats` reports it. */
export interface SendTimingReport {
  readonly frameMs: FrameMs;
  readonly sendIntervalMs: HistogramSummary;
  readonly captureLatenessMs: HistogramSummary;
}

export class SendTiming {
  readonly sendIntervals = new MsHistogram();
  readonly captureLateness = new MsHistogram();
  readonly frameSamples: number;

  constructor(
    readonly frameMs: FrameMs,
    readonly clock: Clock = monotonicClock,
  ) {
    this.frameSamples = samplesPerFrame(frameMs);
  }

  /** Wrap a link maker so every link records its RTP send intervals here. */
  makeLink(inner: MakeLink): MakeLink {
    return (options) => new TimedLink(inner(options), this);
  }

  /** Wrap a source so each frame's callback lateness is recorded here. */
  source(inner: AudioSource): AudioSource {
    return new TimedSource(inner, this);
  }

  summary(): SendTimingReport {
    return { frameMs: this.frameMs, sendIntervalMs: this.sendIntervals.summary(), captureLatenessMs: this.captureLateness.summary() };
  }
}

/** Reads the RTP timestamp (bytes 4–7, RFC 3550 §5.1) without parsing the packet. */
function rtpTimestamp(packet: Uint8Array): number | null {
  if (packet.length < 12) return null;
  return ((packet[4]! << 24) | (packet[5]! << 16) | (packet[6]! << 8) | packet[7]!) >>> 0;
}

class TimedLink implements SessionLink {
  private lastTs: number | null = null;
  private lastSentMs = 0;

  constructor(
    private readonly inner: SessionLink,
    private readonly timing: SendTiming,
  ) {}

  sendRtp(packet: Uint8Array): boolean {
    const sent = this.inner.sendRtp(packet);
    if (sent) {
      const nowMs = this.timing.clock.now();
      const ts = rtpTimestamp(packet);
      if (ts !== null) {
        if (this.lastTs !== null && ((ts - this.lastTs) >>> 0) === this.timing.frameSamples) {
          this.timing.sendIntervals.record(nowMs - this.lastSentMs);
        }
        this.lastTs = ts;
        this.lastSentMs = nowMs;
      }
    }
    return sent;
  }

  start(): void {
    this.inner.start();
  }
  handleSignal(signal: unknown): void {
    this.inner.handleSignal(signal);
  }
  sendRtcp(packet: Uint8Array): boolean {
    return this.inner.sendRtcp(packet);
  }
  sendChat(text: string): boolean {
    return this.inner.sendChat(text);
  }
  sayGoodbye(): boolean {
    return this.inner.sayGoodbye?.() ?? false;
  }
  get isOpen(): boolean {
    return this.inner.isOpen;
  }
  get negotiatedAudio(): SessionLink['negotiatedAudio'] {
    return this.inner.negotiatedAudio;
  }
  get chatOpen(): boolean {
    return this.inner.chatOpen;
  }
  stats(): ReturnType<SessionLink['stats']> {
    return this.inner.stats();
  }
  selectedCandidatePair(): ReturnType<SessionLink['selectedCandidatePair']> {
    return this.inner.selectedCandidatePair();
  }
  localCandidateTypes(): string[] {
    return this.inner.localCandidateTypes();
  }
  close(): void {
    this.inner.close();
  }
}

class TimedSource implements AudioSource {
  readonly frameMs: FrameMs;

  constructor(
    private readonly inner: AudioSource,
    private readonly timing: SendTiming,
  ) {
    this.frameMs = inner.frameMs;
  }

  get onEnd(): (() => void) | undefined {
    return this.inner.onEnd;
  }
  set onEnd(fn: (() => void) | undefined) {
    this.inner.onEnd = fn;
  }

  start(onFrame: FrameHandler): Promise<void> {
    const clock = this.timing.clock;
    const lateness = this.timing.captureLateness;
    return this.inner.start((pcm, captureTimeNs) => {
      lateness.record(Number(clock.nowNs() - captureTimeNs) / 1e6);
      onFrame(pcm, captureTimeNs);
    });
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }
}
