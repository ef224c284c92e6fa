import { describe, expect, it } from 'vitest';
import type { SessionSnapshot } from '../../../src/engine/api.js';
import { createLogger, type LogFields, type Logger } from '../../../src/core/log.js';
import { logSpeakingChanges } from '../../../src/cli/demo/speaking-log.js';
import { FakeController, makePeer, makeSnapshot } from '../../ui/fake-controller.js';

function recordingLogger(): { logger: Logger; lines: Array<[string, LogFields | undefined]> } {
  const lines: Array<[string, LogFields | undefined]> = [];
  const base = createLogger({ level: 'silent' });
  const logger: Logger = { ...base, info: (event, fields) => lines.push([event, fields]) };
  return { logger, lines };
}

describe('logSpeakingChanges', () => {
  it('logs one line per start/stop of speaking, none while nothing changes, and stops on unsubscribe', () => {
    const c = new FakeController(makeSnapshot({ peers: [makePeer('a', { name: 'bot-ada' }), makePeer('g', { name: 'bot-grace' })] }));
    const { logger, lines } = recordingLogger();
    const stop = logSpeakingChanges(c, logger);
    const set = (s: Partial<SessionSnapshot>): void => {
      c.set(s);
    };
    set({ peers: [makePeer('a', { name: 'bot-ada', speaking: true }), makePeer('g', { name: 'bot-grace' })] });
    set({ peers: [makePeer('a', { name: 'bot-ada', speaking: true, level: 0.4 }), makePeer('g', { name: 'bot-grace' })] });
    set({ peers: [makePeer('a', { name: 'bot-ada' }), makePeer('g', { name: 'bot-grace', speaking: true })] });
    expect(lines).toEqual([
      ['peer-speaking', { peer: 'a', name: 'bot-ada' }],
      ['peer-quiet', { peer: 'a', name: 'bot-ada' }],
      ['peer-speaking', { peer: 'g', name: 'bot-grace' }],
    ]);
    stop();
    expect(c.listenerCount).toBe(0);
    set({ peers: [] });
    expect(lines).toHaveLength(3);
  });

  it('forgets a peer that left, so its return starts fresh', () => {
    const c = new FakeController(makeSnapshot({ peers: [makePeer('a', { name: 'bot-ada', speaking: true })] }));
    const { logger, lines } = recordingLogger();
    logSpeakingChanges(c, logger);
    c.set({ peers: [makePeer('a', { name: 'bot-ada', speaking: true })] });
    c.set({ peers: [] });
    c.set({ peers: [makePeer('a', { name: 'bot-ada', speaking: true })] });
    expect(lines.map(([e]) => e)).toEqual(['peer-speaking', 'peer-speaking']);
  });
});
