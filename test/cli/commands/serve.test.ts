/**
 * `roundtable serve` and its web client flags: usage errors in-process, and
 * one real `serve` process that prints the page URL beside the WebSocket URL
 * and serves the page on the same port.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from '../run-helper.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function webRoot(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rt-serve-web-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>page</title>');
  return dir;
}

describe('roundtable serve, web client options', () => {
  it('--help documents --web-root and --no-web (and --redis, --node-id, --trusted-proxy)', async () => {
    const r = await run(['serve', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--web-root', '--no-web', '--redis', '--node-id', '--trusted-proxy']) expect(r.stdout).toContain(flag);
  });

  it('an explicit --web-root that is not a directory, or with --no-web, is a usage error', async () => {
    const missing = path.join(tmpdir(), 'rt-no-such-web-root');
    const r = await run(['serve', '--web-root', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--web-root ${missing} is not a directory`);
    const file = path.join(webRoot(), 'index.html');
    expect((await run(['serve', '--web-root', file])).code).toBe(2);
    const both = await run(['serve', '--no-web', '--web-root', webRoot()]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--web-root and --no-web contradict');
  });

  it('a real serve prints the page URL beside the WebSocket URL and serves the page there', async () => {
    const tsx = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
    const proc = spawn(process.execPath, ['--import', tsx, path.join(repoRoot, 'src/cli/main.ts'), 'serve', '--port', '0', '--web-root', webRoot()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    try {
      let out = '';
      const listening = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no server-listening line:\n${out}`)), 30_000);
        proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          const line = out.split('\n').find((l) => l.includes('server-listening'));
          if (line !== undefined) (clearTimeout(timer), resolve(line));
        });
      });
      const m = /url=ws:\/\/127\.0\.0\.1:(\d+) web=(http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(listening);
      expect(m, listening).not.toBeNull();
      expect(m![3]).toBe(m![1]);
      const page = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        get(m![2]!, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
      expect(page).toEqual({ status: 200, body: '<!doctype html><title>page</title>' });
    } finally {
      proc.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
