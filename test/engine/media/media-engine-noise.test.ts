/**
 * Noise suppression in the media engine, with a fake suppressor (silences
 * every frame) so the test is about wiring, not RNNoise: ours before the
 * gate, per peer before the mixer, and "unavailable" when it cannot load.
 */
import { describe, expect, it } from 'vitest';
import type { FrameFilter } from '../../../src/engine/dsp/frame-filter.js';
import type { SuppressorFactory } from '../../../src/engine/dsp/rnnoise.js';
import { pair } from './engine-pair.js';

class Silencer implements FrameFilter {
  readonly name = 'noise-suppression' as const;
  readonly blockSamples = 480;
  readonly delayMs = 0;
  frames = 0;
  closed = false;
  process(frame: Int16Array): void {
    this.frames++;
    frame.fill(0);
  }
  reset(): void {}
  close(): void {
    this.closed = true;
  }
}

function fakeFactory(): SuppressorFactory & { made: Silencer[] } {
  const made: Silencer[] = [];
  const factory = Object.assign(() => {
    const s = new Silencer();
    made.push(s);
    return s;
  }, { made });
  return factory;
}

async function suppressedPair(opts: { aNoiseSuppression?: boolean; factory?: SuppressorFactory } = {}) {
  const factory = opts.factory ?? fakeFactory();
  const p = await pair({ engine: (side) => ({ noiseSuppression: side === 'a' && opts.aNoiseSuppression === true, suppressorFactory: factory }) });
  /** The loudest of B's output over `frames` steps. */
  const run = async (frames: number): Promise<number> => {
    let peak = 0;
    for (let i = 0; i < frames; i++) peak = Math.max(peak, await p.step());
    return peak;
  };
  return { ...p, run, factory };
}

/** Lets a lazy load (a resolved promise here) finish. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('MediaEngine noise suppression', () => {
  it('runs ours before the gate: suppressed frames are not sent, and the meters read what is sent', async () => {
    const { a, b, run } = await suppressedPair({ aNoiseSuppression: true });
    expect(a.engine.self.processing['noise-suppression']).toBe('on');
    expect(await run(20)).toBe(0);
    expect(a.engine.captureStats.packetsSent).toBe(0);
    expect(a.engine.self.micLevel).toBe(0);
    expect(a.engine.filterCosts).toEqual([expect.objectContaining({ name: 'noise-suppression', enabled: true, frames: 20 })]);

    a.engine.setProcessing('noise-suppression', false);
    expect(a.engine.self.processing['noise-suppression']).toBe('off');
    await run(10); // the jitter buffer anchors on the first packets
    expect(await run(10)).toBeGreaterThan(0.2);
    await a.engine.stop();
    await b.engine.stop();
  });

  it('loads the suppressor only when first switched on', async () => {
    const factory = fakeFactory();
    const { a, b, run } = await suppressedPair({ factory });
    expect(factory.made).toHaveLength(0);
    expect(a.engine.self.processing['noise-suppression']).toBe('off');
    await run(15);
    a.engine.setProcessing('noise-suppression', true);
    await settle();
    expect(factory.made).toHaveLength(1);
    await run(20); // the gate's hangover: frames already on their way
    // What the gate still sends after the hangover is digital silence through Opus: a stray LSB at most.
    expect(await run(10)).toBeLessThan(0.001);
    await a.engine.stop();
    expect(factory.made[0]!.closed).toBe(true);
    await b.engine.stop();
  });

  it("suppresses one peer's audio before the mix on request, and costs nothing when off", async () => {
    const factory = fakeFactory();
    const { a, b, run } = await suppressedPair({ factory });
    await run(15);
    expect(await run(5)).toBeGreaterThan(0.2);
    expect(b.engine.peerStats('a')!.noiseSuppression).toBe(false);

    b.engine.setPeerNoiseSuppression('a', true);
    await settle();
    expect(b.engine.peerStats('a')!.noiseSuppression).toBe(true);
    expect(await run(15)).toBe(0);
    // The speaking indicator and meter follow what we hear of them.
    expect(b.engine.peerStats('a')!.level).toBeLessThan(0.01);
    expect(b.engine.peerStats('a')!.speaking).toBe(false);
    const silencer = factory.made[0]!;
    const framesWhileOn = silencer.frames;
    expect(b.engine.peerSuppressionCost('a')).toMatchObject({ enabled: true, frames: framesWhileOn });

    b.engine.setPeerNoiseSuppression('a', false);
    expect(await run(5)).toBeGreaterThan(0.2);
    expect(silencer.frames).toBe(framesWhileOn);
    expect(factory.made).toHaveLength(1);

    b.engine.removePeer('a');
    expect(silencer.closed).toBe(true);
    await a.engine.stop();
    await b.engine.stop();
  });

  it('says unavailable when the suppressor cannot be made, and the call goes on', async () => {
    const failing: SuppressorFactory = () => {
      throw new Error('no wasm here');
    };
    const { a, b, run } = await suppressedPair({ aNoiseSuppression: true, factory: failing });
    expect(a.engine.self.processing['noise-suppression']).toBe('unavailable');
    await run(10);
    expect(await run(10)).toBeGreaterThan(0.2);
    b.engine.setPeerNoiseSuppression('a', true);
    await settle();
    // b's own factory fails too: the peer flag stays honest.
    expect(b.engine.peerStats('a')!.noiseSuppression).toBe(false);
    expect(b.engine.self.processing['noise-suppression']).toBe('unavailable');
    await a.engine.stop();
    await b.engine.stop();
  });
});
