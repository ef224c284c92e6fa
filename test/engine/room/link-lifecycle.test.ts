/**
 * Link generations and rebuilds (room/link-lifecycle.ts): through a Session
 * with the fakes of ./fakes.ts, and directly for the backoff delays.
 */
import { engineLinkFactory } from '../../../src/engine/media/engine-links.js';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { DEFAULT_REBUILD_BACKOFF, DEFAULT_SILENCE_GRACE_MS, LinkLifecycle, type LinkHooks } from '../../../src/engine/room/link-lifecycle.js';
import { createPeerEntry } from '../../../src/engine/room/peer-entry.js';
import { createRandom } from '../../../src/engine/sim/prng.js';
import { FakeLink, inRoomWith, OFFER, setup } from './fakes.js';

describe('LinkLifecycle in a session', () => {
  it('rebuilds a failed link with the next generation after a backoff, ignoring the old generation', async () => {
    const t = await inRoomWith([['p', 'P']]);
    const first = t.linksFor('p')[0]!;
    first.setState('connected');
    expect(t.session.snapshot().peers[0]!.state).toBe('connected');
    first.setState('failed');
    expect(t.session.snapshot().peers[0]!.state).toBe('reconnecting');
    expect(t.linksFor('p')).toHaveLength(1);
    t.clock.advance(250); // first backoff step
    const second = t.linksFor('p')[1]!;
    expect(first.closed).toBe(true);
    expect(second.opts.role).toBe('offerer');
    expect(t.signaling.to('p').at(-1)).toEqual({ t: 'link', gen: 2, signal: OFFER });
    // A late answer from generation 1 must not reach the new link.
    t.signaling.emit('signal', { from: 'p', data: { t: 'link', gen: 1, signal: { type: 'description', descType: 'answer', sdp: 'v=0' } } });
    expect(second.handled).toEqual([]);
    // Late callbacks of the closed link are ignored too.
    first.opts.onState('connected');
    expect(t.session.snapshot().peers[0]!.state).toBe('reconnecting');
    second.setState('failed');
    t.clock.advance(499);
    expect(t.linksFor('p')).toHaveLength(2); // backoff doubled
    t.clock.advance(1);
    expect(t.linksFor('p')).toHaveLength(3);
    t.linksFor('p')[2]!.setState('connected');
    expect(t.session.stats()[0]!.linkGenerations).toBe(3);
    await t.session.leave();
  });

  it('the answering side asks for a rebuild and switches to the offered generation', async () => {
    const t = await setup();
    await t.session.start();
    t.signaling.emit('peer-joined', { id: 'n', name: 'N', rejoined: false });
    t.signaling.emit('signal', { from: 'n', data: { t: 'link', gen: 1, signal: OFFER } });
    const first = t.linksFor('n')[0]!;
    first.setState('connected');
    first.setState('disconnected');
    // Silence alone is given DEFAULT_SILENCE_GRACE_MS to end by itself before the rebuild is asked for.
    t.clock.advance(DEFAULT_SILENCE_GRACE_MS - 1);
    expect(t.signaling.to('n').filter((e) => e.t === 'rebuild')).toHaveLength(0);
    t.clock.advance(1);
    expect(t.signaling.to('n')).toContainEqual({ t: 'rebuild', gen: 1 });
    // Asked once per generation.
    first.setState('failed');
    expect(t.signaling.to('n').filter((e) => e.t === 'rebuild')).toHaveLength(1);
    t.signaling.emit('signal', { from: 'n', data: { t: 'link', gen: 2, signal: OFFER } });
    expect(first.closed).toBe(true);
    expect(t.linksFor('n')[1]!.handled).toEqual([OFFER]);
    await t.session.leave();
  });

  it('a silent link that brings packets again within the grace is kept (an outage of a few seconds), a silent one is rebuilt after it', async () => {
    const t = await inRoomWith([['p', 'P']]);
    const first = t.linksFor('p')[0]!;
    first.setState('connected');
    first.setState('disconnected');
    expect(t.session.snapshot().peers[0]!.state).toBe('reconnecting');
    t.clock.advance(DEFAULT_SILENCE_GRACE_MS - 100);
    first.setState('connected'); // the path came back
    t.clock.advance(60_000);
    expect(t.linksFor('p')).toHaveLength(1);
    expect(t.session.snapshot().peers[0]!.state).toBe('connected');
    // Silent again, and for good: rebuilt after the grace and the first backoff step.
    first.setState('disconnected');
    t.clock.advance(DEFAULT_SILENCE_GRACE_MS + DEFAULT_REBUILD_BACKOFF.initialDelayMs - 1);
    expect(t.linksFor('p')).toHaveLength(1);
    t.clock.advance(1);
    expect(t.linksFor('p')).toHaveLength(2);
    expect(first.closed).toBe(true);
    await t.session.leave();
  });

  it('a failed link is rebuilt without waiting for the silence grace', async () => {
    const t = await inRoomWith([['p', 'P']]);
    const first = t.linksFor('p')[0]!;
    first.setState('connected');
    first.setState('disconnected');
    first.setState('failed');
    t.clock.advance(DEFAULT_REBUILD_BACKOFF.initialDelayMs);
    expect(t.linksFor('p')).toHaveLength(2);
    // The grace timer of the silent first link does nothing later.
    t.linksFor('p')[1]!.setState('connected');
    t.clock.advance(DEFAULT_SILENCE_GRACE_MS * 2);
    expect(t.linksFor('p')).toHaveLength(2);
    await t.session.leave();
  });

  it('the offering side rebuilds at once when asked about its current generation, and only then', async () => {
    const t = await inRoomWith([['p', 'P']]);
    t.signaling.emit('signal', { from: 'p', data: { t: 'rebuild', gen: 7 } }); // not our generation
    t.clock.advance(0);
    expect(t.linksFor('p')).toHaveLength(1);
    t.signaling.emit('signal', { from: 'p', data: { t: 'rebuild', gen: 1 } });
    t.clock.advance(0);
    expect(t.linksFor('p')).toHaveLength(2);
    expect(t.signaling.to('p').at(-1)).toEqual({ t: 'link', gen: 2, signal: OFFER });
    await t.session.leave();
  });

  it('the offerer rebuilds a link that has not connected within the connect timeout', async () => {
    const t = await inRoomWith([['p', 'P']], { linkConnectTimeoutMs: 4000 });
    t.clock.advance(3999);
    expect(t.linksFor('p')).toHaveLength(1);
    t.clock.advance(1 + 250); // timeout, then the first backoff step
    expect(t.linksFor('p')).toHaveLength(2);
    expect(t.linksFor('p')[0]!.closed).toBe(true);
    // A link that connects in time is left alone.
    t.linksFor('p')[1]!.setState('connected');
    t.clock.advance(10_000);
    expect(t.linksFor('p')).toHaveLength(2);
    await t.session.leave();
  });

  it('a link that cannot even be created fails the peer with a hint, without rebuilds', async () => {
    const t = await inRoomWith([['p', 'P']], {
      linkFactory: () => {
        throw new Error('bad TURN url');
      },
    });
    const snap = t.session.snapshot();
    expect(snap.peers[0]!.state).toBe('failed');
    expect(snap.error?.message).toContain('bad TURN url');
    expect(snap.error?.hint).toMatch(/ice\.servers/);
    t.clock.advance(60_000);
    expect(t.session.snapshot().peers[0]!.state).toBe('failed');
    await t.session.leave();
  });
});

describe('LinkLifecycle rebuild delays (core/backoff.ts)', () => {
  function rebuildDelays(jitter: number, random: () => number, failures: number): number[] {
    const clock = new ManualClock(0);
    const links: FakeLink[] = [];
    const entry = createPeerEntry('p', 'P', 'offerer', 0);
    const hooks: LinkHooks = { isCurrent: () => true, send: () => undefined, lost: () => undefined, left: () => undefined, createFailed: () => undefined, changed: () => undefined };
    const lifecycle = new LinkLifecycle({
      engine: { ssrc: 1 },
      factory: engineLinkFactory({ receive: () => undefined }, (opts) => {
        const l = new FakeLink(opts, clock);
        links.push(l);
        return l;
      }),
      settings: {
        iceServers: [],
        cname: 'c',
        keepaliveMs: 1000,
        inactivityTimeoutMs: 3000,
        linkConnectTimeoutMs: 1e9,
        silenceGraceMs: DEFAULT_SILENCE_GRACE_MS,
        rebuildBackoff: { ...DEFAULT_REBUILD_BACKOFF, jitter },
        random,
      },
      clock,
      log: silentLogger,
      linkLogger: silentLogger,
      hooks,
    });
    lifecycle.replaceLink(entry, 1);
    const delays: number[] = [];
    for (let i = 0; i < failures; i++) {
      const before = links.length;
      const failedAt = clock.now();
      links.at(-1)!.setState('failed');
      while (links.length === before) clock.advance(1);
      delays.push(clock.now() - failedAt);
    }
    return delays;
  }

  it('are 250 ms doubling to a 5 s cap, with no jitter by default', () => {
    expect(rebuildDelays(0, Math.random, 8)).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('with jitter, a seeded random makes them shorter but reproducible', () => {
    const a = rebuildDelays(0.5, createRandom(7).next, 6);
    expect(rebuildDelays(0.5, createRandom(7).next, 6)).toEqual(a);
    const base = [250, 500, 1000, 2000, 4000, 5000];
    a.forEach((d, i) => {
      expect(d).toBeLessThanOrEqual(base[i]!);
      expect(d).toBeGreaterThanOrEqual(Math.floor(base[i]! / 2));
    });
  });
});
