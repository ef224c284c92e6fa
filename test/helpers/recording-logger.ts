/** A Logger that keeps every line in memory, with the fields its children bind (tests read what was logged). */
import type { LogFields, Logger, LogLevel } from '../../src/core/logger.js';

export interface LoggedLine {
  level: Exclude<LogLevel, 'silent'>;
  event: string;
  fields: LogFields;
}

export function recordingLogger(lines: LoggedLine[] = [], bound: LogFields = {}): Logger & { lines: LoggedLine[] } {
  const at = (level: LoggedLine['level']) => (event: string, fields: LogFields = {}): void => {
    lines.push({ level, event, fields: { ...bound, ...fields } });
  };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (f) => recordingLogger(lines, { ...bound, ...f }),
    close: async () => undefined,
  };
}
