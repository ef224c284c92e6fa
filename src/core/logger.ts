/**
 * The logger interface everything logs through, and the logger that drops
 * everything. Kept apart from log.ts (which writes with pino and node:fs) so
 * that modules the web client shares, such as the room, import no Node code.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` (e.g. the component name). */
  child(fields: LogFields): Logger;
  /** Flush and release the destination (a file stream); a no-op for stdout. */
  close(): Promise<void>;
}

const drop = (): void => {};

/** A logger that drops everything (default for library code and tests). */
export const silentLogger: Logger = {
  debug: drop,
  info: drop,
  warn: drop,
  error: drop,
  child: () => silentLogger,
  close: async () => {},
};
