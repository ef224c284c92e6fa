/**
 * The `roundtable` command line: every command, and the program's entry
 * (bin/roundtable). Running a command line (parser, errors, exit codes) is
 * run.ts's.
 *
 * To add a command, add its CommandModule to COMMANDS below: one line.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configCommand } from './commands/config.js';
import { createCommand } from './commands/create.js';
import { ctlCommand } from './commands/ctl.js';
import { demoCommand } from './commands/demo.js';
import { devicesCommand } from './commands/devices.js';
import { joinCommand } from './commands/join.js';
import { loopbackCommand } from './commands/loopback.js';
import { serveCommand } from './commands/serve.js';
import { testAudioCommand } from './commands/test-audio.js';
import type { CliIo } from './context.js';
import { runAsProgram, runCommandLine, type AnyCommand, type RunOptions as CommandLineOptions } from './run.js';
import { packageInfo } from '../core/package-info.js';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly AnyCommand[] = [
  joinCommand,
  createCommand,
  demoCommand,
  ctlCommand,
  serveCommand,
  loopbackCommand,
  testAudioCommand,
  devicesCommand,
  configCommand,
];

/**
 * Runs one command line (arguments after the program name, as from
 * `hideBin(process.argv)`) and returns the exit code. Never calls
 * process.exit, so tests run it in-process with captured output.
 */
export function runCli(args: string[], io?: CliIo, options: RunOptions = {}): Promise<number> {
  return runCommandLine(args, io, { ...options, commands: options.commands ?? COMMANDS });
}

/** As run.ts's, with the commands optional (default COMMANDS). */
export type RunOptions = Partial<CommandLineOptions>;

/** True when this module is the program: run directly, or through bin/roundtable. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    const real = realpathSync(script);
    return real === fileURLToPath(import.meta.url) || real === path.join(packageInfo().root, 'bin', 'roundtable');
  } catch {
    return false;
  }
}

if (isEntryPoint()) await runAsProgram(COMMANDS);
