import { describe, expect, it } from 'vitest';
import { CuePlayer, cueSamples } from '../../../src/engine/receive/cues.js';

/** Dominant frequency of a tone segment by counting zero crossings. */
function frequencyHz(pcm: Int16Array): number {
  let crossings = 0;
  for (let i = 1; i < pcm.length; i++) if ((pcm[i - 1]! < 0) !== (pcm[i]! < 0)) crossings++;
  return (crossings / 2) * (48000 / pcm.length);
}

describe('cues', () => {
  it('synthesizes ~150 ms two-tone cues: rising for join, falling for leave', () => {
    const joined = cueSamples('peer-joined');
    const left = cueSamples('peer-left');
    expect(joined.length).toBe(7200);
    const half = joined.length / 2;
    const jLow = frequencyHz(joined.subarray(480, half - 480));
    const jHigh = frequencyHz(joined.subarray(half + 480, joined.length - 480));
    expect(jHigh).toBeGreaterThan(jLow * 1.3);
    const lFirst = frequencyHz(left.subarray(480, half - 480));
    const lSecond = frequencyHz(left.subarray(half + 480, left.length - 480));
    expect(lFirst).toBeGreaterThan(lSecond * 1.3);
    // Edges ramp from silence (no click) and the peak leaves headroom.
    expect(Math.abs(joined[0]!)).toBeLessThan(100);
    expect(Math.abs(joined[joined.length - 1]!)).toBeLessThan(100);
    expect(Math.max(...joined)).toBeLessThanOrEqual(16384);
    expect(Math.max(...joined)).toBeGreaterThan(15000);
  });

  it('generates each cue once and caches it', () => {
    expect(cueSamples('peer-joined')).toBe(cueSamples('peer-joined'));
  });

  it('mixes at the configured volume until the cue ends', () => {
    const player = new CuePlayer({ volume: 0.25 });
    player.play('peer-left');
    const cue = cueSamples('peer-left');
    const acc = new Float32Array(960);
    let mixed = 0;
    let maxErr = 0;
    while (player.active > 0) {
      acc.fill(0);
      player.mixInto(acc);
      for (let i = 0; i < acc.length && mixed + i < cue.length; i++) maxErr = Math.max(maxErr, Math.abs(acc[i]! - (cue[mixed + i]! * 0.25) / 32768));
      mixed += acc.length;
    }
    expect(maxErr).toBeLessThan(1e-6);
    expect(mixed).toBe(Math.ceil(cue.length / 960) * 960);
  });

  it('can be disabled: nothing plays, and disabling cuts a sounding cue', () => {
    const player = new CuePlayer({ enabled: false });
    player.play('peer-joined');
    expect(player.active).toBe(0);
    player.setEnabled(true);
    player.play('peer-joined');
    expect(player.active).toBe(1);
    player.setEnabled(false);
    const acc = new Float32Array(960);
    player.mixInto(acc);
    expect(acc.every((v) => v === 0)).toBe(true);
  });

  it('clamps volume and limits concurrent cues', () => {
    const player = new CuePlayer({ maxConcurrent: 2 });
    player.setVolume(5);
    expect(player.volume).toBe(1);
    player.setVolume(Number.NaN);
    expect(player.volume).toBe(1);
    player.play('peer-joined');
    player.play('peer-joined');
    player.play('peer-left');
    expect(player.active).toBe(2);
    player.play('nonsense' as 'peer-left');
    expect(player.active).toBe(2);
  });
});
