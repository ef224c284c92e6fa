import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findPackageInfo, packageInfo } from '../../src/core/package-info.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('packageInfo', () => {
  it('finds this repository from the sources (as it does from dist/src/core)', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(packageInfo()).toEqual({ root: repoRoot, name: 'roundtable', version: pkg.version });
  });
});

describe('findPackageInfo', () => {
  it('walks up past other packages to the nearest one named roundtable', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'rt-pkg-'));
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'roundtable', version: '9.8.7' }));
    const dep = path.join(root, 'node_modules', 'other');
    const deep = path.join(dep, 'dist', 'src', 'core');
    mkdirSync(deep, { recursive: true });
    writeFileSync(path.join(dep, 'package.json'), JSON.stringify({ name: 'other', version: '1.0.0' }));
    writeFileSync(path.join(deep, 'package.json'), '{ not json');
    expect(findPackageInfo(deep)).toEqual({ root, name: 'roundtable', version: '9.8.7' });
  });

  it('falls back to the working directory and version "unknown" when there is none', () => {
    const lone = mkdtempSync(path.join(tmpdir(), 'rt-pkg-none-'));
    const found = findPackageInfo(lone);
    // A roundtable package.json above the temporary directory would be found instead; there is none on a sane machine.
    expect(found).toEqual({ root: process.cwd(), name: 'roundtable', version: 'unknown' });
  });
});
