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

/** `parentUrl` is the caller's `import.meta.url`; `childBaseName` the sibling module's name without extension. */
export function siblingEntry(parentUrl: string, childBaseName: string): ChildEntry {
  const here = fileURLToPath(parentUrl);
  const dir = here.slice(0, here.lastIndexOf('/') + 1);
  if (here.endsWith('.ts')) {
    const tsxLoader = createRequire(parentUrl).resolve('tsx');
    return { script: `${dir}${childBaseName}.ts`, execArgv: ['--import', pathToFileURL(tsxLoader).href] };
  }
  return { script: `${dir}${childBaseName}.js`, execArgv: [] };
}
