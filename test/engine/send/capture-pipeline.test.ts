import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { FrameEncoder } from '../../../src/engine/codec/types.js';
import { createOpusDecoder, createOpusEncoder } from '../../../src/engine/codec/opus.js';
import { parseRtp, type RtpPacket } from '../../../src/engine/rtp/packet.js';
import { CapturePipeline } from '../../../src/engine/send/capture-pipeline.js';
import { RtpTimeline } from '../../../src/engine/send/rtp-timeline.js';
import { SendLoop } from '../../../src/engine/send/send-loop.js';
import { VoiceGate } from '../../../src/engine/send/voice-gate.js';
import { FilterChain } from '../../../src/engine/dsp/filter-chain.js';
import type { FrameFilter } from '../../../src/engine/dsp/frame-filter.js';
import { FakeFilter } from '../dsp/fakes.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const loud = (): Int16Array => Int16Array.from({ length: 960 }, (_, i) => (i % 2 ? 3000 : -3000));
const silent = (): Int16Array => new Int16Array(960);

/** Fake encoder: 1-byte "DTX" packet for digital silence, else 10 bytes tagged with a counter. */
function fakeEncoder(): FrameEncoder & { calls: number } {
  const enc = {
    frameMs: 20,
    calls: 0,
    encode(pcm: Int16Array): Buffer {
      enc.calls++;
      if (pcm.every((s) => s === 0)) return Buffer.from([0x08]);
      return Buffer.alloc(10, enc.calls & 0xff);
    },
  };
  return enc;
}

function collector(clock: ManualClock): { loop: SendLoop<Uint8Array>; packets: RtpPacket[]; raw: Uint8Array[] } {
  const packets: RtpPacket[] = [];
  const raw: Uint8Array[] = [];
  const loop = new SendLoop<Uint8Array>({
    clock,
    send: (p) => {
      raw.push(p);
      const r = parseRtp(p);
      if (!r.ok) throw new Error(r.error.message);
      packets.push(r.packet);
    },
  });
  return { loop, packets, raw };
}

describe('CapturePipeline', () => {
  it('encodes once and gives every peer the same RTP packet with continuous timing', async () => {
    const clock = new ManualClock();
    const enc = fakeEncoder();
    const timeline = new RtpTimeline({ frameMs: 20, ssrc: 0xabc, initialSequenceNumber: 10, initialTimestamp: 5000 });
    const pipe = new CapturePipeline({ encoder: enc, gate: new VoiceGate({ frameMs: 20, hangoverMs: 0 }), timeline, payloadType: 111 });
    const a = collector(clock);
    const b = collector(clock);
    pipe.addPeer('a', a.loop);
    pipe.addPeer('b', b.loop);
    // loud ×2, quiet (gated) ×2, loud ×1.
    const pcm = new Int16Array(960 * 5);
    pcm.set(loud(), 0);
    pcm.set(loud(), 960);
    pcm.set(loud(), 960 * 4);
    for (let off = 0; off < pcm.length; off += 960) pipe.pushFrame(pcm.subarray(off, off + 960));
    await settle();
    expect(enc.calls).toBe(3); // gated frames are not encoded
    expect(a.raw).toEqual(b.raw);
    expect(a.raw[0]).toBe(b.raw[0]); // the very same bytes, built once
    expect(a.packets.map((p) => [p.sequenceNumber, p.timestamp, p.marker, p.payloadType, p.ssrc])).toEqual([
      [10, 5000, true, 111, 0xabc],
      [11, 5960, false, 111, 0xabc],
      [12, 8840, true, 111, 0xabc], // two frames of silence later: ts jumped by 3 frames, marker set
    ]);
    expect(pipe.stats).toMatchObject({ framesCaptured: 5, packetsSent: 3, framesGated: 2, framesMuted: 0, payloadOctets: 30, peers: 2 });
    expect(pipe.ssrc).toBe(0xabc);
  });

  it('mute sends nothing while time advances; DTX packets are skipped and the next packet is marked', async () => {
    const clock = new ManualClock();
    const gate = new VoiceGate({ frameMs: 20, enabled: false }); // continuous: only mute and DTX stop packets
    const pipe = new CapturePipeline({ encoder: fakeEncoder(), gate, timeline: new RtpTimeline({ frameMs: 20, ssrc: 1, initialSequenceNumber: 0, initialTimestamp: 0 }) });
    const a = collector(clock);
    pipe.addPeer('a', a.loop);
    pipe.pushFrame(loud());
    gate.muted = true;
    pipe.pushFrame(loud());
    gate.muted = false;
    pipe.pushFrame(loud());
    pipe.pushFrame(silent()); // DTX packet: not sent
    pipe.pushFrame(loud());
    await settle();
    expect(a.packets.map((p) => [p.sequenceNumber, p.timestamp, p.marker])).toEqual([
      [0, 0, true],
      [1, 1920, true],
      [2, 3840, true],
    ]);
    expect(pipe.stats).toMatchObject({ framesCaptured: 5, packetsSent: 3, framesMuted: 1, framesDtx: 1 });
  });

  it('removePeer closes that loop; the others keep receiving', async () => {
    const clock = new ManualClock();
    const pipe = new CapturePipeline({ encoder: fakeEncoder(), gate: new VoiceGate({ frameMs: 20, enabled: false }), timeline: new RtpTimeline({ frameMs: 20 }) });
    const a = collector(clock);
    const b = collector(clock);
    pipe.addPeer('a', a.loop);
    pipe.addPeer('b', b.loop);
    pipe.pushFrame(loud());
    pipe.removePeer('b');
    pipe.pushFrame(loud());
    await settle();
    expect(a.packets.length).toBe(2);
    expect(b.packets.length).toBe(0); // closed before its microtask ran
    expect(b.loop.isClosed).toBe(true);
    expect(pipe.stats.peers).toBe(1);
  });

  it('reports per-frame level and survives a throwing callback and encoder', () => {
    const infos: boolean[] = [];
    const broken: FrameEncoder = {
      frameMs: 20,
      encode: () => {
        throw new Error('boom');
      },
    };
    const pipe = new CapturePipeline({
      encoder: broken,
      gate: new VoiceGate({ frameMs: 20 }),
      timeline: new RtpTimeline({ frameMs: 20 }),
      onFrame: (i) => {
        infos.push(i.transmitted);
        throw new Error('ui bug');
      },
    });
    expect(() => pipe.pushFrame(loud())).not.toThrow();
    expect(infos).toEqual([false]);
    expect(pipe.stats.encodeErrors).toBe(1);
  });

  it('rejects mismatched frame sizes and bad payload types', () => {
    const timeline = new RtpTimeline({ frameMs: 20 });
    expect(() => new CapturePipeline({ encoder: { frameMs: 40, encode: () => Buffer.alloc(3) }, gate: new VoiceGate({ frameMs: 20 }), timeline })).toThrow(/one frame size/);
    expect(() => new CapturePipeline({ encoder: fakeEncoder(), gate: new VoiceGate({ frameMs: 20 }), timeline, payloadType: 128 })).toThrow(RangeError);
  });

  it('with real Opus, every sent packet decodes to one frame', async () => {
    const clock = new ManualClock();
    const pipe = new CapturePipeline({ encoder: createOpusEncoder({ frameMs: 20, dtx: true }), gate: new VoiceGate({ frameMs: 20, hangoverMs: 40 }), timeline: new RtpTimeline({ frameMs: 20 }) });
    const a = collector(clock);
    pipe.addPeer('a', a.loop);
    for (let f = 0; f < 30; f++) {
      pipe.pushFrame(f < 10 || f >= 20 ? Int16Array.from({ length: 960 }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 300 * (f * 960 + i)) / 48000))) : silent());
      await settle(); // one frame per turn, as in real time (a burst beyond the queue bound would drop oldest)
    }
    const dec = createOpusDecoder();
    expect(a.packets.length).toBeGreaterThanOrEqual(22); // 20 loud frames + hangover
    for (const p of a.packets) expect(dec.decode(p.payload)?.length).toBe(960);
    expect(a.packets.filter((p) => p.marker).length).toBe(2);
    expect(dec.corruptPackets).toBe(0);
  });

  describe('filters before the gate', () => {
    /** A "suppressor" that silences everything: what the gate and encoder see must be its output. */
    const silencer = (): FrameFilter & { frames: number } => ({
      name: 'noise-suppression',
      blockSamples: 480,
      delayMs: 0,
      frames: 0,
      process(frame: Int16Array) {
        this.frames++;
        frame.fill(0);
      },
      reset() {},
      close() {},
    });

    it('gates and encodes the filtered frame, and leaves the source frame untouched', async () => {
      const clock = new ManualClock();
      const enc = fakeEncoder();
      const filters = new FilterChain();
      const ns = silencer();
      filters.register(ns, true);
      const pipe = new CapturePipeline({ encoder: enc, gate: new VoiceGate({ frameMs: 20, hangoverMs: 0 }), timeline: new RtpTimeline({ frameMs: 20 }), filters });
      const a = collector(clock);
      pipe.addPeer('a', a.loop);
      const input = loud();
      const seen = pipe.pushFrame(input);
      await settle();
      expect(ns.frames).toBe(1);
      expect(input[0]).toBe(-3000);
      expect(seen.every((v) => v === 0)).toBe(true);
      expect(pipe.stats.framesGated).toBe(1);
      expect(a.packets).toHaveLength(0);
    });

    it('with every stage off, passes the source frame itself and never calls a stage', async () => {
      const filters = new FilterChain();
      const ns = new FakeFilter('noise-suppression', 7);
      filters.register(ns, false);
      const pipe = new CapturePipeline({ encoder: fakeEncoder(), gate: new VoiceGate({ frameMs: 20, hangoverMs: 0 }), timeline: new RtpTimeline({ frameMs: 20 }), filters });
      const input = loud();
      expect(pipe.pushFrame(input)).toBe(input);
      expect(ns.frames).toBe(0);
      filters.setEnabled('noise-suppression', true);
      const out = pipe.pushFrame(input);
      expect(out).not.toBe(input);
      expect(out[0]).toBe(-3000 + 7);
      expect(input[0]).toBe(-3000);
    });
  });
});
