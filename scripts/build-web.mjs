// Builds the browser participant into dist/web: one ES module bundle
// (esbuild) of src/web/main.ts, plus the static files of src/web/static.
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
await build({
  entryPoints: [join(root, 'src', 'web', 'main.ts')],
  outfile: join(outDir, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Browsers with WebCrypto HKDF, RTCPeerConnection.getStats fields and ES2022.
  target: ['chrome110', 'firefox115', 'safari16'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});
