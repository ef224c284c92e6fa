/**
 * Two MediaEngines on one ManualClock, A → B and B → A over direct
 * in-memory transports, and a step that captures 20 ms of a 440 Hz tone on
 * A and pulls B's two 10 ms playback frames (media-engine tests).
 */
import { ManualClock } from '../../../src/core/clock.js';
import { samplesPerFrame, type FrameMs } from '../../../src/core/media-format.js';
import { ManualSink, ManualSource } from '../../../src/engine/audio/manual.js';
import { peakLevel } from '../../../src/engine/audio/level.js';
import { MediaEngine, type MediaEngineOptions } from '../../../src/engine/media/media-engine.js';

export function tone(frameMs: FrameMs, startSample: number, amp = 12000): Int16Array {
  return Int16Array.from({ length: samplesPerFrame(frameMs) }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * 440 * (startSample + i)) / 48000)));
}

export interface PairOptions {
  aOpen?: () => boolean;
  dropFromA?: (packetIndex: number) => boolean;
  /** Extra engine options for side A or B. */
  engine?: (side: 'a' | 'b') => Partial<MediaEngineOptions>;
}

export async function pair(opts: PairOptions = {}) {
  const clock = new ManualClock(0);
  const mk = (side: 'a' | 'b') => {
    const source = new ManualSource(20, clock);
    const sink = new ManualSink(10, clock);
    const engine = new MediaEngine({ frameMs: 20, source, sink, clock, cues: { enabled: false }, ...opts.engine?.(side) });
    return { source, sink, engine };
  };
  const a = mk('a'), b = mk('b');
  const sentByA: number[] = [];
  const rtcpFromB: Uint8Array[] = [];
  a.engine.addPeer('b', {
    sendRtp: (p) => {
      sentByA.push(p.length);
      if (opts.dropFromA?.(sentByA.length - 1) !== true) b.engine.receive('a', Uint8Array.from(p), clock.now());
    },
    isOpen: opts.aOpen ?? (() => true),
  });
  b.engine.addPeer('a', { sendRtp: (p) => a.engine.receive('b', Uint8Array.from(p), clock.now()), sendRtcp: (p) => void rtcpFromB.push(Uint8Array.from(p)) });
  await a.engine.start();
  await b.engine.start();
  let sample = 0;
  /** One 20 ms capture on A, then two 10 ms pulls on B; returns B's output peak. */
  const step = async (): Promise<number> => {
    a.source.push(tone(20, sample));
    sample += 960;
    await Promise.resolve(); // let send loops run
    await new Promise((r) => setImmediate(r));
    clock.advance(5);
    const p1 = peakLevel(Int16Array.from(b.sink.pull()));
    clock.advance(10);
    const p2 = peakLevel(Int16Array.from(b.sink.pull()));
    clock.advance(5);
    return Math.max(p1, p2);
  };
  return { clock, a, b, sentByA, rtcpFromB, step };
}
