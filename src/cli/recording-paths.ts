/**
 * Where the call recordings of a `join`, `create` or `demo` go
 * (docs/architecture.md §2, "Recording"): the session asks this with what
 * the user gave (`--record FILE`, `ctl record start FILE`, nothing for the
 * record key) and hands the absolute path to the media process, which
 * creates the file (and never overwrites one: recording-file.ts).
 *
 * - A file name is taken from the directory roundtable runs in (`ctl`
 *   resolves its own argument in its own directory before sending it).
 * - A directory (an existing one, or a name ending in /) gets a dated name.
 * - Nothing: a dated name in config `recordDirectory` (created if missing),
 *   else in the directory roundtable runs in.
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { defaultRecordingName } from '../engine/audio/recording-file.js';

export interface RecordingPathOptions {
  /** The directory roundtable runs in. */
  readonly cwd: string;
  /** config `recordDirectory` (~ already expanded), if set. */
  readonly directory?: string | undefined;
  /** Wall-clock time for the dated name (tests). */
  readonly now?: () => Date;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The resolver a Session takes as `recording.path`; throws an Error that says what is wrong. */
export function recordingPaths(opts: RecordingPathOptions): (requested: string | undefined) => string {
  const now = opts.now ?? (() => new Date());
  return (requested) => {
    if (requested !== undefined) {
      const resolved = path.resolve(opts.cwd, requested);
      return requested.endsWith('/') || isDirectory(resolved) ? path.join(resolved, defaultRecordingName(now())) : resolved;
    }
    const dir = path.resolve(opts.cwd, opts.directory ?? '.');
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new Error(`cannot create the recording directory ${dir} (config recordDirectory): ${err instanceof Error ? err.message : String(err)}`);
    }
    return path.join(dir, defaultRecordingName(now()));
  };
}
