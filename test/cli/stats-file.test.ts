/** The --stats writer shared by join, create and demo (src/cli/stats-file.ts). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeError } from '../../src/core/errors.js';
import { processFigures, writeStatsFile } from '../../src/cli/stats-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rt-stats-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('stats file', () => {
  it('writes the report as indented JSON ending in a newline', async () => {
    const file = path.join(dir, 's.json');
    await writeStatsFile(file, { version: 1, peers: [{ id: 'a' }] });
    expect(readFileSync(file, 'utf8')).toBe('{\n  "version": 1,\n  "peers": [\n    {\n      "id": "a"\n    }\n  ]\n}\n');
  });

  it('a file it cannot write is a runtime error naming the file', async () => {
    const file = path.join(dir, 'missing', 's.json');
    const err = await writeStatsFile(file, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toContain(`cannot write --stats file "${file}"`);
  });

  it('process figures: CPU ms, peak RSS bytes and uptime ms, in that order', () => {
    const f = processFigures();
    expect(Object.keys(f)).toEqual(['cpuUserMs', 'cpuSystemMs', 'maxRssBytes', 'uptimeMs']);
    for (const v of Object.values(f)) expect(Number.isInteger(v) && v >= 0).toBe(true);
    expect(f.maxRssBytes).toBeGreaterThan(1024 * 1024);
  });
});
