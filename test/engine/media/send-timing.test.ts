import type { NegotiatedAudio } from '../../../src/engine/mesh/link-types.js';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { buildRtp } from '../../../src/engine/rtp/packet.js';
import type { AudioSource, FrameHandler } from '../../../src/engine/audio/types.js';
import type { SessionLink } from '../../../src/engine/room/session.js';
import type { PeerLinkOptions } from '../../../src/engine/mesh/peer-link.js';
import { MsHistogram, SendTiming } from '../../../src/engine/media/send-timing.js';

describe('MsHistogram', () => {
  it('reports quantiles to the bucket, mean, max and overflow', () => {
    const h = new MsHistogram(0.1, 100);
    for (let i = 0; i < 98; i++) h.record(20);
    h.record(25.04);
    h.record(150); // past the range
    const s = h.summary();
    expect(s.count).toBe(100);
    expect(s.p50Ms).toBeCloseTo(20.05, 5);
    expect(s.p99Ms).toBeCloseTo(25.05, 5);
    expect(h.quantile(1)).toBe(150);
    expect(s.maxMs).toBe(150);
    expect(s.overflow).toBe(1);
    expect(s.meanMs).toBeCloseTo((98 * 20 + 25.04 + 150) / 100, 2);
  });

  it('is empty-safe and ignores non-finite values; negatives count as 0', () => {
    const h = new MsHistogram();
    expect(h.summary()).toMatchObject({ count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 });
    h.record(Number.NaN);
    h.record(Infinity);
    expect(h.count).toBe(0);
    h.record(-3);
    expect(h.summary()).toMatchObject({ count: 1, p50Ms: 0.05, maxMs: 0 });
  });

  it('rejects a shape that cannot hold values', () => {
    expect(() => new MsHistogram(0, 10)).toThrow(RangeError);
    expect(() => new MsHistogram(1, 0.5)).toThrow(RangeError);
  });
});

/** A link that records what it was asked to send. */
class RecordingLink implements SessionLink {
  negotiatedAudio: NegotiatedAudio | null = null;
  sent = 0;
  open = true;
  start(): void {}
  handleSignal(): void {}
  sendRtp(): boolean {
    if (!this.open) return false;
    this.sent++;
    return true;
  }
  sendRtcp(): boolean {
    return true;
  }
  sendChat(): boolean {
    return false;
  }
  get isOpen(): boolean {
    return this.open;
  }
  get chatOpen(): boolean {
    return false;
  }
  stats() {
    return { packetsSent: 0, bytesSent: 0, packetsReceived: 0, bytesReceived: 0, connectMs: null } as unknown as ReturnType<SessionLink['stats']>;
  }
  selectedCandidatePair() {
    return null;
  }
  localCandidateTypes(): string[] {
    return ['host'];
  }
  close(): void {
    this.open = false;
  }
}

const rtp = (sequenceNumber: number, timestamp: number): Uint8Array =>
  buildRtp({ payloadType: 111, sequenceNumber, timestamp, ssrc: 1234, marker: false, payload: new Uint8Array([0x78, 1, 2]) });

describe('SendTiming.makeLink', () => {
  it('records the interval between consecutive frames only (not across a voice-gate pause), and delegates', () => {
    const clock = new ManualClock(1000);
    const timing = new SendTiming(20, clock);
    const inner = new RecordingLink();
    const link = timing.makeLink(() => inner)({} as PeerLinkOptions);
    link.sendRtp(rtp(1, 0));
    clock.advance(20);
    link.sendRtp(rtp(2, 960));
    clock.advance(23);
    link.sendRtp(rtp(3, 1920));
    // The gate held back 10 frames: the next packet is 11 frames later in RTP time; not a stall.
    clock.advance(220);
    link.sendRtp(rtp(4, 1920 + 11 * 960));
    clock.advance(19);
    link.sendRtp(rtp(5, 1920 + 12 * 960));
    const s = timing.summary().sendIntervalMs;
    expect(s.count).toBe(3);
    expect(s.maxMs).toBe(23);
    expect(inner.sent).toBe(5);
    expect(link.isOpen).toBe(true);
    expect(link.localCandidateTypes()).toEqual(['host']);
    link.close();
    expect(inner.open).toBe(false);
  });

  it('handles RTP timestamp wrap-around (RFC 3550 timestamps are modulo 2^32) and ignores refused sends', () => {
    const clock = new ManualClock(0);
    const timing = new SendTiming(20, clock);
    const inner = new RecordingLink();
    const link = timing.makeLink(() => inner)({} as PeerLinkOptions);
    link.sendRtp(rtp(1, 0xffffffff - 100));
    clock.advance(20);
    link.sendRtp(rtp(2, (0xffffffff - 100 + 960) >>> 0));
    expect(timing.sendIntervals.count).toBe(1);
    inner.open = false;
    clock.advance(20);
    expect(link.sendRtp(rtp(3, 2000))).toBe(false);
    expect(timing.sendIntervals.count).toBe(1);
  });
});

describe('SendTiming.source', () => {
  it('records how late each frame callback ran after its capture time and passes frames through', async () => {
    const clock = new ManualClock(0);
    const timing = new SendTiming(20, clock);
    let deliver: FrameHandler = () => undefined;
    let stopped = false;
    const inner: AudioSource = {
      frameMs: 20,
      start: async (onFrame) => {
        deliver = onFrame;
      },
      stop: async () => {
        stopped = true;
      },
    };
    const got: number[] = [];
    const wrapped = timing.source(inner);
    await wrapped.start((pcm) => got.push(pcm[0]!));
    clock.advance(25);
    deliver(new Int16Array(960).fill(7), 20_000_000n); // due at 20 ms, ran at 25 ms
    clock.advance(15);
    deliver(new Int16Array(960).fill(8), 40_000_000n); // on time
    expect(got).toEqual([7, 8]);
    const s = timing.summary().captureLatenessMs;
    expect(s.count).toBe(2);
    expect(s.maxMs).toBe(5);
    expect(s.p50Ms).toBeCloseTo(0.05, 5);
    const onEnd = (): void => undefined;
    wrapped.onEnd = onEnd;
    expect(inner.onEnd).toBe(onEnd);
    await wrapped.stop();
    expect(stopped).toBe(true);
  });
});
