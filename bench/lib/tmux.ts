/**
 * A command in a real terminal for benchmarks: tmux (100×30, a clean
 * environment with its own HOME), keys sent as a person would, and the
 * command's exit code read back. Used wherever a benchmark needs the Ink TUI
 * drawing for real (bench/tui-pacing.ts, bench/p2p-latency.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V']).status === 0;
}

/** The environment of a fresh login: no inherited config, colours on. */
export function cleanEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, TERM: 'xterm-256color', LANG: 'C.UTF-8' };
}

export interface TmuxSession {
  /** Send tmux key names (e.g. 's', 'Up', '?') in one call. */
  sendKeys(keys: readonly string[]): void;
  /** Resolves with the command's exit code (rejects after `timeoutMs`). */
  waitForExit(timeoutMs: number): Promise<number>;
  readonly exited: () => boolean;
  kill(): void;
}

/** Start `argv` in `dir` inside a detached tmux session of its own (socket in `dir`). */
export function startInTmux(dir: string, argv: readonly string[]): TmuxSession {
  const home = path.join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const socket = path.join(dir, 'tmux.sock');
  const exitFile = path.join(dir, 'exit-code');
  const env = cleanEnv(home);
  const quoted = argv.map((a) => JSON.stringify(a)).join(' ');
  const command = `cd ${JSON.stringify(dir)} && ${quoted}; echo $? > ${JSON.stringify(exitFile)}`;
  execFileSync('tmux', ['-S', socket, 'new-session', '-d', '-s', 'bench', '-x', '100', '-y', '30', 'sh', '-c', command], { env });
  return {
    sendKeys: (keys) => {
      spawnSync('tmux', ['-S', socket, 'send-keys', '-t', 'bench', ...keys], { env });
    },
    exited: () => existsSync(exitFile),
    waitForExit: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (!existsSync(exitFile)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for the command in tmux (${dir})`);
        await sleep(100);
      }
      return Number(readFileSync(exitFile, 'utf8').trim());
    },
    kill: () => {
      spawnSync('tmux', ['-S', socket, 'kill-server'], { env });
    },
  };
}
