import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, formatTextLine } from '../../src/core/log.js';

describe('log', () => {
  it('formats text lines as event then key=value fields', () => {
    const line = formatTextLine('info', 'peer-joined', { peer: 'ab12', name: 'bob smith', n: 3, gone: undefined }, new Date('2026-01-01T12:00:01.234Z'));
    expect(line).toBe('12:00:01.234 info  peer-joined peer=ab12 name="bob smith" n=3\n');
  });

  it('writes JSON lines to a file, respects the level, and child fields', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rt-log-')), 'x.log');
    const log = createLogger({ json: true, level: 'info', destination: path });
    log.debug('hidden');
    log.child({ component: 'server' }).warn('limit', { reason: 'rate' });
    await log.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', event: 'limit', component: 'server', reason: 'rate' });
    expect(typeof lines[0].time).toBe('string');
  });
});
