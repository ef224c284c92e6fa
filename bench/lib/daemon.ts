/** What the daemons tests and benchmarks start (coturn, redis-server) share: a directory and a log of their own, and stopping them. */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DaemonDir {
  readonly dir: string;
  readonly logFile: string;
  /** The log so far ('' before the daemon wrote one). */
  readLog(): string;
  remove(): void;
}

/** A fresh directory under the system's tmpdir (`prefix`XXXXXX), with the daemon's log file `logName` in it. */
export function daemonDir(prefix: string, logName: string): DaemonDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const logFile = join(dir, logName);
  return {
    dir,
    logFile,
    readLog: () => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Send `signal` and wait for the exit (SIGKILL after 3 s). */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
