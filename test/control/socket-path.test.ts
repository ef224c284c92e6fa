import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkSocketPathLength,
  controlDir,
  ensurePrivateDir,
  findControlSocket,
  liveSessions,
  probeSocket,
  socketPathFor,
} from '../../src/control/socket-path.js';

let base: string;
const servers: Server[] = [];
const uid = process.getuid?.() ?? 0;

/** A listening Unix socket at `p`; `stale` closes it without unlinking (as a SIGKILLed process leaves it). */
async function listenAt(p: string): Promise<Server> {
  const server = createServer((c) => c.end());
  await new Promise<void>((resolve) => server.listen(p, resolve));
  servers.push(server);
  return server;
}

/** A socket file nobody listens on, as a crashed session leaves it: a process listens there and is SIGKILLed. */
async function staleAt(p: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => console.log('ready'))", p], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
  expect(statSync(p).isSocket()).toBe(true);
}

beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'rt-ctl-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  rmSync(base, { recursive: true, force: true });
});

describe('controlDir', () => {
  it('uses $XDG_RUNTIME_DIR/roundtable when it is an absolute path, else <tmpdir>/roundtable-<uid>', () => {
    expect(controlDir({ env: { XDG_RUNTIME_DIR: '/run/user/1000' }, uid: 1000, tmpdir: '/tmp' })).toBe('/run/user/1000/roundtable');
    expect(controlDir({ env: {}, uid: 1000, tmpdir: '/tmp' })).toBe('/tmp/roundtable-1000');
    expect(controlDir({ env: { XDG_RUNTIME_DIR: 'relative/dir' }, uid: 7, tmpdir: '/var/tmp' })).toBe('/var/tmp/roundtable-7');
    expect(socketPathFor('/tmp/roundtable-7', 4242)).toBe('/tmp/roundtable-7/4242.sock');
  });

  it('refuses a socket path longer than a Unix socket address holds', () => {
    expect(() => checkSocketPathLength(`/tmp/${'x'.repeat(120)}.sock`)).toThrow(/too long for a Unix socket/);
    expect(() => checkSocketPathLength('/tmp/roundtable-0/1.sock')).not.toThrow();
  });
});

describe('ensurePrivateDir', () => {
  it('creates the directory 0700, and tightens one of ours that is open to others', () => {
    const dir = path.join(base, 'sub', 'roundtable');
    ensurePrivateDir(dir, uid);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    chmodSync(dir, 0o755);
    ensurePrivateDir(dir, uid);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('refuses a directory owned by someone else, and a file in its place', () => {
    const dir = path.join(base, 'theirs');
    mkdirSync(dir, { mode: 0o700 });
    expect(() => ensurePrivateDir(dir, uid + 1)).toThrow(/belongs to another user/);
    const file = path.join(base, 'file');
    writeFileSync(file, '');
    expect(() => ensurePrivateDir(file, uid)).toThrow(/is not a directory/);
  });
});

describe('finding a session', () => {
  it('no socket: says no session is running and how to start one', async () => {
    await expect(findControlSocket({ dir: path.join(base, 'none') })).rejects.toThrow(
      'no roundtable session is running; start one with `roundtable join CODE`',
    );
  });

  it('one live session is found; a stale socket file is detected and removed; other files are left alone', async () => {
    await listenAt(path.join(base, '100.sock'));
    await staleAt(path.join(base, '200.sock'));
    writeFileSync(path.join(base, 'notes.txt'), 'x');
    expect(await probeSocket(path.join(base, '200.sock'))).toBe('stale');
    expect(await findControlSocket({ dir: base })).toBe(path.join(base, '100.sock'));
    expect(() => statSync(path.join(base, '200.sock'))).toThrow(/ENOENT/);
    expect(statSync(path.join(base, 'notes.txt')).isFile()).toBe(true);
  });

  it('several sessions: lists the pids and asks for --pid; --pid picks one, an unknown pid says which run', async () => {
    await listenAt(path.join(base, '300.sock'));
    await listenAt(path.join(base, '301.sock'));
    await expect(findControlSocket({ dir: base })).rejects.toThrow('several roundtable sessions are running (pids 300, 301): choose with --pid');
    expect(await findControlSocket({ dir: base, pid: 301 })).toBe(path.join(base, '301.sock'));
    await expect(findControlSocket({ dir: base, pid: 999 })).rejects.toThrow(/no roundtable session with pid 999 .*running: 300, 301/);
    expect((await liveSessions(base)).map((s) => s.pid)).toEqual([300, 301]);
  });

  it('--control PATH: used when live; a stale one is removed and reported; a missing one is reported', async () => {
    const live = path.join(base, 'mine.sock');
    await listenAt(live);
    expect(await findControlSocket({ dir: base, path: live })).toBe(live);
    const stale = path.join(base, 'old.sock');
    await staleAt(stale);
    await expect(findControlSocket({ dir: base, path: stale })).rejects.toThrow(/stale socket file/);
    expect(() => statSync(stale)).toThrow(/ENOENT/);
    await expect(findControlSocket({ dir: base, path: path.join(base, 'nothing.sock') })).rejects.toThrow(/no control socket at/);
  });
});
