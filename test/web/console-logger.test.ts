import { describe, expect, it } from 'vitest';
import type { LogLevel } from '../../src/core/logger.js';
import { consoleLogger } from '../../src/web/console-logger.js';

type Line = { method: 'debug' | 'info' | 'warn' | 'error'; message: string; fields: unknown };

// A console stand-in that records each call instead of printing it.
function recordingSink(): { lines: Line[]; sink: Pick<Console, 'debug' | 'info' | 'warn' | 'error'> } {
  const lines: Line[] = [];
  const at = (method: Line['method']) => (message: string, fields: unknown) => void lines.push({ method, message, fields });
  return { lines, sink: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

function logAll(level: LogLevel): string[] {
  const { lines, sink } = recordingSink();
  const log = consoleLogger(level, {}, sink);
  log.debug('d');
  log.info('i');
  log.warn('w');
  log.error('e');
  return lines.map((l) => l.method);
}

describe('consoleLogger', () => {
  it('drops lines below its level', () => {
    expect(logAll('debug')).toEqual(['debug', 'info', 'warn', 'error']);
    expect(logAll('info')).toEqual(['info', 'warn', 'error']);
    expect(logAll('warn')).toEqual(['warn', 'error']);
    expect(logAll('error')).toEqual(['error']);
    expect(logAll('silent')).toEqual([]);
  });

  it('writes each line to the console method of its own level, prefixed', () => {
    const { lines, sink } = recordingSink();
    consoleLogger('debug', {}, sink).warn('bad-signal', { reason: 'x' });
    expect(lines).toEqual([{ method: 'warn', message: 'roundtable bad-signal', fields: { reason: 'x' } }]);
  });

  it('merges base, child and per-line fields, the more specific winning', () => {
    const { lines, sink } = recordingSink();
    const root = consoleLogger('info', { app: 'web', component: 'root' }, sink);
    const child = root.child({ component: 'browser-link', peer: 'p1' });
    child.info('link-state', { state: 'connected', peer: 'p2' });
    root.info('plain');
    expect(lines).toEqual([
      { method: 'info', message: 'roundtable link-state', fields: { app: 'web', component: 'browser-link', peer: 'p2', state: 'connected' } },
      // The child's fields do not leak back into the parent.
      { method: 'info', message: 'roundtable plain', fields: { app: 'web', component: 'root' } },
    ]);
  });

  it('children keep the parent level and sink', () => {
    const { lines, sink } = recordingSink();
    const child = consoleLogger('warn', {}, sink).child({ c: 1 }).child({ d: 2 });
    child.info('dropped');
    child.error('kept');
    expect(lines).toEqual([{ method: 'error', message: 'roundtable kept', fields: { c: 1, d: 2 } }]);
  });

  it('does not share one fields object between lines', () => {
    const { lines, sink } = recordingSink();
    const base = { a: 1 };
    const log = consoleLogger('debug', base, sink);
    log.info('one', { b: 2 });
    log.info('two');
    expect(lines[1]!.fields).toEqual({ a: 1 });
    expect(base).toEqual({ a: 1 });
  });

  it('close resolves (nothing to flush on the console)', async () => {
    await expect(consoleLogger('debug', {}, recordingSink().sink).close()).resolves.toBeUndefined();
  });
});
