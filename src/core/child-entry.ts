/**
 * Where a child process's entry module is, next to the module that starts
 * it: compiled JavaScript under dist/, or the TypeScript source under
 * vitest/tsx, which the child then runs through tsx as well. Used for the
 * audio device process and the media process (docs/architecture.md §1).
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface ChildEntry {
  readonly script: string;
  readonly execArgv: string[];
}

/**
 * A participant started with `node --cpu-prof` (V8's profiler) or
 * `--perf-basic-prof` (JavaScript names for Linux perf) profiles its
 * children too (the media work is in them, docs/architecture.md §1, §12);
 * nothing else of the parent's Node options is passed on.
 */
function inheritedProfiling(): string[] {
  return process.execArgv.filter((a) => a.startsWith('--cpu-prof') || a.startsWith('--perf-basic-prof'));
}

/** `parentUrl` is the caller's `import.meta.url`; `childBaseName` the sibling module's name without extension. */
export function siblingEntry(parentUrl: string, childBaseName: string): ChildEntry {
  const here = fileURLToPath(parentUrl);
  const dir = here.slice(0, here.lastIndexOf('/') + 1);
  if (here.endsWith('.ts')) {
    const tsxLoader = createRequire(parentUrl).resolve('tsx');
    return { script: `${dir}${childBaseName}.ts`, execArgv: ['--import', pathToFileURL(tsxLoader).href, ...inheritedProfiling()] };
  }
  return { script: `${dir}${childBaseName}.js`, execArgv: inheritedProfiling() };
}
