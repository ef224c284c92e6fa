/**
 * The echo canceller's far-end reference: what was played, lined up with
 * what the microphone captured (docs/architecture.md §2).
 *
 * The canceller can only remove echo of what it is told was played, and only
 * if that reference reaches it no later than the echo does: its adaptive
 * filter models echo(t) = Σ h(k)·played(t − k) for 0 ≤ k < tail, so a
 * reference that lags the echo cannot be cancelled at all, while one that
 * leads by a few ms only uses up some of the tail. Hence:
 *
 * - **Tap.** The reference is exactly the block the mixer hands to playback
 *   (after gains, cues and the limiter: what the speaker gets), pushed here at
 *   the moment it is handed over (`pushPlayed`).
 * - **Two timelines, from sample counts.** Playback and capture each run on
 *   a device clock. Their blocks reach JavaScript with scheduling jitter, but
 *   the samples themselves are contiguous, so sample n of a stream is taken
 *   to be at anchor + n / 48 kHz. The anchor is the earliest that the
 *   hand-over times of the last second allow (a block can be handed over
 *   late, never early: the "fastest packet" idea of the jitter buffer's
 *   delay estimator), a minimum over a sliding `windowMs`, so per-block
 *   jitter never moves the pairing while a stall, an output underflow (the
 *   device plays a gap the sample count does not hold) or clock drift is
 *   followed within that window. Measured: on a loaded 2-core machine a
 *   device sink that underflows loses a few percent of real time, which an
 *   anchor that may only creep later (2 ms/s, the first design) never
 *   caught up with: the pairing pointed at audio not yet played.
 * - **Pairing.** A capture block delivered at time T holds samples captured
 *   at capture-anchor + m / 48 kHz; the far-end samples it can contain
 *   as echo were handed to playback `roundTripMs` before that: the device's
 *   output latency (hand-over → speaker) plus input latency (the block's last
 *   sample captured → block delivered; its own 10 ms are already counted,
 *   since its first sample is taken to be one block before delivery).
 *   `readFor` copies those 480 samples out of a ring; what the ring no longer
 *   (or not yet) holds is silence.
 * - **Given times.** When the sink says when a block will be heard and the
 *   source when a block's first sample was captured (the playTimeNs and
 *   captureTimeNs of src/engine/audio/types.ts), those are used instead of
 *   the hand-over and delivery times, and `roundTripMs` is only what they
 *   leave out.
 * - **Round trip.** For a sound card it is the device's reported output +
 *   input latency (PortAudio's figures) less what the given times already
 *   include, and better slightly under than over, for the reason above. For WAV files and the in-process test harness
 *   (test/helpers/echo-path.ts) it is what the harness defines: there the
 *   "device" plays a block during the 10 ms after it is handed over and
 *   delivers the microphone block captured meanwhile at their end, so 0; the
 *   acoustic delay of the simulated room is inside the canceller's tail.
 *
 * Pure: time comes from an injected Clock (ManualClock in tests), no FFI.
 * Allocation-free per block.
 */
import type { Clock } from '../../core/clock.js';
import { SAMPLE_RATE } from '../../core/media-format.js';

const SAMPLES_PER_MS = SAMPLE_RATE / 1000;

/**
 * Each move of the pairing is a new echo path the canceller must learn
 * again (measured on PulseAudio: a 5 ms move took the echo removed from
 * 30 dB to 6 dB for about 4 s), so the anchors' wobble must not move it:
 * timer jitter, a window's minimum changing hands, a burst of pulls stamped
 * with one time. 20 ms: the canceller's tail absorbs an error that size
 * (echo-stage.ts keeps the echo's onset 0–130 ms behind the reference), and
 * capture and playback on one sound card share its clock, so the sample
 * counts alone keep the pairing; two devices drifting 100 ppm apart move it
 * once every few minutes.
 */
export const DEFAULT_HYSTERESIS_MS = 20;

export interface FarEndReferenceOptions {
  clock: Clock;
  /** Playback hand-over → the same sound in a delivered capture block, ms. */
  roundTripMs: number;
  /** How much played audio is kept, ms (default 1000: round trip + tail, with room). */
  capacityMs?: number;
  /** The anchor is the earliest seen over this long, ms (default 1000). */
  windowMs?: number;
  /** The pairing moves only when the anchors say it is off by more than this, ms (default DEFAULT_HYSTERESIS_MS). */
  hysteresisMs?: number;
}

/**
 * One stream's sample timeline: sample n is at anchorMs + n / 48 kHz, the
 * anchor being the earliest offset seen over the last window. The window
 * minimum is kept in two buckets of half the window each (the current one
 * and the one before), so it costs two numbers, not a history.
 */
class Timeline {
  /** Samples so far. */
  count = 0;
  anchorMs = Number.NaN;
  private bucketStartMs = Number.NaN;
  private currentMin = Infinity;
  private previousMin = Infinity;

  constructor(private readonly halfWindowMs: number) {}

  /** The block starting at sample `count` was seen at `nowMs`; its first sample is at `startMs`. */
  observe(nowMs: number, startMs: number): void {
    const offsetMs = startMs - this.count / SAMPLES_PER_MS;
    if (Number.isNaN(this.bucketStartMs)) {
      this.bucketStartMs = nowMs;
    } else if (nowMs - this.bucketStartMs >= this.halfWindowMs) {
      this.previousMin = this.currentMin;
      this.currentMin = Infinity;
      this.bucketStartMs = nowMs;
    }
    if (offsetMs < this.currentMin) this.currentMin = offsetMs;
    this.anchorMs = Math.min(this.previousMin, this.currentMin);
  }
}

export class FarEndReference {
  private readonly clock: Clock;
  private roundTrip: number;
  private readonly ring: Int16Array;
  private readonly played: Timeline;
  private readonly captured: Timeline;
  private readonly hysteresisSamples: number;
  /** Capture sample index − played sample index of the paired samples. */
  private lag = Number.NaN;
  private lagChanges = 0;
  /** Capture blocks paired with at least some played audio, and with none. */
  private pairedBlocks = 0;
  private silentBlocks = 0;

  constructor(opts: FarEndReferenceOptions) {
    this.clock = opts.clock;
    this.roundTrip = checkRoundTrip(opts.roundTripMs);
    const capacityMs = opts.capacityMs ?? 1000;
    if (!(capacityMs >= 20 && capacityMs <= 10_000)) throw new RangeError(`capacityMs must be in 20..10000; got ${capacityMs}`);
    this.ring = new Int16Array(Math.round(capacityMs * SAMPLES_PER_MS));
    const windowMs = opts.windowMs ?? 1000;
    if (!(windowMs >= 20 && windowMs <= 60_000)) throw new RangeError(`windowMs must be in 20..60000; got ${opts.windowMs}`);
    const hysteresisMs = opts.hysteresisMs ?? DEFAULT_HYSTERESIS_MS;
    if (!(hysteresisMs >= 0 && hysteresisMs <= 20)) throw new RangeError(`hysteresisMs must be in 0..20; got ${hysteresisMs}`);
    this.hysteresisSamples = Math.round(hysteresisMs * SAMPLES_PER_MS);
    this.played = new Timeline(windowMs / 2);
    this.captured = new Timeline(windowMs / 2);
  }

  get roundTripMs(): number {
    return this.roundTrip;
  }

  /** A new estimate of the device round trip (e.g. after the device changed). */
  setRoundTripMs(ms: number): void {
    this.roundTrip = checkRoundTrip(ms);
  }

  /**
   * The mixer handed `block` to playback. `heardAtMs` is when its first
   * sample is due at the speaker when the sink says so (the FramePuller's
   * playTimeNs, src/engine/audio/types.ts); by default, now.
   */
  pushPlayed(block: Int16Array, heardAtMs?: number): void {
    const now = this.clock.now();
    this.played.observe(now, heardAtMs ?? now);
    const cap = this.ring.length;
    let pos = this.played.count % cap;
    let i = 0;
    while (i < block.length) {
      const n = Math.min(block.length - i, cap - pos);
      this.ring.set(block.subarray(i, i + n), pos);
      i += n;
      pos = 0;
    }
    this.played.count += block.length;
  }

  /**
   * A capture block of `out.length` samples was delivered: fill `out` with
   * the far-end samples that were playing while it was captured.
   * `capturedAtMs` is the time of its first sample when the source says so
   * (the FrameHandler's captureTimeNs); by default one block before now.
   */
  readFor(out: Int16Array, capturedAtMs?: number): void {
    const now = this.clock.now();
    this.captured.observe(now, capturedAtMs ?? now - out.length / SAMPLES_PER_MS);
    const captureStartMs = this.captured.anchorMs + this.captured.count / SAMPLES_PER_MS;
    this.captured.count += out.length;
    this.fill(captureStartMs, out);
  }

  private fill(captureStartMs: number, out: Int16Array): void {
    let filled = 0;
    if (this.played.count > 0) {
      const wantedMs = captureStartMs - this.roundTrip;
      // Lag between the two streams' sample indexes. The anchors wobble by a
      // fraction of a millisecond; each change of the lag is a change of echo
      // path the canceller must re-learn, so it only moves by more than the
      // hysteresis (a real drift, a stall, a new round trip).
      const lagExact = this.captured.count - out.length - Math.round((wantedMs - this.played.anchorMs) * SAMPLES_PER_MS);
      // A pairing that asks for audio not played yet is wrong whatever the
      // hysteresis (the first blocks, paired before the anchors settled).
      const ahead = !Number.isNaN(this.lag) && this.captured.count - this.lag > this.played.count && lagExact > this.lag;
      if (Number.isNaN(this.lag) || ahead || Math.abs(lagExact - this.lag) > this.hysteresisSamples) {
        if (!Number.isNaN(this.lag)) this.lagChanges++;
        this.lag = lagExact;
      }
      filled = this.copyPlayed(this.captured.count - out.length - this.lag, out);
    } else {
      out.fill(0);
    }
    if (filled > 0) this.pairedBlocks++;
    else this.silentBlocks++;
  }

  /** Samples `first`… of the played stream into out, silence where the ring has none. */
  private copyPlayed(first: number, out: Int16Array): number {
    const cap = this.ring.length;
    const oldest = Math.max(0, this.played.count - cap);
    let filled = 0;
    for (let k = 0; k < out.length; ) {
      const n = first + k;
      if (n < oldest || n >= this.played.count) {
        // Before what the ring still holds, or not played yet: up to the next boundary.
        const stop = n < oldest ? Math.min(out.length, oldest - first) : out.length;
        out.fill(0, k, stop);
        k = stop;
        continue;
      }
      const pos = n % cap;
      const len = Math.min(out.length - k, this.played.count - n, cap - pos);
      out.set(this.ring.subarray(pos, pos + len), k);
      k += len;
      filled += len;
    }
    return filled;
  }

  /** Playback → capture offset the anchors imply, ms (for statistics). */
  get timelineOffsetMs(): number {
    return this.captured.anchorMs - this.played.anchorMs;
  }

  get counts(): { pairedBlocks: number; silentBlocks: number; lagChanges: number } {
    return { pairedBlocks: this.pairedBlocks, silentBlocks: this.silentBlocks, lagChanges: this.lagChanges };
  }
}

function checkRoundTrip(ms: number): number {
  if (!(ms >= 0 && ms <= 1000)) throw new RangeError(`roundTripMs must be in 0..1000; got ${ms}`);
  return ms;
}
