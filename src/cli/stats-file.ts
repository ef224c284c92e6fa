/**
 * The `--stats` file of the session commands: one JSON report written on
 * exit (bench/ and test/e2e read it), and the process figures every report
 * carries.
 */
import { writeFile } from 'node:fs/promises';
import { RuntimeError } from '../core/errors.js';

/** CPU time, peak RSS and uptime of this process so far. */
export interface ProcessFigures {
  cpuUserMs: number;
  cpuSystemMs: number;
  maxRssBytes: number;
  uptimeMs: number;
}

export function processFigures(): ProcessFigures {
  const cpu = process.cpuUsage();
  return {
    cpuUserMs: Math.round(cpu.user / 1000),
    cpuSystemMs: Math.round(cpu.system / 1000),
    // getrusage(2) reports ru_maxrss in KiB on Linux.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    uptimeMs: Math.round(process.uptime() * 1000),
  };
}

/** Write `report` as indented JSON; a failure is a runtime error naming the file. */
export async function writeStatsFile(file: string, report: object): Promise<void> {
  try {
    await writeFile(file, JSON.stringify(report, null, 2) + '\n');
  } catch (err) {
    throw new RuntimeError(`cannot write --stats file "${file}": ${(err as Error).message}`);
  }
}
