/**
 * Native lifecycle: every process that used the mesh must exit by itself,
 * with code 0 and no signal, however the garbage collector interleaves with
 * closing links. Each case runs native-lifecycle.child.ts in its own process
 * (a crash there must not take the test worker down), with forced GC at the
 * moment that used to be fatal.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'native-lifecycle.child.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

function runChild(args: string[], timeoutMs: number): Promise<Exit> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--expose-gc', '--import', TSX, CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, timeoutMs);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr });
    });
  });
}

describe('native lifecycle (child processes)', () => {
  it('links closed from a socket event and collected before the next poll phase: shutdownMesh() and a clean exit', async () => {
    const r = await runChild(['links', '6'], 45_000);
    expect({ code: r.code, signal: r.signal, timedOut: r.timedOut }, r.stderr.slice(-2000)).toEqual({ code: 0, signal: null, timedOut: false });
    expect(r.stdout).toContain('child-done');
  }, 90_000);

  it('node-datachannel 0.33 alone: a Track that JS forgets makes cleanup() touch freed memory (the fault PeerLink works around)', async () => {
    // TrackWrapper's destructor does not remove it from TrackWrapper::instances,
    // which cleanup() walks. If this starts to exit cleanly, the library
    // fixed it and mesh/native.ts may stop holding Tracks until cleanup().
    const r = await runChild(['raw-track'], 30_000);
    expect(r.code === 0 && r.signal === null, `exit ${String(r.code)} signal ${String(r.signal)}`).toBe(false);
  }, 60_000);
});
