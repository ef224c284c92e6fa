/**
 * `roundtable create | head -1`: the reader of stdout goes away after the
 * first line. Before, the next log line crashed the CLI on EPIPE mid-start,
 * and its media process, still loading, missed the closed channel and lived
 * on. Now the CLI carries on to its ordinary outcome (here: the server is
 * unreachable, exit 1 with the usual message) and leaves no process behind.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, sleep, speech, TempDir } from './harness.js';

/** Live processes whose environment carries `marker` (children inherit it, orphans included). */
function processesMarked(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) found.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

const dir = new TempDir();
afterAll(() => dir.remove());

describe('roundtable create with its output closed early', () => {
  it('does not crash on EPIPE, ends with its own exit code, and leaves no media process behind', async () => {
    const marker = `RT_TEST_MARK=${randomUUID()}`;
    const [key, value] = marker.split('=') as [string, string];
    const proc = spawn(process.execPath, [BIN, 'create', '--server', 'ws://127.0.0.1:1', '--headless', '--input', speech('a'), '--output', dir.file('out.wav'), '--duration', '2'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', [key]: value },
    });
    let stderr = '';
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    // Like `head -1`: read the first chunk (the code), then close our end.
    proc.stdout.once('data', () => proc.stdout.destroy());
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    expect(stderr).not.toMatch(/EPIPE|Unhandled 'error' event/);
    expect(stderr).toMatch(/cannot reach signaling server/);
    expect(exit).toEqual({ code: 1, signal: null });
    await sleep(1000);
    const left = processesMarked(marker);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    expect(left).toEqual([]);
  });
});
