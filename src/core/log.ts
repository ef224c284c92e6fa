/**
 * One logger for the CLI, the engine and the signaling server: one line per
 * event, `event` first, then fields. Text by default (readable in a
 * terminal), JSON lines with `json: true` (via pino). While the TUI owns the
 * terminal the CLI points `destination` at the log file instead of stdout.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { pino } from 'pino';

import type { LogFields, Logger, LogLevel } from './logger.js';

export { LOG_LEVELS, silentLogger, type LogFields, type Logger, type LogLevel } from './logger.js';

export interface LoggerOptions {
  level?: LogLevel;
  json?: boolean;
  /** 'stdout' (default), 'stderr', or a file path (appended). */
  destination?: 'stdout' | 'stderr' | string;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

type Sink = { write(line: string): void; end?: (cb: () => void) => void };

function openSink(destination: string): { sink: Sink; file?: WriteStream } {
  if (destination === 'stdout') return { sink: process.stdout };
  if (destination === 'stderr') return { sink: process.stderr };
  const file = createWriteStream(destination, { flags: 'a' });
  return { sink: file, file };
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /[\s="]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'bigint') return v.toString();
  if (v !== null && typeof v === 'object') return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
}

/** `12:00:01.234 info  peer-joined peer=ab12 name=alice` */
export function formatTextLine(level: LogLevel, event: string, fields: LogFields, date = new Date()): string {
  const time = date.toISOString().slice(11, 23);
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${formatValue(v)}`);
  return `${time} ${level.padEnd(5)} ${event}${parts.length ? ' ' + parts.join(' ') : ''}\n`;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const { sink, file } = openSink(options.destination ?? 'stdout');
  const json = options.json === true;
  const base = json
    ? pino(
        {
          level: level === 'silent' ? 'silent' : level,
          base: undefined,
          messageKey: 'event',
          timestamp: pino.stdTimeFunctions.isoTime,
          formatters: { level: (label) => ({ level: label }) },
        },
        { write: (s: string) => sink.write(s) },
      )
    : undefined;

  const make = (bound: LogFields): Logger => {
    const emit = (lvl: Exclude<LogLevel, 'silent'>, event: string, fields?: LogFields): void => {
      if (RANK[lvl] < RANK[level]) return;
      const all = { ...bound, ...fields };
      if (base) base[lvl](all, event);
      else sink.write(formatTextLine(lvl, event, all));
    };
    return {
      debug: (e, f) => emit('debug', e, f),
      info: (e, f) => emit('info', e, f),
      warn: (e, f) => emit('warn', e, f),
      error: (e, f) => emit('error', e, f),
      child: (f) => make({ ...bound, ...f }),
      close: () => new Promise<void>((resolve) => (file ? file.end(() => resolve()) : resolve())),
    };
  };
  return make({});
}

