/**
 * The shared lifecycle of join, create and demo (src/cli/session-command.ts)
 * around a fake session: how it leaves (--duration, a signal, the end of the
 * input), what it writes and closes, and that a failed start still cleans up.
 * Headless (the captured stdout is not a terminal); log lines are read as
 * JSON from process.stdout.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULTS, type Config } from '../../src/config/schema.js';
import { runWithContext } from '../../src/cli/context.js';
import { checkDuration, runSessionLifecycle, type SessionCommand, type StartedSession } from '../../src/cli/session-command.js';
import type { SessionSnapshot } from '../../src/engine/index.js';
import { PROCESSING_OFF, RECORDING_OFF } from '../../src/engine/media/media-port.js';
import type { SessionAction } from '../../src/engine/api.js';
import { requestControl } from '../../src/control/client.js';

class FakeSession {
  leaves = 0;
  readonly listeners = new Set<(s: SessionSnapshot) => void>();
  private resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));
  snapshot(): SessionSnapshot {
    return { roomCode: 'c', serverUrl: 'ws://x', phase: 'in-call', self: { name: 'me', micLevel: 0, speaking: false, muted: false, deafened: false, pushToTalk: false, talking: false, processing: PROCESSING_OFF, recording: RECORDING_OFF }, peers: [], locked: false, knocks: [], chat: [] };
  }
  subscribe(fn: (s: SessionSnapshot) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  dispatch(action: SessionAction): void {
    if (action.type === 'leave') void this.leave();
  }
  leave(): Promise<void> {
    this.leaves++;
    this.resolveDone();
    return this.done;
  }
}

// No control socket unless a test asks for one (the default would listen in the user's runtime directory).
const config: Config = { ...DEFAULTS, logLevel: 'info', controlSocket: false };
let dir: string;
let lines: Array<Record<string, unknown>>;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rt-lifecycle-'));
  lines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

function run(command: SessionCommand): Promise<void> {
  const io = { stdout: { write: () => true }, stderr: { write: () => true } };
  return runWithContext({ io, cwd: dir, homeDir: dir, env: {} }, () => runSessionLifecycle(command));
}

const events = (): unknown[] => lines.map((l) => l.event);

describe('checkDuration', () => {
  it('accepts no --duration or a positive one, refuses the rest with the flag named', () => {
    expect(checkDuration({})).toBe(true);
    expect(checkDuration({ duration: 0.5 })).toBe(true);
    for (const bad of [0, -3, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => checkDuration({ duration: bad })).toThrow(/--duration must be a positive number/);
  });
});

describe('runSessionLifecycle', () => {
  it('--duration leaves, then the report is written, the command finishes and what it started is closed, last first', async () => {
    const session = new FakeSession();
    const order: string[] = [];
    const stats = path.join(dir, 'stats.json');
    await run({
      flags: { duration: 0.05, stats, json: true },
      config,
      configFields: { frameMs: 20 },
      start: async ({ tui, atExit }) => {
        expect(tui).toBe(false);
        atExit(() => void order.push('close-first-registered'));
        atExit(async () => void order.push('close-last-registered'));
        return {
          session,
          afterLeft: async () => void order.push('after-left'),
          statsReport: () => ({ version: 1, order: [...order] }),
          finish: () => void order.push('finish'),
        };
      },
    });
    expect(session.leaves).toBe(1);
    expect(order).toEqual(['after-left', 'finish', 'close-last-registered', 'close-first-registered']);
    expect(JSON.parse(readFileSync(stats, 'utf8'))).toEqual({ version: 1, order: ['after-left'] });
    expect(readFileSync(stats, 'utf8').endsWith('}\n')).toBe(true);
    expect(events()).toEqual(['config', 'leaving', 'bye']);
    expect(lines[0]).toMatchObject({ frameMs: 20 });
    expect(lines[1]).toMatchObject({ why: 'duration' });
  });

  it('a control socket listens while the session runs, drives it, and is gone when the command ends', async () => {
    const session = new FakeSession();
    const socketPath = path.join(dir, 'ctl.sock');
    const running = run({
      flags: { json: true },
      config: { ...config, controlSocket: socketPath },
      configFields: {},
      start: async () => ({ session, statsReport: () => ({}) }),
    });
    await vi.waitFor(() => expect(existsSync(socketPath)).toBe(true));
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    const exchange = await requestControl(socketPath, { cmd: 'leave' });
    expect(exchange.response).toMatchObject({ ok: true, status: { pid: process.pid, room: 'c' } });
    await running;
    expect(await exchange.closed(1000)).toBe(true);
    expect(session.leaves).toBe(1);
    expect(existsSync(socketPath)).toBe(false);
    expect(events()).toEqual(['config', 'control-socket', 'control-command', 'bye']);
  });

  it('SIGINT or SIGTERM leaves; the handlers are gone afterwards', async () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
    const session = new FakeSession();
    const running = run({
      flags: { json: true },
      config,
      configFields: {},
      start: async () => ({ session, statsReport: () => ({}) }),
    });
    await vi.waitFor(() => expect(process.listenerCount('SIGTERM')).toBe(before.term + 1));
    process.emit('SIGTERM', 'SIGTERM');
    await running;
    expect(lines.find((l) => l.event === 'leaving')).toMatchObject({ why: 'SIGTERM' });
    expect(process.listenerCount('SIGINT')).toBe(before.int);
    expect(process.listenerCount('SIGTERM')).toBe(before.term);
  });

  it('leaves one second after a finite input has ended, unless --duration decides', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const session = new FakeSession();
    const engine: StartedSession['leaveWhenSourceEnds'] = { onSourceEnd: undefined };
    const running = run({
      flags: { json: true },
      config,
      configFields: {},
      start: async () => ({ session, leaveWhenSourceEnds: engine, statsReport: () => ({}) }),
    });
    await vi.waitFor(() => expect(engine!.onSourceEnd).toBeTypeOf('function'));
    engine!.onSourceEnd!();
    await vi.advanceTimersByTimeAsync(999);
    expect(session.leaves).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await running;
    expect(lines.find((l) => l.event === 'leaving')).toMatchObject({ why: 'input-ended' });

    // With --duration the end of the input does not end the call.
    const withDuration: StartedSession['leaveWhenSourceEnds'] = { onSourceEnd: undefined };
    const second = run({
      flags: { json: true, duration: 5 },
      config,
      configFields: {},
      start: async () => ({ session: new FakeSession(), leaveWhenSourceEnds: withDuration, statsReport: () => ({}) }),
    });
    await vi.advanceTimersByTimeAsync(5000);
    await second;
    expect(withDuration!.onSourceEnd).toBeUndefined();
  });

  it('headless with logSpeaking logs who starts speaking, and unsubscribes at the end', async () => {
    const session = new FakeSession();
    await run({
      flags: { json: true, duration: 0.05 },
      config,
      configFields: {},
      start: async () => {
        // Once the lifecycle has subscribed (it does after start() returns), a peer starts speaking.
        setTimeout(() => {
          const snap = session.snapshot();
          const peer = { id: 'p', name: 'Pia', state: 'connected', speaking: true, level: 0.5, volumePercent: 100, mutedByMe: false, noiseSuppression: false, lossPercent: 0, jitterBufferMs: 0, rttMs: null, packetsReceived: 0, packetsLost: 0, packetsLate: 0, framesConcealed: 0, packetsRecovered: 0, redDistance: null, recording: false } as const;
          for (const fn of session.listeners) fn({ ...snap, peers: [peer] });
        }, 10);
        return { session, logSpeaking: true, statsReport: () => ({}) };
      },
    });
    expect(lines.find((l) => l.event === 'peer-speaking')).toMatchObject({ peer: 'p', name: 'Pia' });
    expect(session.listeners.size).toBe(0);
  });

  it('a failed start rejects with its error after closing what was already started; no report is written', async () => {
    const closed: string[] = [];
    const stats = path.join(dir, 'stats.json');
    await expect(
      run({
        flags: { json: true, stats },
        config,
        configFields: {},
        start: async ({ atExit }) => {
          atExit(() => void closed.push('audio'));
          atExit(() => {
            throw new Error('close failed too');
          });
          throw new Error('server unreachable');
        },
      }),
    ).rejects.toThrow('server unreachable');
    expect(closed).toEqual(['audio']);
    expect(() => readFileSync(stats)).toThrow();
    expect(events()).toEqual(['config']);
  });
});
