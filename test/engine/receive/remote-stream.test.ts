import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { RemoteStream } from '../../../src/engine/receive/remote-stream.js';
import type { MediaPacket } from '../../../src/engine/codec/types.js';
import { CONCEAL_VALUE, dtxPacket, fakeStream, packet, seededRandom } from './fakes.js';

interface Arrival {
  t: number;
  p: MediaPacket;
}

const setup = fakeStream;

/** Insert arrivals at their times and pull one frame at each pull time; returns copies of the frames. */
function run(clock: ManualClock, stream: RemoteStream, arrivals: Arrival[], pullTimes: number[], pull: () => Int16Array = () => stream.pullFrame()): Int16Array[] {
  const sorted = [...arrivals].sort((a, b) => a.t - b.t);
  const frames: Int16Array[] = [];
  let ai = 0;
  for (const t of pullTimes) {
    while (ai < sorted.length && sorted[ai]!.t <= t) {
      clock.advance(sorted[ai]!.t - clock.now());
      stream.insert(sorted[ai]!.p, clock.now());
      ai++;
    }
    clock.advance(t - clock.now());
    frames.push(Int16Array.from(pull()));
  }
  return frames;
}

const range = <T,>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const constant = (frame: Int16Array, v: number) => frame.every((s) => s === v);
const pulls = (n: number, phaseMs = 7) => range(n, (k) => 100 + phaseMs + k * 20);

describe('RemoteStream', () => {
  it('turns in-order packets into frames of exactly one playback frame', () => {
    const { clock, stream } = setup();
    const frames = run(clock, stream, range(10, (i) => ({ t: 100 + i * 20, p: packet(i, i * 960, 100 + i) })), pulls(10));
    expect(frames.every((f) => f.length === 960)).toBe(true);
    frames.forEach((f, i) => expect(constant(f, 100 + i)).toBe(true));
    expect(stream.stats().concealedFrames).toBe(0);
  });

  it('conceals a lost packet with the decoder, then continues', () => {
    const { clock, stream, decoders } = setup();
    const arrivals = [0, 1, 2, 4, 5].map((i) => ({ t: 100 + i * 20, p: packet(i, i * 960, 100 + i) }));
    const frames = run(clock, stream, arrivals, pulls(5));
    expect(frames.map((f) => f[0])).toEqual([100, 101, 102, CONCEAL_VALUE, 104]);
    expect(constant(frames[3]!, CONCEAL_VALUE)).toBe(true);
    expect(decoders[0]!.concealCalls).toEqual([960]);
    expect(stream.stats().concealedFrames).toBe(1);
    expect(stream.stats().lost).toBe(1);
  });

  it('fades out after sustained loss, stops concealing, and fades back in when packets return', () => {
    const { clock, stream, decoders } = setup({ fadeAfterFrames: 5, fadeOutMs: 20, fadeInMs: 5 });
    // Packets 5..14 never arrive (200 ms outage).
    const arrivals = range(25, (i) => i)
      .filter((i) => i < 5 || i >= 15)
      .map((i) => ({ t: 100 + i * 20, p: packet(i, i * 960, 1000 + i) }));
    const frames = run(clock, stream, arrivals, pulls(25));
    for (let k = 0; k < 5; k++) expect(constant(frames[k]!, 1000 + k)).toBe(true);
    for (let k = 5; k < 10; k++) expect(constant(frames[k]!, CONCEAL_VALUE)).toBe(true);
    // Frame 10: linear fade over 20 ms = one frame.
    const fade = frames[10]!;
    expect(fade[0]).toBe(Math.round(CONCEAL_VALUE * (1 - 1 / 960)));
    expect(fade[480]).toBe(Math.round(CONCEAL_VALUE * (1 - 481 / 960)));
    expect(fade[959]).toBe(0);
    for (let i = 1; i < 960; i++) expect(fade[i]!).toBeLessThanOrEqual(fade[i - 1]!);
    for (let k = 11; k < 15; k++) expect(constant(frames[k]!, 0)).toBe(true);
    // The decoder was asked to conceal only while it could be heard.
    expect(decoders[0]!.concealCalls).toHaveLength(6);
    // Recovery: 5 ms fade-in (240 samples), then the packet's value.
    const back = frames[15]!;
    expect(back[0]).toBe(Math.round(1015 / 240));
    expect(Math.abs(back[119]! - (1015 * 120) / 240)).toBeLessThanOrEqual(1);
    expect(back.subarray(239).every((s) => s === 1015)).toBe(true);
    for (let k = 16; k < 25; k++) expect(constant(frames[k]!, 1000 + k)).toBe(true);
    expect(stream.stats().lost).toBe(10);
    expect(stream.stats().concealedFrames).toBe(6);
  });

  it('applies per-peer gain 0–200 % with saturation, and mute-for-me, while levels stay pre-gain', () => {
    const { clock, stream } = setup();
    const arrivals = range(6, (i) => ({ t: 100 + i * 20, p: packet(i, i * 960, 20000) }));
    const frames = run(clock, stream, arrivals, pulls(6), () => {
      const k = Math.round((clock.now() - 107) / 20);
      if (k === 1) stream.setGain(50);
      if (k === 2) stream.setGain(200);
      if (k === 3) stream.setGain(1000); // clamped to 200
      if (k === 4) stream.setMuted(true);
      if (k === 5) {
        stream.setMuted(false);
        stream.setGain(Number.NaN); // ignored
      }
      return stream.pullFrame();
    });
    expect(frames[0]![0]).toBe(20000);
    expect(frames[1]![0]).toBe(10000);
    expect(frames[2]![0]).toBe(32767); // 40000 saturates, never wraps
    expect(frames[3]![0]).toBe(32767);
    expect(stream.gainPercent).toBe(200);
    expect(constant(frames[4]!, 0)).toBe(true);
    expect(frames[5]![0]).toBe(32767);
    expect(stream.level).toBeCloseTo(20000 / 32768, 5);
    expect(stream.speaking).toBe(true);
  });

  it('adds into a float accumulator without clipping (for the mixer), and pulls even at scale 0', () => {
    const { clock, stream } = setup({ gainPercent: 200 });
    const acc = new Float32Array(960);
    run(clock, stream, range(2, (i) => ({ t: 100 + i * 20, p: packet(i, i * 960, 30000 + i) })), pulls(2), () => {
      acc.fill(0);
      stream.mixInto(acc, clock.now() < 120 ? 0 : 1);
      return new Int16Array(0);
    });
    // The first frame was pulled at scale 0 (deafened), so the second pull is packet 1.
    expect(acc[0]).toBeCloseTo((2 * 30001) / 32768, 5);
  });

  it('cuts 40 ms and 10 ms packets into 20 ms frames', () => {
    const s40 = setup();
    const f40 = run(s40.clock, s40.stream, range(5, (i) => ({ t: 100 + i * 40, p: packet(i, i * 1920, 10 + i, { samples: 1920 }) })), pulls(10));
    expect(f40.map((f) => f[0])).toEqual([10, 10, 11, 11, 12, 12, 13, 13, 14, 14]);
    expect(f40.every((f) => constant(f, f[0]!))).toBe(true);

    const s10 = setup();
    const f10 = run(s10.clock, s10.stream, range(10, (i) => ({ t: 100 + i * 10, p: packet(i, i * 480, 10 + i, { samples: 480 }) })), pulls(5, 17));
    f10.forEach((f, k) => {
      expect(constant(f.subarray(0, 480), 10 + 2 * k)).toBe(true);
      expect(constant(f.subarray(480), 11 + 2 * k)).toBe(true);
    });
    expect(s10.stream.stats().late).toBe(0);
  });

  it('conceals a corrupt packet and counts it', () => {
    const { clock, stream } = setup();
    const bad: MediaPacket = { ...packet(1, 960, 0), payload: Uint8Array.of(31 << 3, 0) }; // FakeDecoder: 2 bytes = corrupt
    const arrivals = [{ t: 100, p: packet(0, 0, 5) }, { t: 120, p: bad }, { t: 140, p: packet(2, 1920, 7) }];
    const frames = run(clock, stream, arrivals, pulls(3));
    expect(frames.map((f) => f[0])).toEqual([5, CONCEAL_VALUE, 7]);
    expect(stream.stats().corruptPackets).toBe(1);
  });

  it('makes a fresh decoder when the sender restarts with a new SSRC', () => {
    const { clock, stream, decoders } = setup();
    const arrivals = [
      { t: 100, p: packet(0, 0, 5) },
      { t: 120, p: packet(9000, 5555, 6, { ssrc: 77 }) },
    ];
    const frames = run(clock, stream, arrivals, pulls(2));
    expect(decoders).toHaveLength(2);
    expect(frames.map((f) => f[0])).toEqual([5, 6]);
  });

  it('after a delay spike, accelerates speech back to target: every packet played, in order, none dropped', () => {
    const { clock, stream } = setup({ jitter: { windowMs: 200, shrinkMsPerSecond: 1000 } });
    // Packets 5..8 are held up 80 ms and arrive in a burst (more would reach the hard catch-up, 80 ms over target).
    const arrivals = range(60, (i) => {
      const t = i >= 5 && i <= 8 ? 280 + (i - 5) : 100 + i * 20;
      return { t, p: i < 40 ? packet(i, i * 960, 500 + i) : dtxPacket(i, i * 960) };
    });
    const frames = run(clock, stream, arrivals, pulls(55));
    const last = frames.map((f) => f[959]!).filter((v) => v >= 500 && v < 600);
    // Shortened frames run into the next packet: a value may end fewer frames, but each comes once, in order.
    expect([...new Set(last)]).toEqual(last.filter((v, i) => i === 0 || v !== last[i - 1]));
    expect(last.every((v, i) => i === 0 || v >= last[i - 1]!)).toBe(true);
    const s = stream.stats();
    expect(s.accelerateSamples).toBeGreaterThanOrEqual(40 * 48); // most of the 80 ms the spike added (the target rose too)
    expect([s.catchUpDrops, s.discarded]).toEqual([0, 0]);
    expect(s.currentDelayMs - s.targetDelayMs).toBeLessThan(20 + 2);
  });

  it('drops quiet packets to catch up after a delay spike, keeping the loud ones (stretching off)', () => {
    const { clock, stream } = setup({ jitter: { windowMs: 200, shrinkMsPerSecond: 1000 }, playout: { stretch: false } });
    // Packets 5..10 are held up 120 ms and then arrive in a burst; everything after is DTX silence.
    const arrivals = range(60, (i) => {
      const t = i >= 5 && i <= 10 ? 320 + (i - 5) : 100 + i * 20;
      return { t, p: i < 12 ? packet(i, i * 960, 500 + i) : dtxPacket(i, i * 960) };
    });
    const frames = run(clock, stream, arrivals, pulls(55));
    const loud = frames.filter((f) => f[959]! >= 500 && f[959]! < 600).map((f) => f[959]); // last sample: after any fade-in
    expect(loud).toEqual(range(12, (i) => 500 + i)); // all speech played, in order
    const s = stream.stats();
    expect(s.catchUpDrops).toBeGreaterThan(0);
    expect(s.discarded).toBe(0); // never needed the hard catch-up on speech
    expect(s.currentDelayMs - s.targetDelayMs).toBeLessThan(10 + 20);
  });

  it('never throws on bad input and reports it', () => {
    const { stream } = setup();
    expect(stream.insert(undefined as unknown as MediaPacket)).toBe('invalid');
    expect(stream.pullFrame()).toHaveLength(960);
    expect(stream.stats().invalid).toBe(1);
  });

  it('meets the impaired-link goals: 40 ms uniform jitter + 5 % loss → late ≤ 1 %, mean buffer delay ≤ 60 ms', () => {
    const { clock, stream, decoders } = setup();
    const rand = seededRandom(20260101);
    const packets = 15_000; // 300 s at 20 ms
    const arrivals: Arrival[] = [];
    for (let i = 0; i < packets; i++) {
      if (rand() < 0.05) continue;
      arrivals.push({ t: 1000 + i * 20 + rand() * 40, p: packet(i, i * 960, (i % 30000) + 1) });
    }
    run(clock, stream, arrivals, range(packets + 10, (k) => 1003 + k * 20), () => stream.pullFrame());
    const s = stream.stats();
    const lossRate = (packets - arrivals.length) / packets;
    expect(lossRate).toBeGreaterThan(0.04);
    expect(lossRate).toBeLessThan(0.06);
    expect(s.late / packets).toBeLessThanOrEqual(0.01);
    expect(s.meanDelayMs).toBeLessThanOrEqual(60);
    expect(s.received).toBe(arrivals.length);
    // Playout order is preserved: the decoder saw strictly increasing values.
    const seen = decoders[0]!.decoded;
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
    expect(seen.length + s.late + s.discarded).toBe(arrivals.length);
    console.log(
      `impaired link: late ${(100 * s.late / packets).toFixed(2)} %, lost ${(100 * lossRate).toFixed(2)} %, ` +
        `mean buffer delay ${s.meanDelayMs.toFixed(1)} ms, target ${s.targetDelayMs.toFixed(1)} ms, jitter ${s.jitterMs.toFixed(1)} ms, concealed frames ${s.concealedFrames}`,
    );
  });

  it('keeps the delay within a frame of arrival on a clean link', () => {
    const { clock, stream } = setup();
    const n = 3000;
    const arrivals = range(n, (i) => ({ t: 1000 + i * 20 + 3, p: packet(i, i * 960, (i % 30000) + 1) }));
    run(clock, stream, arrivals, range(n, (k) => 1000 + k * 20 + 11));
    const s = stream.stats();
    expect(s.meanDelayMs).toBeLessThanOrEqual(20);
    expect(s.currentDelayMs).toBeLessThanOrEqual(20);
    expect(s.concealedFrames).toBe(0);
    expect(s.late).toBe(0);
  });
});
