import { describe, expect, it } from 'vitest';
import { createOpusDecoder, createOpusEncoder } from '../../../src/engine/codec/opus.js';
import { opusPacketSamples } from '../../../src/engine/rtp/opus-payload.js';
import type { FrameMs } from '../../../src/core/media-format.js';
import { OPUS_LOOKAHEAD_MS, opusLookaheadMs } from '../../../src/engine/codec/types.js';

function tone(samples: number, startSample: number, hz = 440, amplitude = 8000): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * (startSample + i)) / 48_000));
  return out;
}

function rms(pcm: Int16Array): number {
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return Math.sqrt(sum / Math.max(1, pcm.length));
}

describe('createOpusEncoder / createOpusDecoder', () => {
  it.each([10, 20, 40] as FrameMs[])('round-trips a tone at %i ms frames', (frameMs) => {
    const samples = (48_000 * frameMs) / 1000;
    const enc = createOpusEncoder({ frameMs });
    const dec = createOpusDecoder();
    expect(enc.frameMs).toBe(frameMs);
    let last: Int16Array | null = null;
    for (let f = 0; f < 20; f++) {
      const packet = enc.encode(tone(samples, f * samples));
      expect(packet.length).toBeGreaterThan(2);
      expect(opusPacketSamples(packet)).toBe(samples);
      last = dec.decode(packet);
      expect(last?.length).toBe(samples);
    }
    // After the codec settles the output carries the tone's energy (8000/√2 ≈ 5657 RMS).
    expect(rms(last!)).toBeGreaterThan(3000);
    expect(rms(last!)).toBeLessThan(8000);
    expect(dec.corruptPackets).toBe(0);
  });

  it('decodes a peer packet of another duration at its own length', () => {
    const enc40 = createOpusEncoder({ frameMs: 40 });
    const dec = createOpusDecoder();
    expect(dec.decode(enc40.encode(tone(1920, 0)))?.length).toBe(1920);
  });

  it('rejects a wrong PCM length with a RangeError before touching libopus', () => {
    const enc = createOpusEncoder({ frameMs: 20 });
    for (const n of [0, 959, 961, 480, 1920, 5760]) expect(() => enc.encode(new Int16Array(n))).toThrow(RangeError);
    expect(() => enc.encode(new Uint8Array(1920) as unknown as Int16Array)).toThrow(TypeError);
    // The encoder still works afterwards.
    expect(enc.encode(tone(960, 0)).length).toBeGreaterThan(0);
  });

  it('validates options with clear RangeErrors', () => {
    expect(() => createOpusEncoder({ frameMs: 30 as FrameMs })).toThrow(/frameMs must be one of 10, 20, 40/);
    expect(() => createOpusEncoder({ frameMs: 20, bitrate: 5000 })).toThrow(/bitrate/);
    expect(() => createOpusEncoder({ frameMs: 20, bitrate: 600_000 })).toThrow(RangeError);
    expect(() => createOpusEncoder({ frameMs: 20, bitrate: 32_000.5 })).toThrow(RangeError);
    expect(() => createOpusEncoder({ frameMs: 20, complexity: 11 })).toThrow(/complexity/);
    expect(() => createOpusEncoder({ frameMs: 20, complexity: -1 })).toThrow(RangeError);
    expect(() => createOpusEncoder({ frameMs: 20, expectedLossPercent: 101 })).toThrow(/expectedLossPercent/);
  });

  it('bitrate setting changes packet size', () => {
    const total = (bitrate: number): number => {
      const enc = createOpusEncoder({ frameMs: 20, bitrate });
      let bytes = 0;
      for (let f = 0; f < 50; f++) bytes += enc.encode(tone(960, f * 960, 300 + f * 10)).length;
      return bytes;
    };
    expect(total(64_000)).toBeGreaterThan(total(12_000) * 2);
  });

  it('FEC with expected loss is accepted and encodes', () => {
    const enc = createOpusEncoder({ frameMs: 20, fec: true, expectedLossPercent: 10, complexity: 10 });
    expect(enc.encode(tone(960, 0)).length).toBeGreaterThan(2);
  });

  it('DTX turns sustained silence into packets of 2 bytes or less', () => {
    const enc = createOpusEncoder({ frameMs: 20, dtx: true });
    const sizes: number[] = [];
    for (let f = 0; f < 30; f++) sizes.push(enc.encode(new Int16Array(960)).length);
    expect(sizes.slice(-5).every((n) => n <= 2)).toBe(true);
    const noDtx = createOpusEncoder({ frameMs: 20 });
    const plain: number[] = [];
    for (let f = 0; f < 30; f++) plain.push(noDtx.encode(new Int16Array(960)).length);
    expect(plain.slice(-5).every((n) => n > 2)).toBe(true);
  });

  /** Where a one-sample-wide click comes out of encode + decode, in ms after it went in. */
  function clickDelayMs(lowDelay: boolean): number {
    const enc = createOpusEncoder({ frameMs: 20, lowDelay, bitrate: 64_000 });
    const dec = createOpusDecoder();
    const clickAt = 5 * 960 + 100;
    const out = new Int16Array(12 * 960);
    for (let f = 0; f < 12; f++) {
      const pcm = new Int16Array(960);
      if (f === 5) pcm[100] = 30_000;
      out.set(dec.decode(enc.encode(pcm))!, f * 960);
    }
    let peakAt = 0;
    for (let i = 0; i < out.length; i++) if (Math.abs(out[i]!) > Math.abs(out[peakAt]!)) peakAt = i;
    expect(Math.abs(out[peakAt]!)).toBeGreaterThan(3000);
    return (peakAt - clickAt) / 48;
  }

  it('lowDelay takes the Opus lookahead from 6.5 to 2.5 ms: a click comes out that much earlier', () => {
    // Within one 1 ms either way: the decoded click is smeared over a few samples.
    expect(clickDelayMs(false)).toBeGreaterThan(OPUS_LOOKAHEAD_MS.voice - 1);
    expect(clickDelayMs(false)).toBeLessThan(OPUS_LOOKAHEAD_MS.voice + 1);
    expect(clickDelayMs(true)).toBeGreaterThan(OPUS_LOOKAHEAD_MS.lowDelay - 1);
    expect(clickDelayMs(true)).toBeLessThan(OPUS_LOOKAHEAD_MS.lowDelay + 1);
    expect(opusLookaheadMs(true)).toBe(2.5);
    expect(opusLookaheadMs(false)).toBe(6.5);
  });

  it('lowDelay still carries speech-band audio and still goes quiet with DTX', () => {
    // Complexity 5 asked: DTX in this mode needs 7, which the encoder takes.
    const enc = createOpusEncoder({ frameMs: 20, lowDelay: true, dtx: true, complexity: 5 });
    const dec = createOpusDecoder();
    let last: Int16Array | null = null;
    for (let f = 0; f < 20; f++) last = dec.decode(enc.encode(tone(960, f * 960)));
    expect(rms(last!)).toBeGreaterThan(3000);
    const sizes: number[] = [];
    for (let f = 0; f < 30; f++) sizes.push(enc.encode(new Int16Array(960)).length);
    expect(sizes.slice(-5).every((n) => n <= 2)).toBe(true);
    expect(() => createOpusEncoder({ frameMs: 20, lowDelay: 'yes' as unknown as boolean })).toThrow(TypeError);
  });

  it('counts corrupt and empty packets and returns null without throwing', () => {
    const dec = createOpusDecoder();
    expect(dec.decode(new Uint8Array([0xff, 0xff, 0xff]))).toBeNull(); // code 3 with 63 frames of 20 ms: invalid
    expect(dec.decode(new Uint8Array(0))).toBeNull();
    expect(dec.corruptPackets).toBe(2);
    // Still decodes good packets afterwards.
    const enc = createOpusEncoder({ frameMs: 20 });
    expect(dec.decode(enc.encode(tone(960, 0)))?.length).toBe(960);
  });

  it('conceals exactly the requested number of samples, continuing the signal', () => {
    const enc = createOpusEncoder({ frameMs: 20 });
    const dec = createOpusDecoder();
    for (let f = 0; f < 10; f++) dec.decode(enc.encode(tone(960, f * 960)));
    const plc = dec.conceal(960);
    expect(plc.length).toBe(960);
    expect(rms(plc)).toBeGreaterThan(500); // PLC extrapolates the tone rather than emitting silence
    expect(dec.conceal(480).length).toBe(480);
    expect(dec.conceal(5760).length).toBe(5760);
    expect(createOpusDecoder().conceal(960).length).toBe(960); // before any packet
    for (const bad of [0, -1, 5761, 1.5, Number.NaN]) expect(() => dec.conceal(bad)).toThrow(RangeError);
  });

  it('accepts PCM and payload views at odd offsets', () => {
    const enc = createOpusEncoder({ frameMs: 20 });
    const dec = createOpusDecoder();
    const backing = new Int16Array(1000);
    backing.set(tone(960, 0), 20);
    const packet = enc.encode(backing.subarray(20, 980));
    const shifted = new Uint8Array(packet.length + 1);
    shifted.set(packet, 1);
    expect(dec.decode(shifted.subarray(1))?.length).toBe(960);
  });
});
