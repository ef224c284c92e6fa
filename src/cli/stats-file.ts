/**
 * The `--stats` file of the session commands: one JSON report written on
 * exit (bench/ and test/e2e read it), and the process figures every report
 * carries.
 */
import { writeFile } from 'node:fs/promises';
import { RuntimeError } from '../core/errors.js';

export { processFigures, type ProcessFigures } from '../core/process-figures.js';

/** Write `report` as indented JSON; a failure is a runtime error naming the file. */
export async function writeStatsFile(file: string, report: object): Promise<void> {
  try {
    await writeFile(file, JSON.stringify(report, null, 2) + '\n');
  } catch (err) {
    throw new RuntimeError(`cannot write --stats file "${file}": ${(err as Error).message}`);
  }
}
