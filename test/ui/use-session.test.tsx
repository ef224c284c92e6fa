import { Text } from 'ink';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { SessionController } from '../../src/engine/api.js';
import { useSessionSnapshot } from '../../src/ui/use-session.js';
import { FakeController, makeSelf, makeSnapshot } from './fake-controller.js';

const settle = async (): Promise<void> => {
  // setImmediate first: Ink flushes a lone ESC and React runs effects on the
  // check phase; a timer alone can fire before them on a loaded machine.
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setTimeout(resolve, 5));
  await new Promise<void>((resolve) => setImmediate(resolve));
};

/** Counts its own renders and prints the mic level it was given. */
function Probe({ controller, clock, renders }: { controller: SessionController; clock: ManualClock; renders: { n: number } }) {
  const snapshot = useSessionSnapshot(controller, { clock, intervalMs: 80 });
  renders.n++;
  return <Text>mic={snapshot.self.micLevel.toFixed(3)}</Text>;
}

afterEach(() => cleanup());

describe('useSessionSnapshot', () => {
  it('renders the current snapshot first, then at most one update per 80 ms with the newest state', async () => {
    const clock = new ManualClock(0);
    const c = new FakeController(makeSnapshot({ self: makeSelf({ micLevel: 0.5 }) }));
    const renders = { n: 0 };
    const r = render(<Probe controller={c} clock={clock} renders={renders} />);
    await settle();
    expect(r.lastFrame()).toBe('mic=0.500');
    const base = renders.n;

    // 500 engine updates, one per ms (a fast engine): 500 ms of time.
    for (let i = 1; i <= 500; i++) {
      c.setSelf({ micLevel: i / 1000 });
      clock.advance(1);
      // Give React its turn (it schedules renders on a macrotask), as the event loop would.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    clock.advance(100); // let the trailing update fire
    await settle();
    const updates = renders.n - base;
    // Leading at t = 0, then every 80 ms up to 480, then the trailing one: ≤ 8 renders for 500 updates.
    expect(updates).toBeGreaterThanOrEqual(6);
    expect(updates).toBeLessThanOrEqual(8);
    expect(r.lastFrame()).toBe('mic=0.500'); // the final value (500/1000) shows
    expect(clock.pendingTimers).toBe(0);
  });

  it('picks up a change that happened between first render and subscribe', async () => {
    const clock = new ManualClock(0);
    const c = new FakeController(makeSnapshot({ self: makeSelf({ micLevel: 0.1 }) }));
    const renders = { n: 0 };
    // Change the snapshot silently (no notification) right after the first snapshot() call.
    const original = c.snapshot.bind(c);
    let calls = 0;
    c.snapshot = () => {
      calls++;
      return calls === 1 ? original() : { ...original(), self: makeSelf({ micLevel: 0.9 }) };
    };
    const r = render(<Probe controller={c} clock={clock} renders={renders} />);
    await settle();
    expect(r.lastFrame()).toBe('mic=0.900');
  });

  it('unsubscribes on unmount', async () => {
    const c = new FakeController();
    const r = render(<Probe controller={c} clock={new ManualClock()} renders={{ n: 0 }} />);
    await settle();
    expect(c.listenerCount).toBe(1);
    r.unmount();
    expect(c.listenerCount).toBe(0);
  });
});
