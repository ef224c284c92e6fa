/**
 * Finds our own package.json by walking up from this module: the same code
 * runs from src/core/ (tsx, tests) and from dist/src/core/ (built), at
 * different depths. Its directory is the package root, where the files we
 * ship beside the code live (bin/, fixtures/, the built web client in
 * dist/web/). The one home for "where is the package" (--version,
 * recognizing bin/roundtable, the demo's fixtures, the served web client).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  root: string;
  name: string;
  version: string;
}

const PACKAGE_NAME = 'roundtable';

let cached: PackageInfo | undefined;

/** Our package, found from this module's location (cached). */
export function packageInfo(): PackageInfo {
  cached ??= findPackageInfo(path.dirname(fileURLToPath(import.meta.url)));
  return cached;
}

/**
 * The nearest package.json named "roundtable" at or above `startDir`; other
 * packages' package.json files on the way (a dependency's, a workspace's) are
 * skipped. Without one, the working directory with version "unknown".
 */
export function findPackageInfo(startDir: string): PackageInfo {
  let dir = path.resolve(startDir);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return { root: dir, name: pkg.name, version: pkg.version };
    } catch {
      // no (readable) package.json here: keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) return { root: process.cwd(), name: PACKAGE_NAME, version: 'unknown' };
    dir = parent;
  }
}
