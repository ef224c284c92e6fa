import { describe, expect, it } from 'vitest';
import type { AudioSink, AudioSource } from '../../../src/engine/audio/types.js';
import { NoInputSource, NullSink } from '../../../src/engine/audio/null-audio.js';

describe('NullSink / NoInputSource', () => {
  it('never pull or deliver a frame', async () => {
    let pulls = 0;
    let frames = 0;
    const sink: AudioSink = new NullSink(10);
    const source: AudioSource = new NoInputSource(20);
    await sink.start(() => {
      pulls++;
      return new Int16Array(480);
    });
    await source.start(() => frames++);
    await new Promise((r) => setTimeout(r, 50));
    expect(pulls).toBe(0);
    expect(frames).toBe(0);
    expect(sink.underflows).toBe(0);
    await sink.stop();
    await source.stop();
  });

  it('validate their frame size', () => {
    expect(() => new NullSink(15 as 10)).toThrow();
    expect(() => new NoInputSource(7 as 20)).toThrow();
    expect(new NullSink(10).frameMs).toBe(10);
  });
});
