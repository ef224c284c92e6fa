// Builds the browser participant into dist/web: one ES module bundle
// (esbuild) of src/web/main.ts (app.js), one of the SFrame worker that the
// page's encoded transforms run in (src/web/sframe-transform.ts →
// sframe-worker.js, a classic worker script), plus the static files of
// src/web/static.
// `roundtable serve` serves exactly this directory (docs/architecture.md §7).
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'web');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
cpSync(join(root, 'src', 'web', 'static'), outDir, { recursive: true });
const common = {
  bundle: true,
  platform: 'browser',
  // Browsers with WebCrypto HKDF, RTCPeerConnection.getStats fields and ES2022.
  target: ['chrome110', 'firefox115', 'safari16'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
};
// The SFU path (src/web/browser-sfu.ts, with the Janus client and zod) is a chunk of its own, loaded only in a room through the SFU.
await build({
  ...common,
  entryPoints: { app: join(root, 'src', 'web', 'main.ts') },
  outdir: outDir,
  format: 'esm',
  splitting: true,
  chunkNames: 'chunk-[hash]',
});
await build({ ...common, entryPoints: [join(root, 'src', 'web', 'sframe-transform.ts')], outfile: join(outDir, 'sframe-worker.js'), format: 'iife' });
