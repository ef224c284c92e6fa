/**
 * `roundtable serve --sfu-threshold N --mesh-threshold N` (docs/architecture.md
 * §11, "Switching at a size"): numbers that cannot work are usage errors
 * (exit 2) before anything starts, from the flags and from the config file.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultRoomLimit } from '../../../src/server/index.js';
import { run, tempDirs } from '../run-helper.js';

describe('roundtable serve: switching thresholds', () => {
  it('the room limit is 8 for a mesh-only server and 25 with --janus (large rooms go through the SFU); --help says so', async () => {
    expect(defaultRoomLimit(undefined)).toBe(8);
    expect(defaultRoomLimit('ws://127.0.0.1:8188')).toBe(25);
    const help = await run(['serve', '--help']);
    expect(help.stdout).toContain('default 8; 25 with --janus');
    const bad = await run(['serve', '--port', '0', '--no-web', '--max-peers', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-peers must be an integer >= 2, got 1');
  });

  it('a negative or fractional threshold, and a mesh threshold above the SFU one, are usage errors', async () => {
    const negative = await run(['serve', '--port', '0', '--no-web', '--janus', 'ws://127.0.0.1:8188', '--sfu-threshold', '-1']);
    expect(negative.code).toBe(2);
    expect(negative.stderr).toContain('--sfu-threshold must be a whole number >= 0, got -1');
    const above = await run(['serve', '--port', '0', '--no-web', '--janus', 'ws://127.0.0.1:8188', '--sfu-threshold', '2', '--mesh-threshold', '3']);
    expect(above.code).toBe(2);
    expect(above.stderr).toContain('the mesh threshold must be an integer from 1 to the SFU threshold (2), got 3');
  });

  it('reads serve.meshThreshold from the config file (a bad one is refused the same way)', async () => {
    const { cwd, home } = tempDirs();
    writeFileSync(path.join(cwd, '.roundtablerc.yaml'), 'serve:\n  sfuThreshold: 3\n  meshThreshold: 5\n');
    const r = await run(['serve', '--port', '0', '--no-web', '--janus', 'ws://127.0.0.1:8188'], { cwd, homeDir: home });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the mesh threshold must be an integer from 1 to the SFU threshold (3), got 5');
  });
});
