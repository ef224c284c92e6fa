import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCliLogger } from '../../src/cli/logging.js';

describe('createCliLogger', () => {
  it('writes to the config log file, creating its directory, at the config level', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'rt-log-'));
    try {
      const logFile = path.join(root, 'state', 'roundtable', 'roundtable.log');
      const logger = createCliLogger({ logLevel: 'warn', logFile }, { toFile: true, json: true });
      logger.info('hidden');
      logger.warn('shown', { peer: 'ab' });
      await logger.close();
      const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 'warn', event: 'shown', peer: 'ab' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a log file that cannot be created is a runtime error with a hint', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'rt-log-'));
    try {
      // A regular file where a directory is needed: mkdir fails with ENOTDIR.
      const blocker = path.join(root, 'not-a-dir');
      writeFileSync(blocker, '');
      expect(() => createCliLogger({ logLevel: 'info', logFile: path.join(blocker, 'logs', 'x.log') }, { toFile: true })).toThrow(
        expect.objectContaining({ exitCode: 1, message: expect.stringMatching(/^cannot create the log directory/), hint: expect.stringContaining('--log-file') }),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
