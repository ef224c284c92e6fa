import { describe, expect, it } from 'vitest';
import { Mixer, type MixerInput } from '../../../src/engine/receive/mixer.js';
import { CuePlayer, cueSamples } from '../../../src/engine/receive/cues.js';
import { ManualClock } from '../../../src/core/clock.js';
import { RemoteStream } from '../../../src/engine/receive/remote-stream.js';
import { FakeDecoder, packet } from './fakes.js';

/** A stream that yields a constant value and counts its pulls. */
class ConstantInput implements MixerInput {
  pulls = 0;
  constructor(
    private readonly value: number,
    private readonly gain = 1,
  ) {}
  mixInto(acc: Float32Array, scale: number): void {
    this.pulls++;
    const g = (this.gain * scale) / 32768;
    for (let i = 0; i < acc.length; i++) acc[i]! += this.value * g;
  }
}

describe('Mixer', () => {
  it('sums streams and returns exactly one frame', () => {
    const mixer = new Mixer({ frameMs: 20 });
    mixer.add('a', new ConstantInput(1000));
    mixer.add('b', new ConstantInput(-300));
    const out = mixer.mix();
    expect(out).toHaveLength(960);
    expect(out.every((s) => s === 700)).toBe(true);
  });

  it('outputs silence with no streams', () => {
    const mixer = new Mixer({ frameMs: 10 });
    const out = mixer.mix();
    expect(out).toHaveLength(480);
    expect(out.every((s) => s === 0)).toBe(true);
  });

  it('never wraps: three full-scale streams saturate smoothly below full scale', () => {
    const mixer = new Mixer({ frameMs: 20 });
    for (const id of ['a', 'b', 'c']) mixer.add(id, new ConstantInput(32767, 2));
    expect(mixer.mix().every((s) => s > 32000 && s <= 32767)).toBe(true);
    const neg = new Mixer({ frameMs: 20 });
    for (const id of ['a', 'b', 'c']) neg.add(id, new ConstantInput(-32768, 2));
    expect(neg.mix().every((s) => s < -32000 && s >= -32768)).toBe(true);
  });

  it('leaves quiet mixes untouched (below the limiter knee)', () => {
    const mixer = new Mixer({ frameMs: 20 });
    mixer.add('a', new ConstantInput(12000));
    mixer.add('b', new ConstantInput(12000));
    expect(mixer.mix()[0]).toBe(24000); // 0.73 FS < 0.8 knee
  });

  it('deafen outputs silence but keeps pulling every stream', () => {
    const mixer = new Mixer({ frameMs: 20 });
    const a = new ConstantInput(5000);
    const b = new ConstantInput(5000);
    mixer.add('a', a);
    mixer.add('b', b);
    mixer.setDeafened(true);
    expect(mixer.mix().every((s) => s === 0)).toBe(true);
    expect(a.pulls).toBe(1);
    expect(b.pulls).toBe(1);
    mixer.setDeafened(false);
    expect(mixer.mix()[0]).toBe(10000);
  });

  it('adds and removes streams by peer id', () => {
    const mixer = new Mixer({ frameMs: 20 });
    mixer.add('a', new ConstantInput(100));
    mixer.add('b', new ConstantInput(200));
    expect(mixer.peerIds.sort()).toEqual(['a', 'b']);
    expect(mixer.remove('a')).toBe(true);
    expect(mixer.remove('a')).toBe(false);
    expect(mixer.mix()[0]).toBe(200);
    expect(mixer.size).toBe(1);
  });

  it('survives a stream that throws', () => {
    const mixer = new Mixer({ frameMs: 20 });
    mixer.add('bad', {
      mixInto() {
        throw new Error('boom');
      },
    });
    mixer.add('good', new ConstantInput(300));
    expect(mixer.mix()[0]).toBe(300);
    expect(mixer.streamFailures).toBe(1);
  });

  it('mixes cues in, also while deafened unless configured otherwise', () => {
    const cues = new CuePlayer({ volume: 1 });
    const mixer = new Mixer({ frameMs: 20, cues });
    mixer.setDeafened(true);
    mixer.playCue('peer-joined');
    const expected = cueSamples('peer-joined');
    const frames: Int16Array[] = [];
    for (let k = 0; k < 8; k++) frames.push(Int16Array.from(mixer.mix()));
    const joined = Int16Array.from(frames.flatMap((f) => [...f]));
    // 150 ms cue at volume 1, below the knee: reproduced exactly.
    expect(Array.from(joined.subarray(0, expected.length))).toEqual(Array.from(expected));
    expect(joined.subarray(expected.length).every((s) => s === 0)).toBe(true);

    const quiet = new Mixer({ frameMs: 20, cues: new CuePlayer(), cuesWhileDeafened: false });
    quiet.setDeafened(true);
    quiet.playCue('peer-left');
    expect(quiet.mix().every((s) => s === 0)).toBe(true);
  });

  it('mixes real remote streams with their gain and mute', () => {
    const clock = new ManualClock(0);
    const make = () => new RemoteStream({ frameMs: 20, clock, decoderFactory: () => new FakeDecoder() });
    const a = make();
    const b = make();
    const c = make();
    a.insert(packet(0, 0, 10000), 0);
    b.insert(packet(0, 0, 10000), 0);
    c.insert(packet(0, 0, 10000), 0);
    b.setGain(50);
    c.setMuted(true);
    const mixer = new Mixer({ frameMs: 20 });
    mixer.add('a', a);
    mixer.add('b', b);
    mixer.add('c', c);
    clock.advance(10);
    expect(mixer.mix()[0]).toBe(15000);
    expect(c.speaking || c.level > 0).toBe(true); // muted-for-me still meters
  });

  it('rejects an invalid configuration clearly', () => {
    expect(() => new Mixer({ frameMs: 15 as 20 })).toThrow(/frameMs must be one of/);
    expect(() => new Mixer({ frameMs: 20, limiterThreshold: 1.5 })).toThrow(/limiterThreshold/);
  });
});
