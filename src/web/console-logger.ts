/**
 * The engine's Logger (core/logger.ts) on the browser console. Debug lines
 * are dropped unless asked for; warnings and errors reach the console, where
 * the browser tests read them (a console error fails a test).
 */
import type { LogFields, Logger, LogLevel } from '../core/logger.js';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

export function consoleLogger(level: LogLevel, fields: LogFields = {}, sink: Pick<Console, 'debug' | 'info' | 'warn' | 'error'> = console): Logger {
  const emit = (at: Exclude<LogLevel, 'silent'>) => (event: string, more?: LogFields) => {
    if (RANK[at] < RANK[level]) return;
    sink[at](`roundtable ${event}`, { ...fields, ...more });
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (more) => consoleLogger(level, { ...fields, ...more }, sink),
    close: async () => {},
  };
}
