/**
 * What a command handler needs from the outside world, passed down without
 * globals: where to write, which directory/home/env to read config from.
 * `runCli` installs one per run (AsyncLocalStorage), so tests run the CLI
 * in-process with captured output and a temporary home directory.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DeviceInfo } from '../engine/audio/device.js';

/** Lists the sound devices (the engine's, or a test's). */
export type ListDevices = () => Promise<DeviceInfo[]>;

export interface OutputStream {
  write(chunk: string): unknown;
  /** Terminal width when the stream is a TTY. */
  columns?: number;
  /** A terminal: control sequences (a meter redrawn in place) may be written. */
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
}

export interface CliContext {
  io: CliIo;
  cwd: string;
  /** Undefined: the real home directory. */
  homeDir: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Device enumeration; undefined: the audio engine's (tests pass a fixed list). */
  listDevices?: ListDevices;
}

const storage = new AsyncLocalStorage<CliContext>();

export function runWithContext<T>(context: CliContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the running `runCli` call; outside one, the real process. */
export function cliContext(): CliContext {
  return storage.getStore() ?? { io: { stdout: process.stdout, stderr: process.stderr }, cwd: process.cwd(), homeDir: undefined, env: process.env };
}
