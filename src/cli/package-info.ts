/**
 * Finds our own package.json (for --version and to recognize bin/roundtable)
 * by walking up from this module: the same code runs from src/cli/ (tsx,
 * tests) and from dist/src/cli/ (built), at different depths.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  root: string;
  name: string;
  version: string;
}

let cached: PackageInfo | undefined;

export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'roundtable' && typeof pkg.version === 'string') {
        cached = { root: dir, name: pkg.name, version: pkg.version };
        return cached;
      }
    } catch {
      // no (readable) package.json here: keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) return { root: process.cwd(), name: 'roundtable', version: 'unknown' };
    dir = parent;
  }
}
