/**
 * `join` / `create` command lines in-process (runCli with captured output):
 * help, usage errors (exit 2 + hint) and runtime errors (exit 1) that need no
 * peer. Real calls are in test/e2e/.
 */
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run, tempDirs } from '../run-helper.js';

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'speech-a.wav');
const CODE = 'purple-otter-lamp-river-42';

async function closedPortUrl(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return `ws://127.0.0.1:${port}`;
}

describe('roundtable join / create command line', () => {
  it('join --help documents the session options', async () => {
    const r = await run(['join', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--input', '--output', '--duration', '--stats', '--headless', '--server', '--name', '--loop', '--bind-address', '--frame-ms', '--record']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('rejects a malformed code, a bad --duration and a missing code with exit 2 and a hint', async () => {
    const { cwd, home } = tempDirs();
    const bad = await run(['join', 'not-a-code'], { cwd, homeDir: home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid join code/);
    expect(bad.stderr).toMatch(/^hint: /m);
    const duration = await run(['join', CODE, '--duration', '-3'], { cwd, homeDir: home });
    expect(duration.code).toBe(2);
    expect(duration.stderr).toContain('--duration must be a positive number');
    const missing = await run(['join'], { cwd, homeDir: home });
    expect(missing.code).toBe(2);
  });

  it('an unreadable --input is a usage error naming the file; a missing --output directory too', async () => {
    const { cwd, home, root } = tempDirs();
    const input = path.join(root, 'nope.wav');
    const r = await run(['join', CODE, '--input', input, '--output', path.join(root, 'o.wav')], { cwd, homeDir: home });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(input);
    const out = await run(['join', CODE, '--input', FIXTURE, '--output', path.join(root, 'no-such-dir', 'o.wav')], { cwd, homeDir: home });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('no-such-dir');
    const rec = await run(['join', CODE, '--input', FIXTURE, '--record', path.join(root, 'no-such-dir', 'call.wav')], { cwd, homeDir: home });
    expect(rec.code).toBe(2);
    expect(rec.stderr).toContain(`--record: cannot write "${path.join(root, 'no-such-dir', 'call.wav')}": directory ${path.join(root, 'no-such-dir')} does not exist or is not writable`);
  });

  it('an unreachable server is a runtime error (exit 1) naming the URL; create prints its code first, then the browser link', async () => {
    const { cwd, home, root } = tempDirs();
    const url = await closedPortUrl();
    const common = ['--server', url, '--input', FIXTURE, '--output', path.join(root, 'o.wav'), '--headless', '--log-level', 'silent'];
    const r = await run(['join', CODE, ...common], { cwd, homeDir: home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(url);
    expect(r.stderr).toMatch(/^hint: .*--server/m);
    const page = url.replace(/^ws:/, 'http:');
    expect(r.stdout.split('\n')[0]).toBe(`Invite a browser: ${page}/#${CODE}`);
    const c = await run(['create', ...common], { cwd, homeDir: home });
    expect(c.code).toBe(1);
    const [code, invite] = c.stdout.split('\n');
    expect(code).toMatch(/^[a-z]+-[a-z]+-[a-z]+-[a-z]+-\d{1,3}$/);
    expect(invite).toBe(`Invite a browser: ${page}/#${code}`);
  });
});
