/**
 * A stand-in media process for orphan-guard.test.ts: starts the guard, says
 * its pid, then parks its JavaScript thread for good (as a native deadlock
 * does), so that only the guard thread can still act.
 */
import { startOrphanGuard } from '../../../src/engine/media/orphan-guard.js';

startOrphanGuard({ graceMs: Number(process.argv[2] ?? 300), checkMs: 50 });
process.stdout.write(`ready ${process.pid}\n`, () => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});
