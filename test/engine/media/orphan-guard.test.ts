/**
 * The orphan guard (src/engine/media/orphan-guard.ts) with real processes:
 * a control stand-in forks a media stand-in whose JavaScript thread is
 * parked for good; killing the control stand-in with SIGKILL must not leave
 * the other behind, and while the control stand-in lives nothing happens.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'orphan-guard.child.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Alive and not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** A control stand-in that forks the media stand-in and passes its "ready PID" line on. */
async function controlWithParkedMedia(graceMs: number): Promise<{ control: ReturnType<typeof spawn>; mediaPid: number }> {
  const script = `const { spawn } = require('node:child_process');
const c = spawn(process.execPath, ['--import', ${JSON.stringify(TSX)}, ${JSON.stringify(CHILD)}, '${graceMs}'], { stdio: ['ignore', 'inherit', 'inherit'] });
setInterval(() => {}, 1000);`;
  const control = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  leftovers.push(control.pid!);
  const mediaPid = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ready line: ${out}`)), 20_000);
    control.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  leftovers.push(mediaPid);
  return { control, mediaPid };
}

describe('orphan guard', () => {
  it('ends a media process whose thread is parked once its control process was killed, after the grace', async () => {
    const { control, mediaPid } = await controlWithParkedMedia(300);
    // Parked, but its control process lives: the guard leaves it alone.
    await new Promise((r) => setTimeout(r, 800));
    expect(running(mediaPid)).toBe(true);
    const killedAt = performance.now();
    control.kill('SIGKILL');
    while (running(mediaPid) && performance.now() - killedAt < 10_000) await new Promise((r) => setTimeout(r, 50));
    const goneAfterMs = performance.now() - killedAt;
    expect(running(mediaPid), 'the orphaned media process is still there').toBe(false);
    // Not before the grace (300 ms) it had for an orderly stop of its own.
    expect(goneAfterMs).toBeGreaterThanOrEqual(250);
  });
});
