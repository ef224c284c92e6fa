/**
 * One call recording (docs/architecture.md §2, "Recording"): a stereo WAV,
 * our microphone on the left, what we hear on the right.
 *
 * - Left: our microphone after the voice processing (echo cancellation,
 *   noise suppression, gain control), before the voice gate: what the others
 *   hear of us, without the gate's cuts in the pauses. While we are muted
 *   (or push-to-talk is released) the left channel is silent, as it is for
 *   the others: what we say then stays private.
 * - Right: exactly the block the sink plays (the mix after per-peer gains,
 *   cues and the limiter), taken where the echo canceller's reference is.
 *
 * Two clocks feed it: capture pushes frames (10–40 ms), playback pulls
 * 10 ms blocks. The playback clock sets the file's pace: each pull writes
 * one stereo block, its left half taken from a bounded FIFO of captured
 * samples. The FIFO starts (and starts again after running dry) only once
 * it holds one capture frame plus one pull, so a capture frame that comes a
 * little late never leaves a gap; what it lacks then is silence. When it
 * holds more than `maxMicBacklogMs` (the capture clock runs faster than the
 * playback clock, or playback stalled), the oldest samples are dropped down
 * to that start level, so the left channel never drifts far behind the
 * right. Both events are counted, never logged per frame.
 *
 * Real-time rules: mic() and played() copy into buffers made when the
 * recording starts and hand a block to the WavFileWriter, which stages it
 * and writes to disk asynchronously in 200 ms chunks from a pool; nothing
 * on that path allocates, logs or waits on the disk. A write error (a full
 * disk) stops the recording: the file is finished with what reached the
 * disk, and `error` says why, for the UI.
 */
import { SAMPLE_RATE } from '../../core/media-format.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { RecordingState } from '../media/media-port.js';
import { createRecordingFile } from './recording-file.js';
import type { WavFileWriter } from './wav-file.js';

/** Captured samples the FIFO may hold before the oldest are dropped (see above). */
export const DEFAULT_MIC_BACKLOG_MS = 200;

export interface CallRecorderOptions {
  /** The file asked for (absolute); a numbered name beside it is used where it exists. */
  readonly path: string;
  /** Samples in one captured frame. */
  readonly captureFrameSamples: number;
  /** Samples in one playback pull: one stereo block is written per pull. */
  readonly playbackFrameSamples: number;
  readonly maxMicBacklogMs?: number;
  /** Opens the file (tests: a file on a full disk); default recording-file.ts's createRecordingFile. */
  readonly open?: (path: string) => Promise<WavFileWriter>;
  readonly logger?: Logger;
}

/** How the two clocks met, for tests and the log line at the end. */
export interface RecorderAlignment {
  /** Microphone samples written as silence because the FIFO was short (waiting for capture). */
  readonly micPaddedSamples: number;
  /** Microphone samples dropped because the FIFO held more than its bound. */
  readonly micDroppedSamples: number;
}

type Phase = RecordingState['state'];

export class CallRecorder {
  private phase: Phase = 'starting';
  private file: string;
  private errorText: string | null = null;
  private writer: WavFileWriter | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly log: Logger;
  private readonly open: (path: string) => Promise<WavFileWriter>;
  // The microphone FIFO: a ring of captured samples waiting for the playback clock.
  private readonly ring: Int16Array;
  private readPos = 0;
  private level = 0;
  private primed = false;
  private readonly startLevel: number;
  private readonly maxBacklog: number;
  /** One interleaved stereo block, reused for every pull. */
  private readonly stereo: Int16Array;
  private frames = 0;
  private padded = 0;
  private dropped = 0;

  constructor(private readonly options: CallRecorderOptions) {
    this.file = options.path;
    this.log = options.logger ?? silentLogger;
    this.open = options.open ?? createRecordingFile;
    this.startLevel = options.captureFrameSamples + options.playbackFrameSamples;
    this.maxBacklog = Math.max(this.startLevel, Math.round(((options.maxMicBacklogMs ?? DEFAULT_MIC_BACKLOG_MS) * SAMPLE_RATE) / 1000));
    this.ring = new Int16Array(this.maxBacklog + options.captureFrameSamples);
    this.stereo = new Int16Array(2 * options.playbackFrameSamples);
  }

  /** State, file, length and error, as the snapshot carries them (without the session's count). */
  get state(): Omit<RecordingState, 'count'> {
    return { state: this.phase, path: this.file, seconds: this.frames / SAMPLE_RATE, error: this.errorText };
  }

  /** True from start() until the file is finished. */
  get active(): boolean {
    return this.phase !== 'off';
  }

  get alignment(): RecorderAlignment {
    return { micPaddedSamples: this.padded, micDroppedSamples: this.dropped };
  }

  /** Create the file; frames are recorded from then on. Never rejects: a file that cannot be made ends the recording with `error` set. */
  start(): Promise<void> {
    this.starting ??= (async () => {
      let writer: WavFileWriter;
      try {
        writer = await this.open(this.options.path);
      } catch (err) {
        this.errorText = `cannot record: ${err instanceof Error ? err.message : String(err)}`;
        this.phase = 'off';
        this.log.warn('recording-failed', { path: this.options.path, error: this.errorText });
        return;
      }
      this.file = writer.path;
      if (this.phase !== 'starting') {
        // stop() came while the file was being made: leave a valid empty file.
        this.writer = writer;
        return;
      }
      this.writer = writer;
      writer.onFailure = (err) => {
        // From the stream's error event, never from a frame.
        this.errorText = `recording stopped: ${err.message} (the file keeps what was recorded until then)`;
        this.log.warn('recording-failed', { path: this.file, seconds: this.state.seconds, error: this.errorText });
        void this.stop();
      };
      this.phase = 'recording';
      this.log.info('recording-started', { path: this.file });
    })();
    return this.starting;
  }

  /** A captured frame after processing; `transmitting` false (muted, push-to-talk released) records silence. */
  mic(frame: Int16Array, transmitting: boolean): void {
    if (this.phase !== 'recording') return;
    const ring = this.ring;
    let n = frame.length;
    let from = 0;
    if (n > ring.length) {
      from = n - ring.length;
      n = ring.length;
    }
    if (this.level + n > this.maxBacklog) {
      // Too far behind the playback clock: keep only the newest, back to the start level.
      const drop = Math.min(this.level, this.level + n - this.startLevel);
      this.readPos = (this.readPos + drop) % ring.length;
      this.level -= drop;
      this.dropped += drop;
    }
    let write = (this.readPos + this.level) % ring.length;
    for (let i = 0; i < n; i++) {
      ring[write] = transmitting ? frame[from + i]! : 0;
      write = write + 1 === ring.length ? 0 : write + 1;
    }
    this.level += n;
  }

  /** The block the sink plays now: written with as many microphone samples beside it. */
  played(block: Int16Array): void {
    if (this.phase !== 'recording') return;
    const n = Math.min(block.length, this.stereo.length / 2);
    if (!this.primed && this.level >= this.startLevel) this.primed = true;
    let take = 0;
    if (this.primed) {
      take = Math.min(this.level, n);
      // Ran dry: wait for the start level again rather than leave a gap every pull.
      if (take < n) this.primed = false;
    }
    this.padded += n - take;
    const ring = this.ring;
    const stereo = this.stereo;
    let read = this.readPos;
    for (let i = 0; i < n; i++) {
      if (i < take) {
        stereo[2 * i] = ring[read]!;
        read = read + 1 === ring.length ? 0 : read + 1;
      } else {
        stereo[2 * i] = 0;
      }
      stereo[2 * i + 1] = block[i]!;
    }
    this.readPos = read;
    this.level -= take;
    this.writer!.write(n === this.stereo.length / 2 ? stereo : stereo.subarray(0, 2 * n));
    this.frames += n;
  }

  /** Stop taking frames and finish the file (sizes in its header). Idempotent; never rejects. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.phase === 'off') return;
      this.phase = 'stopping';
      await this.starting;
      const writer = this.writer;
      this.phase = 'off';
      if (writer === undefined) return; // the file could not be made: start() said so
      this.phase = 'stopping';
      try {
        await writer.close();
      } catch (err) {
        this.errorText ??= `recording stopped: ${err instanceof Error ? err.message : String(err)}`;
      }
      this.phase = 'off';
      const fields = { path: this.file, seconds: Math.round(this.state.seconds * 10) / 10, ...this.alignment };
      if (this.errorText !== null) this.log.warn('recording-ended', { ...fields, error: this.errorText });
      else this.log.info('recording-stopped', fields);
    })();
    return this.stopping;
  }
}
