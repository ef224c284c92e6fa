/** Runs the CLI in-process with captured output and a throwaway cwd/home. */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, type RunOptions } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function tempDirs(): { root: string; cwd: string; home: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'rt-cli-'));
  const cwd = path.join(root, 'project');
  const home = path.join(root, 'home');
  mkdirSync(cwd);
  mkdirSync(home);
  return { root, cwd, home };
}

export async function run(args: string[], options: RunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (s: string) => ((stdout += s), true), columns: 100 },
    stderr: { write: (s: string) => ((stderr += s), true) },
  };
  const code = await runCli(args, io, { env: {}, ...options });
  return { code, stdout, stderr };
}
