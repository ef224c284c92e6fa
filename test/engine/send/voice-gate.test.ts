import { describe, expect, it } from 'vitest';
import { VoiceGate, rmsDbfs } from '../../../src/engine/send/voice-gate.js';

const SAMPLES = 960;
/** A frame of a square wave at the given dBFS RMS level (a square wave's RMS equals its amplitude). */
function frameAt(dbfs: number): Int16Array {
  const amp = Math.round(32768 * 10 ** (dbfs / 20));
  return Int16Array.from({ length: SAMPLES }, (_, i) => (i % 2 === 0 ? amp : -amp));
}
const loud = frameAt(-20);
const quiet = frameAt(-70);
const silent = new Int16Array(SAMPLES);

describe('rmsDbfs', () => {
  it('measures levels', () => {
    expect(rmsDbfs(silent)).toBe(-Infinity);
    expect(rmsDbfs(frameAt(-20))).toBeCloseTo(-20, 1);
    expect(rmsDbfs(Int16Array.from({ length: 10 }, () => -32768))).toBeCloseTo(0, 6);
  });
});

describe('VoiceGate', () => {
  it('opens on the first loud frame and holds for the hangover, then closes', () => {
    const gate = new VoiceGate({ frameMs: 20, openThresholdDbfs: -45, hangoverMs: 300 });
    expect(gate.process(quiet).transmit).toBe(false);
    const first = gate.process(loud);
    expect(first).toMatchObject({ transmit: true, talkspurtStart: true });
    expect(first.levelDbfs).toBeCloseTo(-20, 1);
    // 300 ms / 20 ms = 15 quiet frames still sent, the 16th is not.
    const after = Array.from({ length: 16 }, () => gate.process(quiet));
    expect(after.slice(0, 15).every((d) => d.transmit && !d.talkspurtStart)).toBe(true);
    expect(after[15]!.transmit).toBe(false);
    expect(gate.process(loud).talkspurtStart).toBe(true);
  });

  it('a loud frame during the hangover extends it', () => {
    const gate = new VoiceGate({ frameMs: 20, hangoverMs: 100 }); // 5 frames
    gate.process(loud);
    for (let i = 0; i < 4; i++) gate.process(quiet);
    gate.process(loud);
    const tail = Array.from({ length: 6 }, () => gate.process(quiet).transmit);
    expect(tail).toEqual([true, true, true, true, true, false]);
  });

  it('attackFrames requires consecutive loud frames to open', () => {
    const gate = new VoiceGate({ frameMs: 10, attackFrames: 3, hangoverMs: 0 });
    const seq = [loud, quiet, loud, loud, loud, loud, quiet].map((f) => gate.process(f).transmit);
    expect(seq).toEqual([false, false, false, false, true, true, false]);
  });

  it('mute sends nothing but still measures the level; unmute starts a talkspurt', () => {
    const gate = new VoiceGate({ frameMs: 20 });
    expect(gate.process(loud).transmit).toBe(true);
    gate.muted = true;
    const d = gate.process(loud);
    expect(d.transmit).toBe(false);
    expect(d.levelDbfs).toBeCloseTo(-20, 1);
    expect(gate.isOpen).toBe(true);
    gate.muted = false;
    expect(gate.process(loud)).toMatchObject({ transmit: true, talkspurtStart: true });
  });

  it('continuous mode transmits silence too, unless muted', () => {
    const gate = new VoiceGate({ frameMs: 20, enabled: false });
    expect([silent, quiet, loud].map((f) => gate.process(f).transmit)).toEqual([true, true, true]);
    gate.muted = true;
    expect(gate.process(loud).transmit).toBe(false);
    gate.muted = false;
    gate.setEnabled(true);
    for (let i = 0; i < 20; i++) gate.process(silent);
    expect(gate.process(silent).transmit).toBe(false);
  });

  it('threshold can be changed; options are validated', () => {
    const gate = new VoiceGate({ frameMs: 20, hangoverMs: 0 });
    expect(gate.process(frameAt(-60)).transmit).toBe(false);
    gate.setThresholdDbfs(-65);
    expect(gate.process(frameAt(-60)).transmit).toBe(true);
    expect(() => gate.setThresholdDbfs(3)).toThrow(RangeError);
    expect(() => new VoiceGate({ frameMs: 20, hangoverMs: -1 })).toThrow(RangeError);
    expect(() => new VoiceGate({ frameMs: 20, attackFrames: 0 })).toThrow(RangeError);
    expect(() => new VoiceGate({ frameMs: 20, openThresholdDbfs: Number.NaN })).toThrow(RangeError);
  });
});
