/**
 * Join latency: from starting a Session (engine start, WebSocket connect,
 * join, offer/answer, ICE, DTLS) to the first decoded, non-silent playback
 * frame from a peer that is already talking. Loopback only: in-process
 * signaling server, ICE bound to 127.0.0.1, no STUN.
 *
 * The talker is a Session whose microphone is a looping 440 Hz tone with
 * DTX off (so the first audio is never hidden in a speech pause or a DTX
 * gap); each join is a fresh
 * Session whose sink records when it first pulls a non-zero frame.
 *
 * libdatachannel's DTLS handshake sometimes loses its first flight on
 * loopback and retransmits after 1 s (docs/architecture.md §6); those joins show up as
 * ~1 s outliers and are reported separately rather than hidden.
 *
 * Run: `npm run build && node dist/bench/join-latency.js [joins]`, or `run()`
 * and then shutdownMesh() once the process is done with the mesh (bench/run.ts
 * does): the native objects keep the process alive until then.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FramePacer, monotonicClock } from '../src/core/clock.js';
import { samplesPerFrame, type FrameMs } from '../src/core/media-format.js';
import type { AudioSink, FramePuller } from '../src/engine/audio/types.js';
import { writeWav } from '../src/engine/audio/wav-file.js';
import { WavSource } from '../src/engine/audio/wav-source.js';
import { createParticipant, shutdownMesh, type Session } from '../src/engine/index.js';
import { generateJoinCode } from '../src/protocol/index.js';
import { startSignalingServer } from '../src/server/index.js';
import { median, percentile } from './lib/analysis.js';

/** A real-time paced sink that notes the first non-silent frame. */
class FirstSoundSink implements AudioSink {
  readonly underflows = 0;
  firstSoundMs: number | null = null;
  private pacer: FramePacer | undefined;
  constructor(readonly frameMs: FrameMs) {}
  async start(pull: FramePuller): Promise<void> {
    this.pacer = new FramePacer(monotonicClock, this.frameMs, () => {
      const pcm = pull(monotonicClock.nowNs());
      if (this.firstSoundMs === null && pcm.some((s) => s !== 0)) this.firstSoundMs = monotonicClock.now();
    });
    this.pacer.start();
  }
  async stop(): Promise<void> {
    this.pacer?.stop();
  }
}

function makeSession(code: string, serverUrl: string, name: string, input: string, sink: AudioSink): Session {
  // DTX off: Opus classifies a steady tone as background after a few seconds
  // and sends one packet per 400 ms, which would measure DTX, not the join.
  const source = new WavSource({ path: input, frameMs: 20, loop: true });
  return createParticipant({ code, serverUrl, name, source, sink, media: { frameMs: 20, cues: { enabled: false }, dtx: false }, bindAddress: '127.0.0.1' }).session;
}

export interface JoinLatencyResult {
  joins: number;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  maxMs: number;
  /** Joins over 800 ms: the DTLS 1 s retransmit (libdatachannel), counted, not removed. */
  dtlsRetransmitOutliers: number;
  medianWithoutOutliersMs: number;
  /** PeerLink negotiation → track open, ms, median. */
  medianLinkConnectMs: number;
  samplesMs: number[];
}

export async function run(joins = 50): Promise<JoinLatencyResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rt-bench-join-'));
  const tone = path.join(dir, 'tone.wav');
  await writeWav(tone, Int16Array.from({ length: 48_000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48_000))));
  const silence = path.join(dir, 'silence.wav');
  await writeWav(silence, new Int16Array(samplesPerFrame(20) * 10));
  // Every join comes from 127.0.0.1: lift the per-address join burst (default 20) above the run's joins.
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0, limits: { joinBurstPerIp: joins + 10 } });
  const code = generateJoinCode();
  const talker = makeSession(code, server.url, 'talker', tone, new FirstSoundSink(10));
  const samples: number[] = [];
  const connectMs: number[] = [];
  try {
    await talker.start();
    for (let i = 0; i < joins; i++) {
      const sink = new FirstSoundSink(10);
      const joiner = makeSession(code, server.url, `joiner-${i}`, silence, sink);
      const t0 = monotonicClock.now();
      await joiner.start();
      const deadline = t0 + 5000;
      while (sink.firstSoundMs === null && monotonicClock.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      if (sink.firstSoundMs !== null) samples.push(sink.firstSoundMs - t0);
      const c = joiner.stats()[0]?.connectMs;
      if (c !== null && c !== undefined) connectMs.push(c);
      await joiner.leave();
      // Let the talker see the leave before the next join.
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await talker.leave();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const normal = samples.filter((s) => s <= 800);
  const r = (x: number): number => Math.round(x * 10) / 10;
  return {
    joins: samples.length,
    medianMs: r(median(samples)),
    p10Ms: r(percentile(samples, 10)),
    p90Ms: r(percentile(samples, 90)),
    maxMs: r(Math.max(...samples)),
    dtlsRetransmitOutliers: samples.length - normal.length,
    medianWithoutOutliersMs: r(median(normal)),
    medianLinkConnectMs: r(median(connectMs)),
    samplesMs: samples.map(r),
  };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const joins = Number(process.argv[2] ?? 50);
  run(Number.isInteger(joins) && joins > 0 ? joins : 50)
    .then((res) => {
      console.log(`join → first decoded frame from a talking peer, loopback (${res.joins} joins)`);
      for (const [k, v] of Object.entries(res)) console.log(`  ${k.padEnd(24)} ${Array.isArray(v) ? v.join(', ') : v}`);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    })
    // node-datachannel keeps the process alive until cleanup().
    .finally(() => shutdownMesh());
}
