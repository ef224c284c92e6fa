/**
 * CPU per stream of the media pipeline, real Opus (libopus via
 * @discordjs/opus), speech fixture, 20 ms frames:
 *  - send: capture → voice gate → encode → RTP build → enqueue, per frame;
 *  - receive: RTP parse → jitter buffer → decode → gain → mix, per remote
 *    stream and 20 ms of playback (two 10 ms pulls), with 1 and 7 talking peers.
 * Timed with process.hrtime around each step; medians over all frames.
 *
 * Run: `npx tsx bench/pipeline.ts [frames]`, or `run()` from bench/run.ts.
 */
import { pathToFileURL } from 'node:url';
import { ManualClock } from '../src/core/clock.js';
import { samplesPerFrame, type FrameMs } from '../src/core/media-format.js';
import { ManualSink, ManualSource } from '../src/engine/audio/manual.js';
import { readWavMono48k } from '../src/engine/audio/wav-file.js';
import { MediaEngine } from '../src/engine/media/media-engine.js';
import { median } from './lib/analysis.js';
import { fixture } from './lib/paths.js';

export interface PipelineFigures {
  frames: number;
  sendUsPerFrame: number;
  receiveUsPerStreamFrame1: number;
  receiveUsPerStreamFrame7: number;
  /** Send + 7 receive streams, per 20 ms, as a share of one core. */
  corePercent7Peers: number;
}

async function measure(frames: number, talkers: number): Promise<{ send: number; receivePerStream: number }> {
  const clock = new ManualClock(0);
  const speech = await readWavMono48k(fixture('speech-a.wav'));
  const frameSamples = samplesPerFrame(20);
  const aSource = new ManualSource(20, clock);
  const a = new MediaEngine({ frameMs: 20, source: aSource, sink: new ManualSink(10, clock), clock, cues: { enabled: false }, voiceGate: { enabled: false } });
  const bSink = new ManualSink(10, clock);
  const b = new MediaEngine({ frameMs: 20, source: new ManualSource(20, clock), sink: bSink, clock, cues: { enabled: false } });
  const inbox: Uint8Array[] = [];
  a.addPeer('b', { sendRtp: (p) => void inbox.push(Uint8Array.from(p)) });
  for (let k = 0; k < talkers; k++) b.addPeer(`p${k}`, { sendRtp: () => true });
  await a.start();
  await b.start();
  const sendTimes: number[] = [];
  const receiveTimes: number[] = [];
  const frame = new Int16Array(frameSamples);
  for (let i = 0; i < frames; i++) {
    const offset = (i * frameSamples) % (speech.length - frameSamples);
    frame.set(speech.subarray(offset, offset + frameSamples));
    let t0 = process.hrtime.bigint();
    aSource.push(frame);
    sendTimes.push(Number(process.hrtime.bigint() - t0) / 1000);
    await new Promise((r) => setImmediate(r)); // the send loop hands the packet over
    const packets = inbox.splice(0);
    t0 = process.hrtime.bigint();
    // Every talker sends the same speech: the per-stream cost is the same as distinct speech.
    for (const p of packets) for (let k = 0; k < talkers; k++) b.receive(`p${k}`, p, clock.now());
    clock.advance(5);
    bSink.pull();
    clock.advance(10);
    bSink.pull();
    clock.advance(5);
    receiveTimes.push(Number(process.hrtime.bigint() - t0) / 1000 / talkers);
  }
  await a.stop();
  await b.stop();
  return { send: median(sendTimes), receivePerStream: median(receiveTimes.slice(50)) };
}

export async function run(frames = 3000): Promise<PipelineFigures> {
  const one = await measure(frames, 1);
  const seven = await measure(frames, 7);
  return {
    frames,
    sendUsPerFrame: one.send,
    receiveUsPerStreamFrame1: one.receivePerStream,
    receiveUsPerStreamFrame7: seven.receivePerStream,
    corePercent7Peers: ((seven.send + 7 * seven.receivePerStream) / 20_000) * 100,
  };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const r = await run(Number(process.argv[2] ?? 3000));
  console.log(
    `pipeline (${r.frames} frames of 20 ms): send ${r.sendUsPerFrame.toFixed(0)} µs/frame; receive ${r.receiveUsPerStreamFrame1.toFixed(0)} µs per stream-frame (1 talker), ${r.receiveUsPerStreamFrame7.toFixed(0)} µs (7 talkers); send + 7 streams = ${r.corePercent7Peers.toFixed(2)} % of one core`,
  );
}
