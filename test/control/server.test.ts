/**
 * The control server and client over a real Unix socket, with a fake
 * SessionController (test/ui/fake-controller.ts: it applies each action to
 * its snapshot as the session would).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestControl } from '../../src/control/client.js';
import type { ControlRequestBody, ControlResponse } from '../../src/control/protocol.js';
import { resolvePeer, startControlServer, type ControlServer } from '../../src/control/server.js';
import type { SessionAction } from '../../src/engine/api.js';
import { FakeController, makePeer, makeSnapshot } from '../ui/fake-controller.js';

let dir: string;
let sock: string;
const servers: ControlServer[] = [];

function twoPeers(): FakeController {
  return new FakeController(
    makeSnapshot({
      peers: [makePeer('Xa7bQ9zz00000000000001', { name: 'ada' }), makePeer('Yb8cR0yy00000000000002', { name: 'bob' })],
    }),
  );
}

async function start(controller: FakeController, confirmTimeoutMs?: number): Promise<ControlServer> {
  const timeouts = confirmTimeoutMs !== undefined ? { confirmTimeoutMs, recordTimeoutMs: confirmTimeoutMs } : {};
  const s = await startControlServer({ path: sock, controller, pid: 4242, ...timeouts });
  servers.push(s);
  return s;
}

async function ask(request: ControlRequestBody): Promise<ControlResponse> {
  return (await requestControl(sock, request)).response;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rt-ctl-srv-'));
  sock = path.join(dir, 'test.sock');
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('control server', () => {
  it('listens on an owner-only socket and answers status with the session as the snapshot has it', async () => {
    const c = twoPeers();
    c.setPeer('Xa7bQ9zz00000000000001', { level: 0.4567, volumePercent: 80, speaking: true });
    await start(c);
    expect(statSync(sock).isSocket()).toBe(true);
    expect(statSync(sock).mode & 0o777).toBe(0o600);
    const r = await ask({ cmd: 'status' });
    expect(r).toMatchObject({ ok: true, status: { pid: 4242, room: 'purple-otter-lamp-42', phase: 'in-call', locked: false, self: { name: 'carol', muted: false } } });
    if (!r.ok) throw new Error('status refused');
    expect(r.status.peers[0]).toEqual({ id: 'Xa7bQ9zz00000000000001', name: 'ada', state: 'connected', speaking: true, level: 0.457, volumePercent: 80, mutedByMe: false, recording: false });
    expect(r.status.self.recording).toEqual({ state: 'off', path: null, seconds: 0, error: null });
    expect(c.actions).toEqual([]);
  });

  it('mute and unmute are idempotent (a second mute sends nothing); toggle-mute, deafen, undeafen', async () => {
    const c = twoPeers();
    await start(c);
    expect(await ask({ cmd: 'mute' })).toMatchObject({ ok: true, status: { self: { muted: true } } });
    expect(await ask({ cmd: 'mute' })).toMatchObject({ ok: true, status: { self: { muted: true } } });
    expect(c.actions).toEqual([{ type: 'toggle-mute' }]);
    expect(await ask({ cmd: 'unmute' })).toMatchObject({ ok: true, status: { self: { muted: false } } });
    expect(await ask({ cmd: 'toggle-mute' })).toMatchObject({ ok: true, status: { self: { muted: true } } });
    expect(await ask({ cmd: 'deafen' })).toMatchObject({ ok: true, status: { self: { deafened: true } } });
    expect(await ask({ cmd: 'undeafen' })).toMatchObject({ ok: true, status: { self: { deafened: false } } });
    expect(c.actions.map((a) => a.type)).toEqual(['toggle-mute', 'toggle-mute', 'toggle-mute', 'toggle-deafen', 'toggle-deafen']);
  });

  it('volume: a peer by name (any case) or by the start of its id; unknown and ambiguous peers are refused with the list', async () => {
    const c = twoPeers();
    await start(c);
    expect(await ask({ cmd: 'volume', peer: 'ADA', percent: 50 })).toMatchObject({ ok: true });
    expect(await ask({ cmd: 'volume', peer: 'Yb8c', percent: 150.4 })).toMatchObject({ ok: true });
    expect(c.actions).toEqual([
      { type: 'set-peer-volume', peerId: 'Xa7bQ9zz00000000000001', volumePercent: 50 },
      { type: 'set-peer-volume', peerId: 'Yb8cR0yy00000000000002', volumePercent: 150 },
    ]);
    expect(await ask({ cmd: 'volume', peer: 'zed', percent: 50 })).toEqual({
      v: 1,
      ok: false,
      code: 'unknown-peer',
      error: 'no peer "zed" in the room; peers: ada (Xa7bQ9zz00000000000001), bob (Yb8cR0yy00000000000002)',
    });
    c.set({ peers: [...c.snapshot().peers, makePeer('Zc9dS1xx00000000000003', { name: 'Ada' })] });
    expect(await ask({ cmd: 'volume', peer: 'ada', percent: 50 })).toMatchObject({ ok: false, code: 'ambiguous-peer', error: expect.stringContaining('could be any of 2 peers') });
    expect(c.actions).toHaveLength(2);
  });

  it('resolvePeer prefers an exact id, and a short prefix is not taken for an id', () => {
    const peers = [makePeer('abcd1234', { name: 'x' }), makePeer('abcd5678', { name: 'abcd1234' })];
    expect(resolvePeer(peers, 'abcd1234').id).toBe('abcd1234');
    expect(() => resolvePeer(peers, 'abc')).toThrow(/no peer "abc"/);
    expect(() => resolvePeer(peers, 'abcd')).toThrow(/could be any of 2 peers/);
    expect(() => resolvePeer([], 'x')).toThrow('no peer "x": nobody else is in the room');
  });

  it('ptt: press and release need push-to-talk on, and say how to turn it on', async () => {
    const c = twoPeers();
    await start(c);
    expect(await ask({ cmd: 'ptt', action: 'press' })).toMatchObject({ ok: false, code: 'ptt-off', hint: expect.stringContaining('ctl ptt on') });
    expect(await ask({ cmd: 'ptt', action: 'on' })).toMatchObject({ ok: true, status: { self: { pushToTalk: true, talking: false } } });
    expect(await ask({ cmd: 'ptt', action: 'press' })).toMatchObject({ ok: true, status: { self: { talking: true } } });
    expect(await ask({ cmd: 'ptt', action: 'release' })).toMatchObject({ ok: true, status: { self: { talking: false } } });
    expect(c.actions).toEqual([
      { type: 'set-push-to-talk', enabled: true },
      { type: 'talk', pressed: true },
      { type: 'talk', pressed: false },
    ]);
  });

  it('lock answers once the server has confirmed; refused while the server is away or when it never confirms', async () => {
    // The lock changes only when "the server" says so, 50 ms after asking.
    class SlowServer extends FakeController {
      confirm = true;
      override dispatch(action: SessionAction): void {
        if (action.type !== 'set-lock') return super.dispatch(action);
        this.actions.push(action);
        if (this.confirm) setTimeout(() => this.set({ locked: action.locked }), 50);
      }
    }
    const c = new SlowServer(makeSnapshot());
    await start(c, 300);
    const t0 = Date.now();
    expect(await ask({ cmd: 'lock' })).toMatchObject({ ok: true, status: { locked: true } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(await ask({ cmd: 'lock' })).toMatchObject({ ok: true, status: { locked: true } });
    expect(c.actions).toHaveLength(1); // already locked: nothing sent
    c.confirm = false;
    expect(await ask({ cmd: 'unlock' })).toMatchObject({ ok: false, code: 'not-confirmed', error: expect.stringMatching(/did not confirm the unlock within 300 ms/) });
    c.set({ phase: 'reconnecting-server' });
    expect(await ask({ cmd: 'unlock' })).toMatchObject({ ok: false, code: 'not-connected', error: expect.stringContaining('not connected to the signaling server') });
  });

  it('device switches an end and answers once the media side runs it; a device that will not open is refused with its reason; devices lists afresh', async () => {
    const audio = {
      input: { kind: 'device', name: 'Built-in Mic', health: 'ok' },
      output: { kind: 'device', name: 'Speakers', health: 'ok' },
      devices: null,
    } as const;
    // The media side: switching takes 30 ms, and "Nope" does not open.
    class Media extends FakeController {
      override dispatch(action: SessionAction): void {
        this.actions.push(action);
        const now = this.snapshot().self.audio!;
        if (action.type === 'refresh-devices') {
          setTimeout(() => this.setSelf({ audio: { ...now, devices: { input: ['Built-in Mic'], output: ['Speakers', 'USB Headset'], listedAtMs: Date.now() } } }), 30);
        } else if (action.type === 'set-device') {
          this.setSelf({ audio: { ...now, [action.end]: { ...now[action.end], health: 'switching' } } });
          const done =
            action.device === 'Nope'
              ? { ...now[action.end], health: 'ok' as const, problem: 'cannot switch to "Nope": no output device matching "Nope"' }
              : { kind: 'device' as const, name: 'USB Headset', health: 'ok' as const };
          setTimeout(() => this.setSelf({ audio: { ...this.snapshot().self.audio!, [action.end]: done } }), 30);
        }
      }
    }
    const c = new Media(makeSnapshot({ self: { ...makeSnapshot().self, audio } }));
    await start(c);
    const listed = await ask({ cmd: 'devices' });
    expect(listed).toMatchObject({ ok: true, status: { audio: { devices: { input: ['Built-in Mic'], output: ['Speakers', 'USB Headset'] } } } });
    expect(await ask({ cmd: 'device', end: 'output', name: 'usb' })).toMatchObject({ ok: true, status: { audio: { output: { name: 'USB Headset', health: 'ok' } } } });
    expect(await ask({ cmd: 'device', end: 'output', name: 'Nope' })).toMatchObject({ ok: false, code: 'no-device', error: 'cannot switch to "Nope": no output device matching "Nope"' });
    expect(c.actions).toEqual([
      { type: 'refresh-devices' },
      { type: 'set-device', end: 'output', device: 'usb' },
      { type: 'set-device', end: 'output', device: 'Nope' },
    ]);
    // Files cannot be switched: refused before anything is asked.
    c.setSelf({ audio: { ...audio, input: { kind: 'file', name: 'in.wav', health: 'ok' } } });
    expect(await ask({ cmd: 'device', end: 'input', name: 'usb' })).toMatchObject({ ok: false, code: 'no-device', error: 'the input is the file in.wav, not a sound device', hint: expect.stringContaining('without --input') });
    expect(c.actions).toHaveLength(3);
  });

  it('leave: answered first, then the session leaves; the caller sees the connection close when the session is done', async () => {
    const c = twoPeers();
    const server = await start(c);
    const exchange = await requestControl(sock, { cmd: 'leave' });
    expect(exchange.response).toMatchObject({ ok: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(c.actions).toEqual([{ type: 'leave' }]);
    // The lifecycle closes the server once the session is over.
    const closed = exchange.closed(2000);
    await server.close();
    expect(await closed).toBe(true);
    expect(() => statSync(sock)).toThrow(/ENOENT/);
    // A session that is leaving refuses further commands.
    const d = new FakeController(makeSnapshot({ phase: 'leaving' }));
    sock = path.join(dir, 'second.sock');
    await start(d);
    expect(await ask({ cmd: 'mute' })).toMatchObject({ ok: false, code: 'session-over' });
    expect(await ask({ cmd: 'status' })).toMatchObject({ ok: true, status: { phase: 'leaving' } });
  });

  it('a bad line is answered with bad-request and the connection goes on; several requests keep their order', async () => {
    const c = twoPeers();
    await start(c);
    const sockConn = connect(sock);
    sockConn.setEncoding('utf8');
    let got = '';
    sockConn.on('data', (d: string) => (got += d));
    await new Promise<void>((r) => sockConn.once('connect', () => r()));
    sockConn.write('not json\n{"v":1,"id":1,"cmd":"mute"}\n{"v":1,"id":2,"cmd":"status"}\n');
    while (got.split('\n').length < 4) await new Promise((r) => setTimeout(r, 10));
    sockConn.destroy();
    const lines = got.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ v: 1, ok: false, code: 'bad-request', error: 'request is not valid JSON' });
    expect(lines[1]).toMatchObject({ id: 1, ok: true, status: { self: { muted: true } } });
    expect(lines[2]).toMatchObject({ id: 2, ok: true, status: { self: { muted: true } } });
  });

  it('replaces a stale socket file, refuses a path a live session listens on and a file that is not a socket; close removes the socket', async () => {
    const c = twoPeers();
    const first = await start(c);
    await expect(startControlServer({ path: sock, controller: c })).rejects.toThrow(/another roundtable session already listens on/);
    const plain = path.join(dir, 'plain');
    writeFileSync(plain, 'keep me');
    await expect(startControlServer({ path: plain, controller: c })).rejects.toThrow(/exists and is not a socket/);
    expect(statSync(plain).isFile()).toBe(true);
    await first.close();
    expect(() => statSync(sock)).toThrow(/ENOENT/);
    await expect(requestControl(sock, { cmd: 'status' })).rejects.toThrow(/no roundtable session is running/);
  });
});

describe('control server: knocks and chat', () => {
  const knocking = (): FakeController =>
    new FakeController(
      makeSnapshot({
        locked: true,
        peers: [makePeer('Xa7bQ9zz00000000000001', { name: 'ada' })],
        knocks: [
          { id: 'Dd1nQ9zz00000000000009', name: 'dan', sinceMs: Date.UTC(2026, 11, 5, 9, 0) },
          { id: 'Ee2vQ9zz00000000000008', name: 'eve', sinceMs: Date.UTC(2026, 11, 5, 9, 1) },
        ],
      }),
    );

  it('status lists the knocks; admit and deny answer one by name (or id start) and return once it is over', async () => {
    const c = knocking();
    await start(c);
    const st = await ask({ cmd: 'status' });
    expect(st).toMatchObject({ ok: true, status: { knocks: [{ id: 'Dd1nQ9zz00000000000009', name: 'dan', since: '2026-12-05T09:00:00.000Z' }, { name: 'eve' }] } });
    const admitted = await ask({ cmd: 'admit', peer: 'DAN' });
    expect(admitted).toMatchObject({ ok: true, status: { knocks: [{ name: 'eve' }] } });
    if (!admitted.ok) throw new Error('refused');
    expect(admitted.status.chat.at(-1)).toMatchObject({ kind: 'notice', text: 'you let dan in' });
    expect(await ask({ cmd: 'deny', peer: 'Ee2v' })).toMatchObject({ ok: true, status: { knocks: [] } });
    expect(c.actions).toEqual([
      { type: 'answer-knock', peerId: 'Dd1nQ9zz00000000000009', admit: true },
      { type: 'answer-knock', peerId: 'Ee2vQ9zz00000000000008', admit: false },
    ]);
    expect(await ask({ cmd: 'admit', peer: 'dan' })).toEqual({ v: 1, ok: false, code: 'unknown-knock', error: 'nobody is knocking (no "dan")' });
  });

  it('an answer the server does not confirm in time is refused as not-confirmed', async () => {
    const c = knocking();
    // The knock never ends: this controller records the answer but nothing changes.
    c.dispatch = (action: SessionAction) => void c.actions.push(action);
    await start(c, 150);
    expect(await ask({ cmd: 'deny', peer: 'eve' })).toMatchObject({ ok: false, code: 'not-confirmed', error: expect.stringContaining('refusal') });
    expect(await ask({ cmd: 'admit', peer: 'zed' })).toMatchObject({ ok: false, code: 'unknown-knock', error: expect.stringContaining('knocking: dan (') });
  });

  it('record start answers once the file records (its name in the status), stop once it is finished; a start that fails says why', async () => {
    const c = twoPeers();
    c.setPeer('Yb8cR0yy00000000000002', { recording: true });
    await start(c);
    const started = await ask({ cmd: 'record', action: 'start', path: '/calls/a.wav' });
    expect(started).toMatchObject({ ok: true, status: { self: { recording: { state: 'recording', path: '/calls/a.wav', error: null } } } });
    if (!started.ok) throw new Error('refused');
    expect(started.status.peers.map((p) => p.recording)).toEqual([false, true]);
    // Again: done already; to another file: refused with how to go on.
    expect(await ask({ cmd: 'record', action: 'start' })).toMatchObject({ ok: true });
    expect(await ask({ cmd: 'record', action: 'start', path: '/calls/b.wav' })).toMatchObject({ ok: false, code: 'already-recording', error: 'already recording to /calls/a.wav', hint: 'stop it first: roundtable ctl record stop' });
    expect(await ask({ cmd: 'record', action: 'stop' })).toMatchObject({ ok: true, status: { self: { recording: { state: 'off', path: '/calls/a.wav' } } } });
    expect(await ask({ cmd: 'record', action: 'stop' })).toMatchObject({ ok: true });
    expect(c.actions).toEqual([
      { type: 'set-recording', recording: true, path: '/calls/a.wav' },
      { type: 'set-recording', recording: false },
    ]);
    const failed = await ask({ cmd: 'record', action: 'start', path: '/missing/x.wav' });
    expect(failed).toMatchObject({ ok: false, code: 'not-recorded', error: 'cannot record: WAV file "/missing/x.wav": cannot create: its directory does not exist' });
  });

  it('a recording the media side does not confirm in time is refused as not-confirmed', async () => {
    const c = twoPeers();
    c.dispatch = (action: SessionAction) => void c.actions.push(action); // the file never opens
    await start(c, 50);
    expect(await ask({ cmd: 'record', action: 'start' })).toMatchObject({ ok: false, code: 'not-confirmed', error: 'the media side did not confirm the start of the recording within 50 ms' });
  });

  it('say sends a chat line (the status carries the chat); one over the limit is refused in words', async () => {
    const c = knocking();
    await start(c);
    const said = await ask({ cmd: 'say', text: 'hello \u001b[31mroom' });
    expect(said).toMatchObject({ ok: true, status: { chat: [{ kind: 'message', from: 'carol', self: true, text: 'hello room', at: '2026-12-05T09:30:00.000Z' }] } });
    expect(await ask({ cmd: 'say', text: 'x'.repeat(1001) })).toEqual({ v: 1, ok: false, code: 'too-long', error: 'message not sent: 1001 characters, the limit is 1000' });
  });
});
