/**
 * `roundtable serve --redis URL --node-id ID` (docs/architecture.md §5,
 * "Several nodes"): usage errors before anything starts (and for
 * --trusted-proxy), a Redis that cannot be reached as a runtime error with a
 * hint, and the config file's `serve` section used when the flags are absent.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/redis.js';
import { run, tempDirs } from '../run-helper.js';

describe('roundtable serve --redis', () => {
  it('a URL that is not redis:// and a node id with spaces are usage errors', async () => {
    const bad = await run(['serve', '--redis', 'http://127.0.0.1:6379']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--redis: http://127.0.0.1:6379 is not a redis:// or rediss:// URL');
    const id = await run(['serve', '--redis', 'redis://127.0.0.1:6379', '--node-id', 'node a']);
    expect(id.code).toBe(2);
    expect(id.stderr).toContain(`--node-id must be 1-64 letters, digits, '.', '_' or '-', got "node a"`);
    const proxy = await run(['serve', '--trusted-proxy', 'proxy.example']);
    expect(proxy.code).toBe(2);
    expect(proxy.stderr).toContain('--trusted-proxy takes an IP address, got "proxy.example"');
  });

  it('--janus with --redis is no longer refused: such a node goes on to reach its Redis (rooms keep their mode there)', async () => {
    const port = await freePort();
    const r = await run(['serve', '--port', '0', '--no-web', '--redis', `redis://127.0.0.1:${port}`, '--janus', 'ws://127.0.0.1:8188']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('do not work across several nodes');
    expect(r.stderr).toContain(`cannot reach Redis at redis://127.0.0.1:${port}`);
  });

  it('a Redis nobody answers at fails the start (exit 1) saying where and what to do, the password never shown', async () => {
    const port = await freePort();
    const r = await run(['serve', '--port', '0', '--no-web', '--redis', `redis://user:s3cret@127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach Redis at redis://user:***@127.0.0.1:${port}`);
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(r.stderr).toContain('hint: start Redis at');
    expect(r.stderr).not.toContain('s3cret');
  });

  it('takes serve.redis from the config file when --redis is absent', async () => {
    const { cwd, home } = tempDirs();
    const port = await freePort();
    writeFileSync(path.join(cwd, '.roundtablerc.yaml'), `serve:\n  redis: redis://127.0.0.1:${port}\n  nodeId: from-file\n`);
    const r = await run(['serve', '--port', '0', '--no-web'], { cwd, homeDir: home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach Redis at redis://127.0.0.1:${port}`);
  });
});
