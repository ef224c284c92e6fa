import { describe, expect, it } from 'vitest';
import { RtpTimeline } from '../../../src/engine/send/rtp-timeline.js';

describe('RtpTimeline', () => {
  it('advances the timestamp for every frame and the sequence only for sent ones, marking talkspurts', () => {
    const tl = new RtpTimeline({ frameMs: 20, ssrc: 7, initialSequenceNumber: 100, initialTimestamp: 1000 });
    const pattern = [true, true, false, false, true, true, false, true];
    const out = pattern.map((send) => tl.nextFrame(send));
    expect(out).toEqual([
      { sequenceNumber: 100, timestamp: 1000, ssrc: 7, marker: true },
      { sequenceNumber: 101, timestamp: 1960, ssrc: 7, marker: false },
      null,
      null,
      { sequenceNumber: 102, timestamp: 4840, ssrc: 7, marker: true },
      { sequenceNumber: 103, timestamp: 5800, ssrc: 7, marker: false },
      null,
      { sequenceNumber: 104, timestamp: 7720, ssrc: 7, marker: true },
    ]);
    expect(tl.counts).toEqual({ framesCaptured: 8, packetsSent: 5 });
    expect(tl.nextTimestamp).toBe(8680);
    expect(tl.nextSequenceNumber).toBe(105);
  });

  it('wraps sequence at 2^16 and timestamp at 2^32', () => {
    const tl = new RtpTimeline({ frameMs: 40, ssrc: 1, initialSequenceNumber: 65535, initialTimestamp: 0xffffffff - 1000 });
    const a = tl.nextFrame(true)!;
    const b = tl.nextFrame(true)!;
    expect([a.sequenceNumber, b.sequenceNumber]).toEqual([65535, 0]);
    expect(b.timestamp).toBe((0xffffffff - 1000 + 1920) - 0x100000000);
  });

  it('draws random initial values from the injected source, and from crypto by default', () => {
    const asked: number[] = [];
    const tl = new RtpTimeline({ frameMs: 20, randomInt: (max) => (asked.push(max), max - 1) });
    expect(asked.sort()).toEqual([0x10000, 0x100000000, 0x100000000].sort());
    expect(tl.ssrc).toBe(0xffffffff);
    expect(tl.nextSequenceNumber).toBe(0xffff);
    const ssrcs = new Set(Array.from({ length: 20 }, () => new RtpTimeline({ frameMs: 20 }).ssrc));
    expect(ssrcs.size).toBeGreaterThan(15);
  });

  it('validates given values', () => {
    expect(() => new RtpTimeline({ frameMs: 20, ssrc: -1 })).toThrow(RangeError);
    expect(() => new RtpTimeline({ frameMs: 20, initialSequenceNumber: 65536 })).toThrow(RangeError);
    expect(() => new RtpTimeline({ frameMs: 20, initialTimestamp: 1.5 })).toThrow(RangeError);
  });
});
