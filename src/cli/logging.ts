/**
 * The logger a command should use, from the effective config: level from
 * config (which --log-level already overrode), JSON lines with --json.
 * While the TUI owns the terminal, logs go to `config.logFile`; otherwise to
 * `console` (stderr by default, keeping stdout for the command's own output;
 * headless `join`/`demo` log to stdout, their log lines being their output).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { createLogger, type Logger } from '../core/log.js';
import { RuntimeError } from '../core/errors.js';

export function createCliLogger(
  config: Pick<Config, 'logLevel' | 'logFile'>,
  options: { json?: boolean; toFile: boolean; console?: 'stdout' | 'stderr' },
): Logger {
  if (!options.toFile) return createLogger({ level: config.logLevel, json: options.json === true, destination: options.console ?? 'stderr' });
  try {
    mkdirSync(path.dirname(config.logFile), { recursive: true });
  } catch (error) {
    throw new RuntimeError(`cannot create the log directory for ${config.logFile}: ${(error as Error).message}`, {
      hint: 'set logFile in the config file or pass --log-file FILE',
      cause: error,
    });
  }
  return createLogger({ level: config.logLevel, json: options.json === true, destination: config.logFile });
}
