/**
 * The `roundtable` command line: the yargs root, global options, error
 * reporting and exit codes (0 ok, 1 runtime failure, 2 usage/config error).
 *
 * To add a command, add its CommandModule to COMMANDS below: one line.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs, { type Argv, type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { closestMatch } from '../config/suggest.js';
import { configCommand } from './commands/config.js';
import { createCommand } from './commands/create.js';
import { demoCommand } from './commands/demo.js';
import { devicesCommand, type ListDevices } from './commands/devices.js';
import { joinCommand } from './commands/join.js';
import { loopbackCommand } from './commands/loopback.js';
import { serveCommand } from './commands/serve.js';
import { testAudioCommand } from './commands/test-audio.js';
import { runWithContext, type CliContext, type CliIo } from './context.js';
import { CliError, ConfigError, EXIT_OK, UsageError, exitCodeFor } from '../core/errors.js';
import { globalOptions } from './options.js';
import { packageInfo } from '../core/package-info.js';

// Commands declare their own argv shapes; the list only needs them to be commands.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandModule<any, any>;

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly AnyCommand[] = [
  joinCommand,
  createCommand,
  demoCommand,
  serveCommand,
  loopbackCommand,
  testAudioCommand,
  devicesCommand,
  configCommand,
];

export interface RunOptions {
  /** Directory the config search starts in (default process.cwd()). */
  cwd?: string;
  /** Home directory for ~/.config/roundtable (default os.homedir()). */
  homeDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Device enumeration for `devices` (default: the audio engine). */
  listDevices?: ListDevices;
  /** Commands to register (default COMMANDS). */
  commands?: readonly AnyCommand[];
}

/** Option names each command accepts, recorded as yargs builds them, for "did you mean --x?". */
type KnownOptions = Set<string>;

function recordingBuilder(command: AnyCommand, known: KnownOptions): AnyCommand {
  const { builder } = command;
  return {
    ...command,
    builder: (y: Argv) => {
      const built = typeof builder === 'function' ? (builder(y) as Argv) ?? y : builder ? y.options(builder) : y;
      for (const key of Object.keys((built as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key)) known.add(key);
      return built;
    },
  };
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Hints for yargs' validation messages: the closest known option or command, else where to look. */
function usageHint(message: string, args: readonly string[], commands: readonly AnyCommand[], known: KnownOptions): string {
  const commandNames = commands.map((c) => String(c.command).split(' ')[0]!);
  const command = args.find((a) => commandNames.includes(a));
  const helpHint = `run "roundtable${command ? ` ${command}` : ''} --help" for usage`;
  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  if (unknown) {
    const first = unknown[1]!.split(', ')[0]!;
    const candidates = [...known].filter((k) => k.length > 1).map(kebab);
    const option = closestMatch(first, candidates);
    if (option && args.some((a) => a.startsWith('-'))) return `did you mean --${option}? ${helpHint}`;
    const near = closestMatch(first, commandNames);
    if (near) return `did you mean "roundtable ${near}"? ${helpHint}`;
  }
  return helpHint;
}

function buildParser(args: readonly string[], context: CliContext, commands: readonly AnyCommand[], known: KnownOptions): Argv {
  const { version } = packageInfo();
  const width = context.io.stdout.columns ?? 100;
  let parser = yargs([...args])
    .scriptName('roundtable')
    .usage('$0 <command> [options]\n\nTalk to a small group, peer to peer, from a terminal.')
    .options(globalOptions)
    .global(Object.keys(globalOptions))
    .group(Object.keys(globalOptions), 'Global options:');
  for (const command of commands) parser = parser.command(recordingBuilder(command, known));
  for (const key of Object.keys(globalOptions)) known.add(key);
  return parser
    .example('$0 devices', 'List microphones and speakers')
    .example('$0 config --json', 'Print the effective configuration as JSON')
    .example('$0 completion >> ~/.bashrc', 'Install shell completion')
    .completion('completion', 'Print a shell completion script (bash/zsh)')
    .demandCommand(1, 'Choose a command.')
    .recommendCommands()
    .strict()
    .help()
    .alias('help', 'h')
    .version(version)
    .wrap(Math.min(100, width))
    .env(false)
    .exitProcess(false)
    .fail((message, error) => {
      // yargs calls this with a message for command-line problems (its own
      // validation, and errors thrown by .check()/coerce), and with only an
      // error when a handler failed: the former are usage errors (exit 2).
      if (error instanceof CliError || (error && !message)) throw error;
      // yargs spreads some messages over indented lines; one line reads better.
      const oneLine = (message ?? 'invalid command line').replace(/\s*\n\s*/g, ' ');
      throw new UsageError(oneLine, { hint: usageHint(oneLine, args, commands, known) });
    });
}

/** Stacks are for developers: only with --log-level debug on the command line. */
function wantsDebug(args: readonly string[]): boolean {
  return args.some((a, i) => a === '--log-level=debug' || (a === '--log-level' && args[i + 1] === 'debug'));
}

function reportError(error: unknown, args: readonly string[], io: CliIo): void {
  const json = args.includes('--json') || args.includes('--json=true');
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof CliError ? error.hint : undefined;
  if (json) {
    const details = error instanceof ConfigError ? { source: error.source, problems: error.problems, line: error.line } : {};
    const kind = error instanceof CliError ? error.kind : 'runtime';
    io.stderr.write(JSON.stringify({ error: { kind, message, hint, exitCode: exitCodeFor(error), ...details } }) + '\n');
  } else {
    io.stderr.write(`roundtable: ${message}\n`);
    if (hint) io.stderr.write(`hint: ${hint}\n`);
  }
  if (wantsDebug(args) && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
}

/**
 * Runs one command line (arguments after the program name, as from
 * `hideBin(process.argv)`) and returns the exit code. Never calls
 * process.exit, so tests run it in-process with captured output.
 */
export async function runCli(args: string[], io?: CliIo, options: RunOptions = {}): Promise<number> {
  const context: CliContext = {
    io: io ?? { stdout: process.stdout, stderr: process.stderr },
    cwd: options.cwd ?? process.cwd(),
    homeDir: options.homeDir,
    env: options.env ?? process.env,
    ...(options.listDevices ? { listDevices: options.listDevices } : {}),
  };
  const known: KnownOptions = new Set();
  const commands = options.commands ?? COMMANDS;
  try {
    let output = '';
    await runWithContext(context, () =>
      buildParser(args, context, commands, known).parseAsync(args, {}, (_error, _argv, text) => {
        // With a parse callback yargs hands us --help/--version/completion
        // text instead of printing it to the real stdout.
        output = text;
      }),
    );
    if (output) context.io.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
    return EXIT_OK;
  } catch (error) {
    reportError(error, args, context.io);
    return exitCodeFor(error);
  }
}

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

/**
 * A reader that goes away (`roundtable create | head -1`) makes every later
 * write to stdout fail with EPIPE, which Node raises as an 'error' event:
 * unhandled, it crashed the process mid-call and left its media process
 * behind. The output is simply no longer wanted; the call goes on and ends
 * as it would have (exit code included). Any other stream error still throws.
 */
function ignoreClosedReader(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

if (isEntryPoint()) {
  ignoreClosedReader(process.stdout);
  ignoreClosedReader(process.stderr);
  const code = await runCli(hideBin(process.argv));
  // A handler may already have set a failure code (and returned normally).
  if (code !== EXIT_OK || process.exitCode === undefined) process.exitCode = code;
}
