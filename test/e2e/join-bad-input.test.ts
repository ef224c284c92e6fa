/**
 * Bad input ends `roundtable join` with one clear line (+ hint) and the
 * documented exit code, never a bare stack trace:
 *   unreachable server → 1 (message names the URL)
 *   malformed config → 2 (names the file and the field)
 *   unreadable --input WAV → 2 (names the path; checked before connecting)
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCode, runClient, speech, TempDir, writeLoopbackConfig } from './harness.js';

let dir: TempDir;
beforeAll(() => {
  dir = new TempDir();
});
afterAll(() => dir.remove());

/** A port nobody listens on: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function runJoin(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const c = runClient('bad', ['join', newCode(), '--headless', ...args]);
  const e = await c.exited;
  return { code: e.code, stderr: c.stderr(), stdout: c.stdout() };
}

function expectNoStack(text: string): void {
  expect(text).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
}

describe('roundtable join: bad input', () => {
  it('unreachable server: exit 1, the message names the URL', async () => {
    const url = `ws://127.0.0.1:${await closedPort()}`;
    const r = await runJoin(['--server', url, '--config', writeLoopbackConfig(dir), '--output', dir.file('o.wav'), '--input', speech('a')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(url);
    expect(r.stderr).toMatch(/^roundtable: cannot reach signaling server/m);
    expect(r.stderr).toMatch(/^hint: /m);
    expectNoStack(r.stderr);
  });

  it('malformed config: exit 2, the message names the file and the field', async () => {
    const bad = dir.write('bad.yaml', 'audio:\n  frameMs: 25\n');
    const r = await runJoin(['--config', bad, '--server', 'ws://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toContain('audio.frameMs');
    expectNoStack(r.stderr);
  });

  it('unreadable --input WAV: exit 2 before connecting, the message names the path', async () => {
    const notWav = dir.write('noise.wav', 'this is not a RIFF file');
    for (const input of [notWav, dir.file('missing.wav')]) {
      const r = await runJoin(['--config', writeLoopbackConfig(dir), '--server', 'ws://127.0.0.1:1', '--input', input, '--output', dir.file('o.wav')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(input);
      expect(r.stderr).toMatch(/^roundtable: --input: WAV file/m);
      // Nothing was started: no connection attempt was logged.
      expect(r.stdout).not.toContain('signaling');
      expectNoStack(r.stderr);
    }
  });
});
