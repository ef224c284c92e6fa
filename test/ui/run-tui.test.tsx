import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { runTui } from '../../src/ui/run-tui.js';
import { FakeController, makePeer, makeSnapshot } from './fake-controller.js';

/** A terminal output that records what Ink writes. */
class TermOut extends EventEmitter {
  readonly columns = 80;
  readonly rows = 24;
  readonly isTTY = false;
  written = '';
  write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    this.written += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const cb = rest.find((r): r is () => void => typeof r === 'function');
    cb?.();
    return true;
  }
}

/** A raw-mode-capable keyboard that the test types on. */
class TermIn extends EventEmitter {
  readonly isTTY = true;
  rawMode = false;
  private queue: string[] = [];
  setRawMode(on: boolean): this {
    this.rawMode = on;
    return this;
  }
  setEncoding(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  read(): string | null {
    return this.queue.shift() ?? null;
  }
  unshift(chunk: Buffer | string): void {
    this.queue.unshift(chunk.toString());
  }
  type(data: string): void {
    this.queue.push(data);
    this.emit('readable');
  }
  /** A terminal reply to a query: Ink's probe reads it from 'data'. */
  reply(data: string): void {
    this.emit('data', Buffer.from(data));
  }
}

const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 10));

function start(controller: FakeController, opts: { tty?: boolean; kittyKeyboard?: boolean } = {}) {
  const stdout = new TermOut();
  if (opts.tty === true) Object.defineProperty(stdout, 'isTTY', { value: true });
  const stdin = new TermIn();
  const done = runTui(controller, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    patchConsole: false,
    ...(opts.kittyKeyboard === undefined ? {} : { kittyKeyboard: opts.kittyKeyboard }),
  });
  return { stdout, stdin, done };
}

describe('runTui', () => {
  it('renders, leaves on q, and resolves once the app has exited', async () => {
    const c = new FakeController(makeSnapshot({ peers: [makePeer('p1', { name: 'alice' })] }));
    const { stdout, stdin, done } = start(c);
    await settle();
    expect(stdin.rawMode).toBe(true);
    stdin.type('q');
    await done;
    expect(c.leaveCalls).toBe(1);
    expect(c.listenerCount).toBe(0);
    expect(stdin.rawMode).toBe(false); // terminal handed back
    expect(stdout.written).toContain('alice');
  });

  it('Ctrl-C leaves cleanly instead of killing the app', async () => {
    const c = new FakeController(makeSnapshot());
    const { stdin, done } = start(c);
    await settle();
    stdin.type('\u0003');
    await done;
    expect(c.leaveCalls).toBe(1);
  });

  it('rejects with the error when leave() fails', async () => {
    const c = new FakeController(makeSnapshot());
    c.holdLeave();
    const { stdin, done } = start(c);
    await settle();
    stdin.type('q');
    await settle();
    c.rejectLeave(new Error('could not finalize recording.wav'));
    await expect(done).rejects.toThrow('could not finalize recording.wav');
  });

  it('does not query for the kitty keyboard protocol on a non-TTY output', async () => {
    const c = new FakeController(makeSnapshot());
    const { stdout, stdin, done } = start(c);
    await settle();
    stdin.type('q');
    await done;
    expect(stdout.written).not.toContain('\u001B[>');
    expect(stdout.written).not.toContain('\u001B[?u');
  });

  // Ink's auto mode only probes terminals it recognizes, and never under CI
  // (its is-in-ci check), so this runs where that check passes.
  const inCi = 'CI' in process.env || 'CONTINUOUS_INTEGRATION' in process.env || Object.keys(process.env).some((k) => k.startsWith('CI_'));

  it.skipIf(inCi)('on a kitty terminal: negotiates event types and space becomes hold-to-talk', async () => {
    const saved = process.env['KITTY_WINDOW_ID'];
    process.env['KITTY_WINDOW_ID'] = '1';
    try {
      const c = new FakeController(makeSnapshot());
      const { stdout, stdin, done } = start(c, { tty: true });
      await settle();
      expect(stdout.written).toContain('\u001B[?u'); // Ink's query
      stdin.reply('\u001B[?0u'); // the terminal answers: supported
      await settle();
      // disambiguate 1 + event types 2 + all keys as escapes 8 + associated text 16
      expect(stdout.written).toContain('\u001B[>27u');
      stdin.type('\u001B[112;1;112u'); // p press (with associated text)
      await settle();
      stdin.type('\u001B[112;1:3u'); // p release
      stdin.type('\u001B[32;1;32u'); // space press
      await settle();
      stdin.type('\u001B[32;1:2u'); // space repeat
      stdin.type('\u001B[32;1:3u'); // space release
      await settle();
      expect(c.actions).toEqual([
        { type: 'set-push-to-talk', enabled: true },
        { type: 'talk', pressed: true },
        { type: 'talk', pressed: false },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 100)); // Ink draws at most 30 frames/s
      expect(stdout.written).toContain('hold to talk');
      stdin.type('\u001B[113;1;113u'); // q
      await done;
      expect(c.leaveCalls).toBe(1);
    } finally {
      if (saved === undefined) delete process.env['KITTY_WINDOW_ID'];
      else process.env['KITTY_WINDOW_ID'] = saved;
    }
  });

  it('kittyKeyboard: false never probes, even on a kitty terminal', async () => {
    const saved = process.env['KITTY_WINDOW_ID'];
    process.env['KITTY_WINDOW_ID'] = '1';
    try {
      const c = new FakeController(makeSnapshot());
      const { stdout, stdin, done } = start(c, { tty: true, kittyKeyboard: false });
      await settle();
      stdin.type('q');
      await done;
      expect(stdout.written).not.toContain('\u001B[?u');
      expect(stdout.written).not.toContain('\u001B[>');
    } finally {
      if (saved === undefined) delete process.env['KITTY_WINDOW_ID'];
      else process.env['KITTY_WINDOW_ID'] = saved;
    }
  });
});

describe('runTui with configured keys', () => {
  it('leaves on the configured quit key and shows it in the footer', async () => {
    const c = new FakeController(makeSnapshot());
    const stdout = new TermOut();
    const stdin = new TermIn();
    const done = runTui(c, {
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      patchConsole: false,
      bindings: { quit: 'Q' },
      banner: ['audio goes to demo.wav'],
    });
    await settle();
    stdin.type('q');
    await settle();
    expect(c.leaveCalls).toBe(0);
    stdin.type('Q');
    await done;
    expect(c.leaveCalls).toBe(1);
    expect(stdout.written).toContain('Q quit');
    expect(stdout.written).toContain('audio goes to demo.wav');
  });

  it('rejects a binding the UI cannot read before drawing anything', async () => {
    const c = new FakeController(makeSnapshot());
    const stdout = new TermOut();
    await expect(
      runTui(c, { stdout: stdout as unknown as NodeJS.WriteStream, stdin: new TermIn() as unknown as NodeJS.ReadStream, patchConsole: false, bindings: { mute: 'F1' } }),
    ).rejects.toThrow(/keys\.mute/);
    expect(stdout.written).toBe('');
  });
});
