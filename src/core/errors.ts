/**
 * The CLI's error hierarchy. Each class carries the process exit code it maps
 * to and an optional one-line hint, so `runCli` can print "one clear line plus
 * a hint" for anything thrown anywhere below it:
 *   0 ok · 1 runtime failure · 2 usage or configuration error.
 *
 * This module imports nothing so that any layer (config loader, commands) can
 * throw these without pulling in yargs.
 */
export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

export abstract class CliError extends Error {
  abstract readonly exitCode: number;
  /** Short machine-readable kind, used by `--json` error output. */
  abstract readonly kind: string;
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** Bad command line: unknown option, missing argument, invalid flag value. */
export class UsageError extends CliError {
  readonly exitCode = EXIT_USAGE;
  readonly kind = 'usage';
}

/** One thing wrong in a configuration source. */
export interface ConfigProblem {
  /** Dotted field path, e.g. `jitterBuffer.maxDelayMs`; '' for the whole document. */
  field: string;
  /** The offending value as the user wrote it (undefined when missing). */
  value: unknown;
  /** What the field accepts, phrased to follow "expected". */
  expected: string;
  /** The field itself does not exist in the schema (a typo, most likely). */
  unknownKey?: boolean;
}

/**
 * The configuration cannot be used: unreadable file, YAML syntax error, or a
 * value the schema rejects. `source` names where the bad value came from (a
 * file path, an environment variable, or "command-line flags").
 */
export class ConfigError extends CliError {
  readonly exitCode = EXIT_USAGE;
  readonly kind = 'config';
  readonly source: string;
  readonly problems: readonly ConfigProblem[];
  /** 1-based line of a YAML syntax error, when known. */
  readonly line: number | undefined;

  constructor(
    message: string,
    details: { source: string; problems?: readonly ConfigProblem[]; line?: number; hint?: string; cause?: unknown },
  ) {
    super(message, { hint: details.hint, cause: details.cause });
    this.source = details.source;
    this.problems = details.problems ?? [];
    this.line = details.line;
  }
}

/** Something failed while doing the work (device, network, file I/O). */
export class RuntimeError extends CliError {
  readonly exitCode = EXIT_RUNTIME;
  readonly kind = 'runtime';
}

/** Exit code for anything thrown: ours carry one, anything else is a runtime failure. */
export function exitCodeFor(error: unknown): number {
  return error instanceof CliError ? error.exitCode : EXIT_RUNTIME;
}
