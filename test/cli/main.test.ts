import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandModule } from 'yargs';
import { COMMANDS } from '../../src/cli/main.js';
import { ConfigError, RuntimeError, UsageError, exitCodeFor } from '../../src/core/errors.js';
import { run, tempDirs } from './run-helper.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

let dirs: ReturnType<typeof tempDirs>;
beforeEach(() => {
  dirs = tempDirs();
});
afterEach(() => rmSync(dirs.root, { recursive: true, force: true }));

describe('runCli: help and version', () => {
  it('--help lists the commands, global options and examples, exit 0', async () => {
    const { code, stdout, stderr } = await run(['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^roundtable <command> \[options\]/);
    for (const command of ['devices', 'config', 'serve', 'completion']) expect(stdout).toContain(`roundtable ${command}`);
    for (const option of ['--config', '--log-level', '--json', '--version', '--help']) expect(stdout).toContain(option);
    expect(stdout).toContain('Examples:');
  });

  it.each(['config', 'devices', 'test-audio'])('%s --help shows its own examples', async (command) => {
    const { code, stdout } = await run([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(`roundtable ${command}`);
    expect(stdout).toMatch(/Examples:\n\s+roundtable /);
    expect(stdout).toContain('--config');
  });

  it.each(['join', 'create', 'demo', 'loopback', 'test-audio'])('%s offers --noise-suppression (and its --no- form)', async (command) => {
    const { code, stdout } = await run([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--noise-suppression');
  });

  it('--no-noise-suppression reaches the effective configuration', async () => {
    const on = await run(['config', '--json']);
    const off = await run(['config', '--no-noise-suppression', '--json']);
    expect(on.code).toBe(0);
    expect(off.code).toBe(0);
    expect(on.stdout).toMatch(/"noiseSuppression":\s*true/);
    expect(off.stdout).toMatch(/"noiseSuppression":\s*false/);
  });

  it('--version prints the package.json version', async () => {
    const { code, stdout } = await run(['--version']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${version}\n`);
  });

  it('completion prints a shell completion script', async () => {
    const { code, stdout } = await run(['completion']);
    expect(code).toBe(0);
    expect(stdout).toContain('complete -o bashdefault -o default -F _roundtable_yargs_completions roundtable');
  });

  it('completion answers with matching commands', async () => {
    const { code, stdout } = await run(['--get-yargs-completions', 'roundtable', 'dev']);
    expect(code).toBe(0);
    expect(stdout.split('\n')).toContain('devices');
  });
});

describe('runCli: usage errors exit 2 with one line and a hint', () => {
  it('an unknown option suggests the near one', async () => {
    const { code, stdout, stderr } = await run(['config', '--servr', 'ws://x']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('roundtable: Unknown argument: servr\nhint: did you mean --server? run "roundtable config --help" for usage\n');
  });

  it('an unknown option with no near match points at --help', async () => {
    const { code, stderr } = await run(['devices', '--zzzzzz']);
    expect(code).toBe(2);
    expect(stderr).toBe('roundtable: Unknown argument: zzzzzz\nhint: run "roundtable devices --help" for usage\n');
  });

  it('a bad value for a global option', async () => {
    const { code, stderr } = await run(['config', '--log-level', 'loud']);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe('roundtable: Invalid values: Argument: log-level, Given: "loud", Choices: "debug", "info", "warn", "error", "silent"');
    expect(stderr).toContain('hint: run "roundtable config --help" for usage');
  });

  it('a bad value for a command option', async () => {
    const { code, stderr } = await run(['config', '--frame-ms', '30']);
    expect(code).toBe(2);
    expect(stderr).toContain('Argument: frame-ms, Given: 30, Choices: 10, 20, 40');
  });

  it('an option missing its value', async () => {
    const { code, stderr } = await run(['config', '--config']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^roundtable: Not enough arguments following: config\n/);
  });

  it('no command at all', async () => {
    const { code, stderr } = await run([]);
    expect(code).toBe(2);
    expect(stderr).toBe('roundtable: Choose a command.\nhint: run "roundtable --help" for usage\n');
  });

  it('a misspelled command is recommended', async () => {
    const { code, stderr } = await run(['confg']);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe('roundtable: Did you mean config?');
  });

  it('errors from a command .check() are usage errors too', async () => {
    const { code, stderr } = await run(['serve', '--port', '99999']);
    expect(code).toBe(2);
    expect(stderr).toBe('roundtable: --port must be 0..65535, got 99999\nhint: run "roundtable serve --help" for usage\n');
  });

  it('--json turns errors into one JSON line', async () => {
    const { code, stderr } = await run(['config', '--json', '--bogus']);
    expect(code).toBe(2);
    expect(JSON.parse(stderr)).toMatchObject({ error: { kind: 'usage', message: 'Unknown argument: bogus', exitCode: 2 } });
  });
});

describe('runCli: runtime errors and exit codes', () => {
  const failing = (error: unknown): CommandModule => ({
    command: 'boom',
    describe: 'fails',
    handler: async () => {
      throw error;
    },
  });

  it('a RuntimeError exits 1 with its message and hint, no stack', async () => {
    const { code, stderr } = await run(['boom'], { commands: [failing(new RuntimeError('the sound card left', { hint: 'plug it back in' }))] });
    expect(code).toBe(1);
    expect(stderr).toBe('roundtable: the sound card left\nhint: plug it back in\n');
  });

  it('any other error is a runtime failure (exit 1); the stack only with --log-level debug', async () => {
    const plain = await run(['boom'], { commands: [failing(new TypeError('x is not a function'))] });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe('roundtable: x is not a function\n');

    const debug = await run(['boom', '--log-level', 'debug'], { commands: [failing(new TypeError('x is not a function'))] });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^roundtable: x is not a function\nTypeError: x is not a function\n\s+at /);
  });

  it('maps the error classes to exit codes', () => {
    expect(exitCodeFor(new UsageError('u'))).toBe(2);
    expect(exitCodeFor(new ConfigError('c', { source: 'f' }))).toBe(2);
    expect(exitCodeFor(new RuntimeError('r'))).toBe(1);
    expect(exitCodeFor(new Error('e'))).toBe(1);
    expect(exitCodeFor('a string')).toBe(1);
  });

  it('registers each command exactly once', () => {
    const names = COMMANDS.map((c) => String(c.command).split(' ')[0]);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['config', 'devices', 'serve', 'test-audio']));
  });
});

describe('the real entry point', () => {
  it('runs as a program and sets the process exit code', () => {
    // tsx resolved from the repo, since the child runs in a temp directory.
    const tsx = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
    const result = spawnSync(process.execPath, ['--import', tsx, path.join(repoRoot, 'src/cli/main.ts'), 'config', '--frame-ms', '30'], {
      cwd: dirs.cwd,
      env: { ...process.env, HOME: dirs.home },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('roundtable: Invalid values: Argument: frame-ms, Given: 30');
    expect(result.stdout).toBe('');
  });
});
