/** A FrameFilter for tests: adds a constant to every sample, and records what it was asked to do. */
import type { FilterStageName, FrameFilter } from '../../../src/engine/dsp/frame-filter.js';

export class FakeFilter implements FrameFilter {
  readonly blockSamples = 480;
  frames = 0;
  resets = 0;
  closed = false;

  constructor(
    readonly name: FilterStageName,
    private readonly add: number,
    readonly delayMs = 0,
    /** Log of every stage's calls, to see the order in a chain. */
    private readonly calls?: string[],
  ) {}

  process(frame: Int16Array): void {
    this.frames++;
    this.calls?.push(this.name);
    for (let i = 0; i < frame.length; i++) frame[i] = frame[i]! + this.add;
  }

  reset(): void {
    this.resets++;
  }

  close(): void {
    this.closed = true;
  }
}
