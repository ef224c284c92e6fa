/**
 * A node's Redis script calls (src/server/script-queue.ts): a turn's calls
 * leave in one write in the order they were made, signals relayed in a row
 * become one relay call whose answer reaches each signal, and a bad or failed
 * answer fails every signal of its batch. The deferral is the test's: it
 * flushes by hand, so nothing here depends on the event loop's timing.
 */
import { describe, expect, it } from 'vitest';
import { MAX_RELAYS_PER_BATCH } from '../../src/server/cluster-messages.js';
import { MAX_RELAY_BATCH_CHARS, ScriptQueue, type QueuedCall } from '../../src/server/script-queue.js';

type Script = 'join' | 'leave' | 'relay';

function setup() {
  const writes: QueuedCall<Script>[][] = [];
  let deferred: (() => void) | undefined;
  let defers = 0;
  const queue = new ScriptQueue<Script>({
    send: (calls) => void writes.push(calls),
    defer: (flush) => {
      defers++;
      deferred = flush;
    },
    relayScript: 'relay',
    relayHead: ['rt:', 'inst-1'],
    badRelayReply: (detail) => new Error(`bad relay reply: ${detail}`),
  });
  /** The end of the turn: the deferred flush runs. */
  const endTurn = (): void => {
    const f = deferred;
    deferred = undefined;
    f?.();
  };
  return { queue, writes, endTurn, defers: () => defers };
}

type State<T> = { value?: T; error?: string; pending?: true };

/** Follow a promise from the moment it is made (so a rejection is never unhandled); read it with settled(). */
function track<T>(p: Promise<T>): { readonly now: State<T> } {
  const t: { now: State<T> } = { now: { pending: true } };
  p.then(
    (value) => void (t.now = { value }),
    (e: Error) => void (t.now = { error: e.message }),
  );
  return t;
}

/** What each tracked promise came to, once the microtasks the settles queued have run. */
async function settled<T>(t: { readonly now: State<T> }): Promise<State<T>> {
  await new Promise((r) => setImmediate(r));
  return t.now;
}

describe('ScriptQueue', () => {
  it('sends a turn\'s calls in one write, in the order made; the next turn is a write of its own', async () => {
    const { queue, writes, endTurn, defers } = setup();
    const join = track(queue.call('join', ['rt:', 'room-1']));
    const s1 = track(queue.relay('room-1', 'peer-a', 7, 'peer-b', 'AAAA'));
    const s2 = track(queue.relay('room-1', 'peer-a', 7, 'peer-c', 'BBBB'));
    const leave = track(queue.call('leave', ['rt:', 'room-1']));
    const s3 = track(queue.relay('room-2', 'peer-d', 9, 'peer-e', 'CCCC'));
    expect(writes).toHaveLength(0);
    expect(defers()).toBe(1);
    endTurn();
    expect(writes).toHaveLength(1);
    // The two signals before the leave are one relay call, the one after it another: nothing overtakes.
    expect(writes[0]!.map((c) => [c.script, c.argv])).toEqual([
      ['join', ['rt:', 'room-1']],
      ['relay', ['rt:', 'inst-1', 'room-1', 'peer-a', 7, 'peer-b', 'AAAA', 'room-1', 'peer-a', 7, 'peer-c', 'BBBB']],
      ['leave', ['rt:', 'room-1']],
      ['relay', ['rt:', 'inst-1', 'room-2', 'peer-d', 9, 'peer-e', 'CCCC']],
    ]);
    const [j, r1, l, r2] = writes[0]!;
    j!.settle(undefined, ['joined']);
    r1!.settle(undefined, '10');
    l!.settle(undefined, [1, 0]);
    r2!.settle(undefined, '1');
    expect(await settled(join)).toEqual({ value: ['joined'] });
    expect(await settled(s1)).toEqual({ value: true });
    expect(await settled(s2)).toEqual({ value: false });
    expect(await settled(leave)).toEqual({ value: [1, 0] });
    expect(await settled(s3)).toEqual({ value: true });

    // A later turn: deferred again, written apart.
    void queue.relay('room-1', 'peer-a', 7, 'peer-b', 'DDDD');
    expect(defers()).toBe(2);
    endTurn();
    expect(writes).toHaveLength(2);
    expect(writes[1]!.map((c) => c.script)).toEqual(['relay']);
  });

  it('splits a long run of signals at the batch\'s size and its payload limit', () => {
    const { queue, writes, endTurn } = setup();
    for (let i = 0; i < MAX_RELAYS_PER_BATCH + 3; i++) void queue.relay('room-1', 'peer-a', 7, 'peer-b', 'AA');
    // Two payloads that do not fit one batch together.
    const big = 'B'.repeat(MAX_RELAY_BATCH_CHARS - 10);
    void queue.relay('room-1', 'peer-a', 7, 'peer-b', big);
    void queue.relay('room-1', 'peer-a', 7, 'peer-b', big);
    endTurn();
    const counts = writes[0]!.map((c) => (c.argv.length - 2) / 5);
    expect(counts).toEqual([MAX_RELAYS_PER_BATCH, 4, 1]);
    // One payload larger than the limit still goes (alone): the protocol's own limit is far below it.
    const huge = 'C'.repeat(MAX_RELAY_BATCH_CHARS + 1);
    void queue.relay('room-1', 'peer-a', 7, 'peer-b', huge);
    endTurn();
    expect(writes[1]!.map((c) => (c.argv.length - 2) / 5)).toEqual([1]);
  });

  it('fails every signal of a batch whose answer is not one answer per signal, or that failed', async () => {
    const { queue, writes, endTurn } = setup();
    const a = [track(queue.relay('r', 'p', 1, 'q', 'AA')), track(queue.relay('r', 'p', 1, 'q', 'BB'))];
    endTurn();
    writes[0]![0]!.settle(undefined, '1'); // one answer for two signals
    for (const p of a) expect(await settled(p)).toEqual({ error: 'bad relay reply: 1 answers for 2 signals' });

    const b = [track(queue.relay('r', 'p', 1, 'q', 'AA')), track(queue.relay('r', 'p', 1, 'q', 'BB'))];
    endTurn();
    writes[1]![0]!.settle(undefined, '1x');
    for (const p of b) expect((await settled(p)).error).toMatch(/^bad relay reply: invalid/u);

    const c = [track(queue.relay('r', 'p', 1, 'q', 'AA')), track(queue.call('join', ['rt:']))];
    endTurn();
    for (const call of writes[2]!) call.settle(new Error('Connection is closed.'));
    for (const p of c) expect(await settled(p)).toEqual({ error: 'Connection is closed.' });
  });

  it('a flush by hand sends what is queued at once, and a flush with nothing queued sends nothing', async () => {
    const { queue, writes, endTurn } = setup();
    const p = track(queue.call('leave', ['rt:']));
    queue.flush();
    expect(writes).toHaveLength(1);
    expect(await settled(p)).toEqual({ pending: true });
    endTurn(); // the deferral that was pending finds nothing
    queue.flush();
    expect(writes).toHaveLength(1);
  });
});
