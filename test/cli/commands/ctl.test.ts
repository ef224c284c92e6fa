/**
 * `roundtable ctl` in-process against a control server over a real socket
 * (a fake session behind it): what it prints, its exit codes, and how it
 * finds the session by XDG_RUNTIME_DIR and --pid.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startControlServer, type ControlServer } from '../../../src/control/server.js';
import { FakeController, makePeer, makeSnapshot } from '../../ui/fake-controller.js';
import { run, tempDirs } from '../run-helper.js';

let root: string;
let runtime: string;
const servers: ControlServer[] = [];

async function session(pid: number, controller = new FakeController(makeSnapshot({ peers: [makePeer('Xa7bQ9zz00000000000001', { name: 'ada' })] }))) {
  const dir = path.join(runtime, 'roundtable');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  servers.push(await startControlServer({ path: path.join(dir, `${pid}.sock`), controller, pid }));
  return controller;
}

const ctl = (...args: string[]) => run(['ctl', ...args], { env: { XDG_RUNTIME_DIR: runtime } });

beforeEach(() => {
  root = tempDirs().root;
  runtime = path.join(root, 'run');
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  rmSync(root, { recursive: true, force: true });
});

describe('roundtable ctl', () => {
  it('prints what each command did in a word, and the status as JSON', async () => {
    const c = await session(101);
    expect(await ctl('mute')).toEqual({ code: 0, stdout: 'muted\n', stderr: '' });
    expect(await ctl('toggle-mute')).toMatchObject({ code: 0, stdout: 'unmuted\n' });
    expect(await ctl('volume', 'Ada', '55%')).toMatchObject({ code: 0, stdout: 'ada: volume 55%\n' });
    expect(await ctl('ptt', 'on')).toMatchObject({ code: 0, stdout: 'push-to-talk on\n' });
    expect(await ctl('ptt', 'press')).toMatchObject({ code: 0, stdout: 'talking\n' });
    expect(await ctl('lock')).toMatchObject({ code: 0, stdout: 'room locked\n' });
    const status = await ctl('status');
    expect(JSON.parse(status.stdout)).toMatchObject({ pid: 101, locked: true, self: { muted: false, pushToTalk: true, talking: true }, peers: [{ name: 'ada', volumePercent: 55 }] });
    // --json: the status after any command, on one line.
    const json = await ctl('deafen', '--json');
    expect(json.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ self: { deafened: true } });
    expect(c.actions.map((a) => a.type)).toEqual(['toggle-mute', 'toggle-mute', 'set-peer-volume', 'set-push-to-talk', 'talk', 'set-lock', 'toggle-deafen']);
  });

  it('record start FILE sends the file as ctl sees it (absolute); stop says where it was saved; stop takes no file', async () => {
    const c = await session(103);
    const started = await run(['ctl', 'record', 'start', 'talk.wav'], { env: { XDG_RUNTIME_DIR: runtime }, cwd: '/srv/calls' });
    expect(started).toMatchObject({ code: 0, stdout: 'recording to /srv/calls/talk.wav\n' });
    expect(await ctl('record', 'stop')).toMatchObject({ code: 0, stdout: 'recording saved: /srv/calls/talk.wav (0 s)\n' });
    expect(await ctl('record', 'stop', 'x.wav')).toMatchObject({ code: 2, stderr: expect.stringContaining('record stop takes no file') });
    expect(await ctl('record', 'start', '/missing/x.wav')).toMatchObject({ code: 1, stderr: expect.stringContaining('its directory does not exist') });
    expect(c.actions.slice(0, 2)).toEqual([
      { type: 'set-recording', recording: true, path: '/srv/calls/talk.wav' },
      { type: 'set-recording', recording: false },
    ]);
  });

  it('errors: exit 1 with the reason and a hint; a bad volume is a usage error (exit 2) that reaches no session', async () => {
    const c = await session(102);
    expect(await ctl('volume', 'zed', '50')).toEqual({ code: 1, stdout: '', stderr: 'roundtable: no peer "zed" in the room; peers: ada (Xa7bQ9zz00000000000001)\n' });
    expect(await ctl('ptt', 'press')).toMatchObject({ code: 1, stderr: expect.stringContaining('hint: turn it on with `roundtable ctl ptt on`') });
    expect(await ctl('volume', 'ada', 'loud')).toMatchObject({ code: 2, stderr: expect.stringContaining('volume must be a percentage from 0 to 200, got "loud"') });
    expect(await ctl('ptt', 'hold')).toMatchObject({ code: 2 });
    expect(c.actions).toEqual([]);
  });

  it('finds the one session; with several it lists them and --pid chooses; none says how to start one', async () => {
    expect(await ctl('status')).toMatchObject({ code: 1, stderr: expect.stringContaining('no roundtable session is running; start one with `roundtable join CODE`') });
    await session(201);
    await session(202);
    expect(await ctl('mute')).toMatchObject({ code: 1, stderr: 'roundtable: several roundtable sessions are running (pids 201, 202): choose with --pid\n' });
    expect(await ctl('status', '--json', '--pid', '202')).toMatchObject({ code: 0, stdout: expect.stringContaining('"pid":202') });
    expect(await ctl('status', '--pid', '203')).toMatchObject({ code: 1, stderr: expect.stringContaining('no roundtable session with pid 203') });
    const sock = path.join(runtime, 'roundtable', '201.sock');
    expect(await ctl('status', '--json', '--control', sock)).toMatchObject({ code: 0, stdout: expect.stringContaining('"pid":201') });
  });
});
