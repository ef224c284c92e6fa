import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { JitterBuffer, type JitterBufferOptions, type PullResult } from '../../../src/engine/receive/jitter-buffer.js';
import type { MediaPacket } from '../../../src/engine/codec/types.js';
import { dtxPacket, packet } from './fakes.js';
import { createRandom } from '../../../src/engine/sim/prng.js';

interface Arrival {
  t: number;
  p: MediaPacket;
}

type Played = { t: number; kind: 'packet'; value: number; samples: number; over: boolean } | { t: number; kind: 'missing'; samples: number } | { t: number; kind: 'empty' };

function valueOf(p: MediaPacket): number {
  return p.payload.length >= 3 ? (((p.payload[1]! << 8) | p.payload[2]!) << 16) >> 16 : 0;
}

function record(r: PullResult, t: number): Played {
  if (r.kind === 'packet') return { t, kind: 'packet', value: valueOf(r.packet), samples: r.samples, over: r.overTarget };
  if (r.kind === 'missing') return { t, kind: 'missing', samples: r.samples };
  return { t, kind: 'empty' };
}

/**
 * Drive a buffer through time: arrivals are inserted at their time, pulls
 * happen at `pullTimes` (inserts first when both fall on the same ms).
 * A pull that yields a packet shorter than `frameSamples` pulls again, like
 * RemoteStream does, passing the samples already gathered as `aheadSamples`.
 */
function drive(options: JitterBufferOptions & { clock: ManualClock }, arrivals: Arrival[], pullTimes: number[], frameSamples = 960) {
  const { clock } = options;
  const jb = new JitterBuffer(options);
  const sorted = [...arrivals].sort((a, b) => a.t - b.t);
  const out: Played[] = [];
  let ai = 0;
  let carry = 0; // samples left over from a packet longer than a frame
  for (const t of pullTimes) {
    while (ai < sorted.length && sorted[ai]!.t <= t) {
      clock.advance(sorted[ai]!.t - clock.now());
      jb.insert(sorted[ai]!.p, clock.now());
      ai++;
    }
    clock.advance(t - clock.now());
    let have = carry;
    while (have < frameSamples) {
      const r = jb.pull(have);
      out.push(record(r, t));
      if (r.kind === 'empty') {
        have = frameSamples;
        break;
      }
      have += r.samples;
    }
    carry = have - frameSamples;
  }
  return { jb, out };
}

const range = <T,>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const played = (out: Played[]) => out.filter((r) => r.kind === 'packet').map((r) => (r as { value: number }).value);

describe('JitterBuffer', () => {
  it('plays a clean link in order with a delay below one frame', () => {
    const clock = new ManualClock(0);
    const arrivals = range(50, (i) => ({ t: 100 + i * 20, p: packet(i, i * 960, i + 1) }));
    const { jb, out } = drive({ clock }, arrivals, range(60, (k) => 107 + k * 20));
    expect(played(out)).toEqual(range(50, (i) => i + 1));
    const s = jb.stats();
    expect(out.slice(0, 50).every((r) => r.kind === 'packet')).toBe(true);
    // After the last packet: 200 ms of concealment in place, then the stream counts as paused.
    expect(out.slice(50).map((r) => r.kind)).toEqual([...Array(10).fill('missing')]);
    expect(s.concealed).toBe(10);
    expect(s.drains).toBe(0);
    expect(s.meanDelayMs).toBeCloseTo(7, 5);
    expect(s.targetDelayMs).toBeLessThanOrEqual(5);
    expect(s.lost).toBe(0);
    expect(s.late).toBe(0);
    expect(s.received).toBe(50);
  });

  it('waits with "empty" until the target delay is reached, then starts', () => {
    const clock = new ManualClock(0);
    const arrivals = [{ t: 100, p: packet(0, 0, 1) }, { t: 120, p: packet(1, 960, 2) }];
    // A pull 2 ms after arrival is below the 5 ms margin: empty, then start.
    const { out } = drive({ clock }, arrivals, [102, 122, 142]);
    expect(out[0]).toEqual({ t: 102, kind: 'empty' });
    expect(out[1]).toMatchObject({ kind: 'packet', value: 1 });
    expect(out[2]).toMatchObject({ kind: 'packet', value: 2 });
  });

  it('puts reordered packets back in order and counts them', () => {
    const clock = new ManualClock(0);
    // Packets 2 and 3 swap on the wire, both still in time (delay target grows from the first jitter).
    const arrivals = [
      { t: 100, p: packet(0, 0, 10) },
      { t: 120, p: packet(1, 960, 11) },
      { t: 141, p: packet(3, 2880, 13) },
      { t: 142, p: packet(2, 1920, 12) },
      { t: 160, p: packet(4, 3840, 14) },
    ];
    const { jb, out } = drive({ clock, minDelayMs: 30 }, arrivals, range(10, (k) => 110 + k * 20));
    expect(played(out)).toEqual([10, 11, 12, 13, 14]);
    expect(jb.stats().reordered).toBe(1);
    expect(jb.stats().late).toBe(0);
    expect(jb.stats().lost).toBe(0);
  });

  it('drops and counts duplicates', () => {
    const clock = new ManualClock(0);
    const arrivals = [
      { t: 100, p: packet(0, 0, 1) },
      { t: 101, p: packet(0, 0, 1) },
      { t: 120, p: packet(1, 960, 2) },
      { t: 150, p: packet(0, 0, 1) }, // duplicate of an already played packet
    ];
    const { jb, out } = drive({ clock }, arrivals, range(4, (k) => 110 + k * 20));
    expect(played(out)).toEqual([1, 2]);
    expect(jb.stats().duplicates).toBe(2);
    expect(jb.stats().received).toBe(2);
    expect(jb.stats().late).toBe(0);
  });

  it('drops a packet that arrives after its playout time as late, not lost', () => {
    const clock = new ManualClock(0);
    const arrivals = [
      { t: 100, p: packet(0, 0, 1) },
      { t: 120, p: packet(1, 960, 2) },
      { t: 140, p: packet(3, 2880, 4) },
      { t: 160, p: packet(4, 3840, 5) },
      { t: 200, p: packet(2, 1920, 3) }, // far too late
    ];
    const { jb, out } = drive({ clock }, arrivals, range(8, (k) => 110 + k * 20));
    expect(played(out)).toEqual([1, 2, 4, 5]);
    const missingIndex = out.findIndex((r) => r.kind === 'missing');
    expect(out[missingIndex]).toMatchObject({ kind: 'missing', samples: 960 });
    expect(out[missingIndex - 1]).toMatchObject({ kind: 'packet', value: 2 });
    expect(out[missingIndex + 1]).toMatchObject({ kind: 'packet', value: 4 });
    const s = jb.stats();
    expect(s.late).toBe(1);
    expect(s.lost).toBe(0);
    expect(s.received).toBe(5);
  });

  it('reports a gap as missing and counts it lost when it never arrives', () => {
    const clock = new ManualClock(0);
    const arrivals = [0, 1, 2, 4, 5].map((i) => ({ t: 100 + i * 20, p: packet(i, i * 960, i + 1) }));
    const { jb, out } = drive({ clock }, arrivals, range(6, (k) => 110 + k * 20));
    expect(out.map((r) => r.kind)).toEqual(['packet', 'packet', 'packet', 'missing', 'packet', 'packet']);
    expect(played(out)).toEqual([1, 2, 3, 5, 6]);
    const s = jb.stats();
    expect(s.lost).toBe(1);
    expect(s.expected).toBe(6);
    expect(s.concealed).toBe(1);
  });

  it('conceals a tail loss only once (waiting is credited when the next packet shows)', () => {
    const clock = new ManualClock(0);
    // Packet 3 lost with nothing behind it at its playout time: the buffer first
    // waits (concealing in place); when 4 arrives it gives up on 3 and plays 4
    // at once, so 3 costs exactly one concealed frame and no extra delay.
    const arrivals = [0, 1, 2, 4, 5, 6].map((i) => ({ t: 100 + i * 20, p: packet(i, i * 960, i + 1) }));
    const { jb, out } = drive({ clock }, arrivals, range(7, (k) => 107 + k * 20));
    expect(out.map((r) => r.kind)).toEqual(['packet', 'packet', 'packet', 'missing', 'packet', 'packet', 'packet']);
    expect(jb.stats().concealed).toBe(1);
    expect(jb.stats().currentDelayMs).toBeCloseTo(7, 5);
  });

  it('unwraps the sequence number at 65535 and the timestamp at 2^32', () => {
    const clock = new ManualClock(0);
    const seq0 = 65530;
    const ts0 = 2 ** 32 - 3 * 960;
    const arrivals = range(12, (i) => ({ t: 100 + i * 20, p: packet(seq0 + i, ts0 + i * 960, i + 1) }));
    // Swap two packets across the wrap point to check ordering there too.
    const a5 = arrivals[5]!;
    const a6 = arrivals[6]!;
    arrivals[5] = { t: a5.t + 1, p: a6.p };
    arrivals[6] = { t: a5.t + 2, p: a5.p };
    const { jb, out } = drive({ clock, minDelayMs: 30 }, arrivals, range(14, (k) => 110 + k * 20));
    expect(played(out)).toEqual(range(12, (i) => i + 1));
    const s = jb.stats();
    expect(s.lost).toBe(0);
    expect(s.late).toBe(0);
    expect(s.expected).toBe(12);
    expect(s.resets).toBe(0);
  });

  it('grows the target at once when jitter appears and shrinks it slowly after', () => {
    const clock = new ManualClock(0);
    const rand = mulberry(7);
    const arrivals: Arrival[] = [];
    // 4 s clean, 4 s with 0–60 ms jitter, then 8 s clean again.
    for (let i = 0; i < 800; i++) {
      const sendMs = i * 20;
      const jitter = i >= 200 && i < 400 ? rand() * 60 : 0;
      arrivals.push({ t: 100 + sendMs + jitter, p: packet(i, i * 960, (i % 1000) + 1) });
    }
    const jb = new JitterBuffer({ clock });
    const targets: number[] = [];
    let ai = 0;
    for (let k = 0; k < 800; k++) {
      const t = 107 + k * 20;
      while (ai < arrivals.length && arrivals[ai]!.t <= t) {
        clock.advance(arrivals[ai]!.t - clock.now());
        jb.insert(arrivals[ai]!.p, clock.now());
        ai++;
      }
      clock.advance(t - clock.now());
      jb.pull();
      targets.push(jb.targetDelayMs);
    }
    expect(targets[199]!).toBeLessThanOrEqual(5);
    // Within 0.5 s of the jitter starting, the target covers most of it.
    expect(targets[225]!).toBeGreaterThan(45);
    expect(targets[399]!).toBeGreaterThan(50);
    expect(targets[399]!).toBeLessThanOrEqual(65 + 1e-9);
    // Slow down: 0.5 s after the jitter ended it has barely moved (window + slow decay) ...
    expect(targets[425]!).toBeGreaterThan(45);
    // ... and after several seconds it is back near the clean-link value.
    expect(targets[799]!).toBeLessThanOrEqual(5 + 1e-9);
    // Late packets during the jitter phase stay rare.
    expect(jb.stats().late).toBeLessThanOrEqual(8);
  });

  it('catches up by handing over over-target packets as droppable, and drops hard when far over', () => {
    const clock = new ManualClock(0);
    // A 120 ms stall: packets 5..10 arrive in a burst. The buffer waits (delay grows),
    // then holds a backlog with the target still small.
    const arrivals: Arrival[] = [];
    for (let i = 0; i < 40; i++) {
      const t = i >= 5 && i <= 10 ? 100 + 10 * 20 + 20 + (i - 5) : 100 + i * 20;
      arrivals.push({ t, p: packet(i, i * 960, i + 1) });
    }
    // Short window and fast shrink so the target falls back while the backlog is still there.
    const { jb, out } = drive(
      { clock, hardCatchUpMs: 60, softCatchUpMs: 10, windowMs: 200, shrinkMsPerSecond: 1000 },
      arrivals,
      range(42, (k) => 107 + k * 20), // stop before the tail underrun
    );
    // Everything in order; none late (the buffer waited), some dropped by hard catch-up.
    const values = played(out);
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
    const s = jb.stats();
    expect(s.late).toBe(0);
    expect(s.discarded).toBeGreaterThan(0);
    // Some packets were offered as droppable when over target.
    expect(out.some((r) => r.kind === 'packet' && r.over)).toBe(true);
    // At the end the delay is back within the soft band.
    expect(s.currentDelayMs - s.targetDelayMs).toBeLessThan(60 + 20);
    expect(s.discarded).toBe(3); // 127 ms → 67 ms: three 20 ms packets dropped, no more
  });

  it('re-anchors at a new talkspurt (marker bit) instead of concealing the pause', () => {
    const clock = new ManualClock(0);
    const arrivals: Arrival[] = [];
    for (let i = 0; i < 5; i++) arrivals.push({ t: 100 + i * 20, p: packet(i, i * 960, i + 1) });
    // 1 s pause (voice gate), sequence continues, timestamp jumps, marker set.
    for (let i = 5; i < 10; i++) arrivals.push({ t: 1100 + i * 20, p: packet(i, (i + 50) * 960, i + 1, { marker: i === 5 }) });
    const { jb, out } = drive({ clock }, arrivals, range(60, (k) => 107 + k * 20)); // ends on the last packet
    expect(played(out)).toEqual(range(10, (i) => i + 1));
    const s = jb.stats();
    expect(s.lost).toBe(0);
    expect(s.late).toBe(0);
    // Concealment only for the first 200 ms of the pause (then the buffer treats it as a pause).
    const pause = out.filter((r) => r.t > 200 && r.t < 1200);
    expect(pause.filter((r) => r.kind === 'missing')).toHaveLength(10);
    expect(pause.slice(10).every((r) => r.kind === 'empty')).toBe(true);
    expect(s.drains).toBe(1);
    // The new talkspurt plays with a small delay again.
    expect(s.currentDelayMs).toBeLessThan(25);
  });

  it('copes with packet durations other than the playback frame', () => {
    const clock = new ManualClock(0);
    // 40 ms packets, 20 ms playback frames.
    const a40 = range(10, (i) => ({ t: 100 + i * 40, p: packet(i, i * 1920, i + 1, { samples: 1920 }) }));
    const r40 = drive({ clock }, a40, range(22, (k) => 107 + k * 20));
    expect(played(r40.out)).toEqual(range(10, (i) => i + 1));
    expect(r40.out.filter((r) => r.kind === 'packet').every((r) => (r as { samples: number }).samples === 1920)).toBe(true);
    expect(r40.jb.stats().concealed).toBeLessThanOrEqual(1);

    // 10 ms packets, 20 ms frames: two per pull.
    const clock2 = new ManualClock(0);
    const a10 = range(20, (i) => ({ t: 100 + i * 10, p: packet(i, i * 480, i + 1, { samples: 480 }) }));
    const r10 = drive({ clock: clock2 }, a10, range(11, (k) => 117 + k * 20));
    expect(played(r10.out)).toEqual(range(20, (i) => i + 1));
    expect(r10.jb.stats().late).toBe(0);
  });

  it('falls back to timestamp spacing when the payload has no Opus TOC', () => {
    const clock = new ManualClock(0);
    const arrivals = range(6, (i) => ({ t: 100 + i * 10, p: packet(i, i * 480, i + 1, { samples: 480 }) }));
    const { out } = drive({ clock, packetSamples: () => null, defaultPacketSamples: 480 }, arrivals, range(4, (k) => 117 + k * 20));
    expect(played(out)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('resets on an SSRC change and keeps counting', () => {
    const clock = new ManualClock(0);
    const arrivals = [
      ...range(3, (i) => ({ t: 100 + i * 20, p: packet(i, i * 960, i + 1) })),
      ...range(3, (i) => ({ t: 160 + i * 20, p: packet(5000 + i, 123456 + i * 960, 100 + i, { ssrc: 99 }) })),
    ];
    const { jb, out } = drive({ clock }, arrivals, range(8, (k) => 107 + k * 20));
    expect(played(out)).toEqual([1, 2, 3, 100, 101, 102]);
    const s = jb.stats();
    expect(s.resets).toBe(1);
    expect(s.received).toBe(6);
    expect(s.expected).toBe(6);
  });

  it('newSource(): the next packet restarts the buffer even with the same SSRC (a path switch, §11), and plays at once', () => {
    const clock = new ManualClock(0);
    const arrivals = [
      ...range(3, (i) => ({ t: 100 + i * 20, p: packet(i, i * 960, i + 1) })),
      // The other path: its own sequence and timestamp spaces, the same SSRC.
      ...range(3, (i) => ({ t: 160 + i * 20, p: packet(40_000 + i, 7_000_000 + i * 960, 100 + i) })),
    ];
    const jb = new JitterBuffer({ clock });
    const out: Played[] = [];
    for (const [k, a] of arrivals.entries()) {
      clock.advance(a.t - clock.now());
      if (k === 3) jb.newSource();
      jb.insert(a.p, clock.now());
      clock.advance(7);
      out.push(record(jb.pull(), clock.now()));
    }
    expect(played(out)).toEqual([1, 2, 3, 100, 101, 102]);
    expect(jb.stats()).toMatchObject({ resets: 1, received: 6, expected: 6, lost: 0 });
  });

  it('plays a link that starts at sequence number 0 with the packet before it reordered behind (extended −1)', () => {
    const clock = new ManualClock(0);
    // Sequence numbers 65535, 0, 1, ...: 0 arrives first, so 65535 is extended to −1, not "nothing played".
    const arrivals = [
      { t: 100, p: packet(0, 960, 2) },
      { t: 101, p: packet(65535, 0, 1) },
      ...range(5, (i) => ({ t: 120 + i * 20, p: packet(1 + i, (2 + i) * 960, 3 + i) })),
    ];
    const { jb, out } = drive({ clock, minDelayMs: 10 }, arrivals, range(9, (k) => 112 + k * 20));
    expect(played(out)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(jb.stats()).toMatchObject({ late: 0, lost: 0, expected: 7, received: 7, reordered: 1 });
  });

  it('counts a perfect link whose first packets arrive out of order as no loss, and hides none', () => {
    const clock = new ManualClock(0);
    // The sender numbered packets before this link opened; the link's first two arrive swapped; 6 is lost.
    const first = 31_000;
    const arrivals = range(10, (i) => i)
      .filter((i) => i !== 6)
      .map((i) => ({ t: 100 + i * 20 + (i === 0 ? 21 : 0), p: packet(first + i, i * 960, i + 1) }));
    const { jb } = drive({ clock, minDelayMs: 40 }, arrivals, range(14, (k) => 110 + k * 20));
    expect(jb.stats()).toMatchObject({ expected: 10, received: 9, lost: 1, late: 0 });
  });

  it('drops one wild packet and resets on a confirmed sequence restart (RFC 3550 A.1)', () => {
    const clock = new ManualClock(0);
    const arrivals = [
      ...range(3, (i) => ({ t: 100 + i * 20, p: packet(i, i * 960, i + 1) })),
      { t: 161, p: packet(40_000, 9_000_000, 99) }, // wild: ignored
      ...range(3, (i) => ({ t: 160 + i * 20 + 2, p: packet(3 + i, (3 + i) * 960, 4 + i) })),
      // The sender restarted in the same SSRC: the first packet far away is out of window too,
      // the second one in sequence confirms the restart.
      ...range(4, (i) => ({ t: 240 + i * 20, p: packet(20_000 + i, 5_000_000 + i * 960, 100 + i) })),
    ];
    const { jb, out } = drive({ clock }, arrivals, range(11, (k) => 107 + k * 20));
    expect(played(out)).toEqual([1, 2, 3, 4, 5, 6, 101, 102, 103]);
    expect(jb.stats()).toMatchObject({ resets: 1, outOfWindow: 2, lost: 0, expected: 6 + 3, received: 6 + 3 });
  });

  it('ignores invalid input without throwing', () => {
    const jb = new JitterBuffer({ clock: new ManualClock(0) });
    expect(jb.insert(null as unknown as MediaPacket, 0)).toBe('invalid');
    expect(jb.insert({ sequenceNumber: 1.5, timestamp: 0, ssrc: 1, payloadType: 111, marker: false, payload: new Uint8Array(3) }, 0)).toBe('invalid');
    expect(jb.insert(packet(1, 0, 1), Number.NaN)).toBe('invalid');
    expect(jb.stats().invalid).toBe(3);
    expect(jb.pull().kind).toBe('empty');
  });

  it('fills a short pause without a sequence gap (DTX) without counting loss', () => {
    const clock = new ManualClock(0);
    const arrivals = [
      { t: 100, p: packet(0, 0, 1) },
      { t: 120, p: dtxPacket(1, 960) },
      // 40 ms without packets (shorter than a talkspurt gap), sequence continues.
      { t: 180, p: packet(2, 3 * 960 + 960, 3) },
    ];
    const { jb, out } = drive({ clock }, arrivals, range(7, (k) => 107 + k * 20));
    expect(played(out)).toEqual([1, 0, 3]);
    expect(jb.stats().lost).toBe(0);
    expect(jb.stats().late).toBe(0);
  });
});

function mulberry(seed: number): () => number {
  const random = createRandom(seed);
  return () => random.next();
}
