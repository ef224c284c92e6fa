import { describe, expect, it } from 'vitest';
import { FilterChain } from '../../../src/engine/dsp/filter-chain.js';
import { FilterSlot } from '../../../src/engine/dsp/frame-filter.js';
import { FakeFilter } from './fakes.js';

describe('FilterChain', () => {
  it('runs registered stages in send order (echo cancellation, noise suppression, gain) whatever the registration order', () => {
    const calls: string[] = [];
    const chain = new FilterChain();
    chain.register(new FakeFilter('auto-gain', 1, 0, calls), true);
    chain.register(new FakeFilter('noise-suppression', 10, 0, calls), true);
    chain.register(new FakeFilter('echo-cancellation', 100, 0, calls), true);
    const frame = new Int16Array(960);
    chain.process(frame);
    expect(calls).toEqual(['echo-cancellation', 'noise-suppression', 'auto-gain']);
    expect(frame[0]).toBe(111);
  });

  it('reports a stage nobody registered as unavailable and refuses to switch it', () => {
    const chain = new FilterChain();
    chain.register(new FakeFilter('noise-suppression', 1), false);
    expect(chain.state('echo-cancellation')).toBe('unavailable');
    expect(chain.setEnabled('echo-cancellation', true)).toBe(false);
    expect(chain.state('echo-cancellation')).toBe('unavailable');
    expect(chain.state('noise-suppression')).toBe('off');
    expect(chain.setEnabled('noise-suppression', true)).toBe(true);
    expect(chain.state('noise-suppression')).toBe('on');
  });

  it('skips a stage that is off, and is inactive when every stage is off', () => {
    const ns = new FakeFilter('noise-suppression', 5, 20);
    const chain = new FilterChain();
    chain.register(ns, false);
    const frame = new Int16Array(480);
    chain.process(frame);
    expect(ns.frames).toBe(0);
    expect(frame[0]).toBe(0);
    expect(chain.active).toBe(false);
    expect(chain.delayMs).toBe(0);
    chain.setEnabled('noise-suppression', true);
    expect(chain.active).toBe(true);
    expect(chain.delayMs).toBe(20);
  });

  it('resets a stage when it is switched back on, not when it stays on', () => {
    const ns = new FakeFilter('noise-suppression', 0);
    const chain = new FilterChain();
    chain.register(ns, true);
    chain.setEnabled('noise-suppression', true);
    expect(ns.resets).toBe(0);
    chain.setEnabled('noise-suppression', false);
    chain.setEnabled('noise-suppression', true);
    expect(ns.resets).toBe(1);
  });

  it('keeps per-stage cost figures per 10 ms of audio when timed, and only counts frames otherwise', () => {
    const timed = new FilterChain({ timed: true });
    timed.register(new FakeFilter('noise-suppression', 0), true);
    const frame = new Int16Array(1920); // 40 ms
    for (let i = 0; i < 5; i++) timed.process(frame);
    const [cost] = timed.costs();
    expect(cost).toMatchObject({ name: 'noise-suppression', enabled: true, frames: 5 });
    expect(cost!.meanMsPer10Ms).toBeGreaterThanOrEqual(0);
    expect(cost!.maxMsPer10Ms!).toBeGreaterThanOrEqual(cost!.meanMsPer10Ms!);

    const counted = new FilterChain();
    counted.register(new FakeFilter('noise-suppression', 0), true);
    counted.process(frame);
    expect(counted.costs()).toEqual([{ name: 'noise-suppression', enabled: true, frames: 1, meanMsPer10Ms: null, maxMsPer10Ms: null }]);
  });

  it('closes a replaced stage and every stage on close', () => {
    const a = new FakeFilter('noise-suppression', 0);
    const b = new FakeFilter('noise-suppression', 0);
    const chain = new FilterChain();
    chain.register(a, true);
    chain.register(b, true);
    expect(a.closed).toBe(true);
    expect(chain.costs()).toHaveLength(1);
    chain.close();
    expect(b.closed).toBe(true);
    // Closed: nothing runs, a late registration is closed at once, the figures stay for the final report.
    chain.process(new Int16Array(480));
    expect(b.frames).toBe(0);
    const late = new FakeFilter('auto-gain', 0);
    chain.register(late, true);
    expect(late.closed).toBe(true);
    expect(chain.costs()).toEqual([expect.objectContaining({ name: 'noise-suppression', frames: 0 })]);
  });
});

describe('FilterSlot', () => {
  it('costs nothing while off: the stage is not called', () => {
    const f = new FakeFilter('noise-suppression', 1);
    const slot = new FilterSlot(f, false);
    expect(slot.run(new Int16Array(480))).toBe(false);
    expect(f.frames).toBe(0);
    expect(slot.figures().frames).toBe(0);
  });
});
