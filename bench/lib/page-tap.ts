/**
 * A measuring tap on a Roundtable page (the participant `?debug=1` exposes
 * as `globalThis.roundtable`): records, at the page's 48 kHz, what the page
 * plays (its output bus) or its microphone, and stamps each chunk with its
 * wall-clock time at the device. The two functions run inside the browser
 * (a driver serializes them: playwright-core for Chromium, puppeteer-core
 * for Firefox), so they reach the page through `globalThis` typed loosely
 * and use nothing from outside their own bodies.
 */

/**
 * Recording chunk sizes. The tap runs on the page's main thread, so a small
 * chunk under CPU load loses audio (a ScriptProcessor underrun): tests that
 * check what was heard record 4096 samples at a time (two CI runs with 256
 * heard the other side at correlation 0.25-0.28 instead of > 0.3); the
 * latency benchmark needs 256 (5.3 ms) to bound each stamp's error.
 */
export const RECORD_CHUNK_SAMPLES = 4096;
export const TIMING_CHUNK_SAMPLES = 256;

/**
 * How an output chunk's stamp reaches wall-clock time.
 * - `device`: `AudioContext.getOutputTimestamp()` on every chunk, the
 *   device clock's own mapping (Chromium: in every Chromium test and
 *   benchmark, never hung).
 * - `context`: `performance.now()` against the context's `currentTime`.
 *   Firefox's `getOutputTimestamp()` is that pair, each less the output
 *   latency, which cancels out of the stamp; and reading that latency can
 *   deadlock Firefox's page for good (docs/architecture.md §7, Firefox:
 *   2 hangs in 38 tries with `device`, 0 in 92 with `context`). So
 *   Firefox's driver asks for `context`.
 */
export type OutputClock = 'device' | 'context';

/** What stopPageTap hands back across the driver: base64, since typed arrays do not cross every driver intact. */
export interface TapResult {
  readonly base64: string;
  readonly stamps: number[];
  readonly chunkSamples: number;
}

export interface Recording {
  readonly pcm: Int16Array;
  /** Per chunk of `chunkSamples`: when its first sample was at the device (output) or delivered (microphone), ms since the epoch. */
  readonly chunkEpochMs: readonly number[];
  readonly chunkSamples: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type PageHandle = any;

/** In the page: start recording `source`, `chunkSamples` at a time. */
export function startPageTap({ source, chunkSamples, outputClock }: { source: 'output' | 'microphone'; chunkSamples: number; outputClock: OutputClock }): void {
  const w = globalThis as PageHandle;
  const media = w.roundtable.media;
  const ctx = media.audioContext;
  // A ScriptProcessor is deprecated but needs no worklet file; this is a measuring tap, not the product's path.
  const node = ctx.createScriptProcessor(chunkSamples, 1, 1);
  const sink = ctx.createGain();
  sink.gain.value = 0;
  const chunks: Float32Array[] = [];
  const stamps: number[] = [];
  const chunkMs = (chunkSamples / ctx.sampleRate) * 1000;
  node.onaudioprocess = (e: any) => {
    chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
    if (source === 'output') {
      // When this chunk reaches the output device: its context time (one chunk before the
      // processor's playbackTime) mapped to wall-clock time (OutputClock says how).
      const contextTime = e.playbackTime - chunkSamples / ctx.sampleRate;
      const ts = outputClock === 'device' ? ctx.getOutputTimestamp() : { contextTime: ctx.currentTime, performanceTime: performance.now() };
      stamps.push(performance.timeOrigin + ts.performanceTime + (contextTime - ts.contextTime) * 1000);
    } else {
      // The microphone chunk has just been delivered: it started one chunk ago.
      stamps.push(performance.timeOrigin + performance.now() - chunkMs);
    }
  };
  const input = source === 'output' ? media.output : ctx.createMediaStreamSource(media.micStream);
  input.connect(node);
  node.connect(sink);
  sink.connect(ctx.destination);
  w.rtRecordings ??= {};
  w.rtRecordings[source] = { chunks, stamps, node, sink, input, source, chunkSamples };
}

/** In the page: stop recording `source`; its samples as 16-bit PCM in base64 and the chunks' stamps. */
export function stopPageTap(source: 'output' | 'microphone'): TapResult {
  const w = globalThis as PageHandle;
  const rec = w.rtRecordings[source];
  rec.node.disconnect();
  rec.sink.disconnect();
  if (rec.source !== 'output') rec.input.disconnect();
  const chunks = rec.chunks as Float32Array[];
  let total = 0;
  for (const c of chunks) total += c.length;
  const pcm = new Int16Array(total);
  let o = 0;
  for (const c of chunks) for (let i = 0; i < c.length; i++) pcm[o++] = Math.max(-32768, Math.min(32767, Math.round(c[i]! * 32767)));
  const bytes = new Uint8Array(pcm.buffer);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { base64: btoa(bin), stamps: rec.stamps as number[], chunkSamples: rec.chunkSamples as number };
}

/** In Node: a tap's result as samples. */
export function recordingOf(got: TapResult): Recording {
  const buf = Buffer.from(got.base64, 'base64');
  return { pcm: new Int16Array(buf.buffer, buf.byteOffset, buf.byteLength / 2), chunkEpochMs: got.stamps, chunkSamples: got.chunkSamples };
}
