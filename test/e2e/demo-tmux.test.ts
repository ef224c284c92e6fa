/**
 * `roundtable demo` in a real terminal: tmux runs it in a detached 100×30
 * pane (its own tmux server on its own socket, clean environment, HOME in a
 * temp dir), the test reads the screen with `capture-pane -p` and types
 * with `send-keys` (and drives it with `roundtable ctl` too). No sound card here, so the demo is given --output (the
 * bots' speech must be in it). R records the call and q leaves while it records: the file is finished.
 *
 * Needs `npm run build` first (bin/roundtable loads dist/) and tmux.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, TempDir, bestPresence, readWav, sleep, speech, HEARD } from './harness.js';
import { readWavChannels } from '../helpers/wav-channels.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) console.warn('demo-tmux.test.ts: skipped, tmux is not installed (apt-get install tmux)');

/** Descendant pids of `pid` from /proc (children of children …). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process went away while we listed
    }
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    for (const c of children.get(stack.pop()!) ?? []) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    // A zombie still answers kill(0); read its state instead.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function portRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe.skipIf(!hasTmux)('roundtable demo in tmux', () => {
  const dir = new TempDir();
  const socket = dir.file('tmux.sock');
  const home = dir.file('home');
  const output = dir.file('heard.wav');
  const exitFile = dir.file('exit-code');
  // Control sockets go to a runtime directory of this test's (ctl is given the same).
  const runtimeDir = dir.file('run');
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, TERM: 'xterm-256color', LANG: 'C.UTF-8', XDG_RUNTIME_DIR: runtimeDir };
  const ctl = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [BIN, 'ctl', ...args], { env, encoding: 'utf8', timeout: 20_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-S', socket, ...args], { env, encoding: 'utf8' });
  const screen = (): string => tmux('capture-pane', '-p', '-t', 'demo');

  async function waitForScreen(check: (s: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        last = screen();
      } catch {
        // the pane is gone (the demo exited): keep the last screen for the message
      }
      if (check(last)) return last;
      await sleep(200);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${last}`);
  }

  beforeAll(() => {
    execFileSync('mkdir', ['-p', home]);
    execFileSync('mkdir', ['-m', '700', '-p', runtimeDir]);
    const command = `cd ${JSON.stringify(dir.path)} && ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} demo --output ${JSON.stringify(output)}; echo EXIT=$? > ${JSON.stringify(exitFile)}`;
    tmux('new-session', '-d', '-s', 'demo', '-x', '100', '-y', '30', 'sh', '-c', command);
  });

  afterAll(() => {
    spawnSync('tmux', ['-S', socket, 'kill-server'], { env });
    dir.remove();
  });

  it('shows both bots speaking, mutes on m, follows ctl (unmute, lock) and the lock key, quits on q with exit 0 and nothing left running (control socket included), and records the bots (to --output, and with R)', async () => {
    expect(existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'commands', 'demo.js'))).toBe(true);
    const startedMs = Date.now();
    const speakingRow = /● bot-(ada|grace)/;
    const s = await waitForScreen((t) => t.includes('bot-ada') && t.includes('bot-grace') && speakingRow.test(t), 20_000, 'both bots listed, one speaking');
    expect(s).toMatch(speakingRow);
    const botsSeenMs = Date.now();
    // The demo's processes: the shell in the pane and everything under it.
    const panePid = Number(tmux('display-message', '-p', '-t', 'demo', '#{pane_pid}').trim());
    const tree = descendants(panePid);
    expect(tree.length).toBeGreaterThan(0);

    // The log went to the temp HOME (XDG state dir), not to the screen; it names the server port.
    const logFile = path.join(home, '.local', 'state', 'roundtable', 'roundtable.log');
    expect(existsSync(logFile)).toBe(true);
    const port = Number(/server=ws:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(logFile, 'utf8'))?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(await portRefused(port)).toBe(false);

    expect(screen()).not.toContain('MUTED');
    tmux('send-keys', '-t', 'demo', 'm');
    await waitForScreen((t) => t.includes('MUTED'), 5000, 'the MUTED mark');

    // ctl drives the session behind the TUI the same way, and the screen follows; the keys and ctl agree.
    expect(ctl('unmute')).toMatchObject({ status: 0, stdout: 'unmuted\n' });
    await waitForScreen((t) => !t.includes('MUTED'), 5000, 'MUTED gone after ctl unmute');
    const header = (t: string): string => t.split('\n')[0] ?? '';
    expect(header(screen())).not.toContain('locked');
    expect(ctl('lock')).toMatchObject({ status: 0, stdout: 'room locked\n' });
    await waitForScreen((t) => header(t).includes('locked'), 5000, 'the header saying locked');
    tmux('send-keys', '-t', 'demo', 'L');
    await waitForScreen((t) => !header(t).includes('locked'), 5000, 'the lock key unlocking');
    const status = ctl('status');
    expect(status.status).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ locked: false, self: { muted: false }, peers: [{ name: 'bot-ada' }, { name: 'bot-grace' }] });

    // R records the call: a dated file where the demo runs, shown on the own line; q leaves while it records.
    tmux('send-keys', '-t', 'demo', 'R');
    const recording = await waitForScreen((t) => /● REC \d+:\d\d roundtable-\d{4}-\d\d-\d\d-\d{6}\.wav/.test(t), 5000, 'the REC mark on the own line');
    const recorded = path.join(dir.path, /roundtable-\d{4}-\d\d-\d\d-\d{6}\.wav/.exec(recording)![0]);
    // Let the bots talk long enough for their clips to be found in the output and the recording.
    await sleep(Math.max(5000, 8000 - (Date.now() - startedMs), 6000 - (Date.now() - botsSeenMs)));
    tmux('send-keys', '-t', 'demo', 'q');
    const deadline = Date.now() + 15_000;
    while (!existsSync(exitFile) && Date.now() < deadline) await sleep(100);
    expect(existsSync(exitFile)).toBe(true);
    expect(readFileSync(exitFile, 'utf8').trim()).toBe('EXIT=0');
    await sleep(200);
    expect(tree.filter(alive)).toEqual([]);
    expect(await portRefused(port)).toBe(true);
    // The control socket went with the demo.
    expect(readdirSync(path.join(runtimeDir, 'roundtable'))).toEqual([]);

    const heard = await readWav(output);
    expect(heard.length).toBeGreaterThan(48_000 * 2);
    const ada = bestPresence(await readWav(speech('a')), heard, HEARD);
    const grace = bestPresence(await readWav(speech('b')), heard, HEARD);
    console.info(`demo-tmux: presence of bot-ada ${ada.toFixed(2)}, bot-grace ${grace.toFixed(2)} in ${(heard.length / 48_000).toFixed(1)} s`);
    expect(Math.max(ada, grace)).toBeGreaterThan(0.3);
    expect(Math.min(ada, grace)).toBeGreaterThan(0.2);

    // The recording was finished by the leave: a stereo WAV whose right channel is what the demo played.
    const rec = readWavChannels(recorded);
    expect(rec.channels).toHaveLength(2);
    expect(rec.fileBytes).toBe(44 + rec.dataSize);
    const right = rec.channels[1]!;
    expect(right.length).toBeGreaterThan(48_000 * 4);
    expect(Math.max(bestPresence(await readWav(speech('a')), right, HEARD), bestPresence(await readWav(speech('b')), right, HEARD))).toBeGreaterThan(0.3);
  }, 60_000);
});
