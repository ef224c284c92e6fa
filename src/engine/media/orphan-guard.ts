/**
 * The last guard against a media process that outlives its participant
 * (docs/architecture.md §1, §6).
 *
 * Normally the media process stops by itself when its control process goes
 * away: the IPC channel closes and media-process.ts stops in order. That
 * needs its JavaScript thread. libdatachannel 0.24.5 can deadlock through a
 * TURN relay with every thread of ours parked on a native lock (§6); the
 * control process's watchdog ends such a process (remote-media.ts), but a
 * control process that was itself killed first (SIGKILL, a crash) leaves
 * the deadlocked one behind for good.
 *
 * So a small worker thread, with its own event loop that no lock of the
 * main thread reaches, watches the parent pid. Once the process has been
 * re-parented (its control process is gone) for `graceMs`, time in which a
 * healthy process finishes its own orderly stop and exits, the worker
 * SIGKILLs the process. It never acts while the control process lives, and
 * it does not keep the process alive (unref'd).
 */
import { Worker } from 'node:worker_threads';

/** Long enough for an orderly stop (links closed, an output file finished: well under 1 s measured, 5 s per stop step at worst, media-host.ts). */
export const ORPHAN_GRACE_MS = 10_000;
const ORPHAN_CHECK_MS = 500;

// CommonJS, as an eval'd worker runs. process.ppid is read from the kernel each time.
const GUARD_SOURCE = `
const { workerData } = require('node:worker_threads');
let orphanSinceMs = null;
setInterval(() => {
  if (process.ppid === workerData.parentPid) return;
  if (orphanSinceMs === null) orphanSinceMs = Date.now();
  if (Date.now() - orphanSinceMs >= workerData.graceMs) process.kill(process.pid, 'SIGKILL');
}, workerData.checkMs);
`;

export interface OrphanGuardOptions {
  /** The control process's pid (default: our parent now). */
  readonly parentPid?: number;
  readonly graceMs?: number;
  readonly checkMs?: number;
}

/** Start the guard thread; it lives as long as the process. */
export function startOrphanGuard(options: OrphanGuardOptions = {}): Worker {
  const worker = new Worker(GUARD_SOURCE, {
    eval: true,
    workerData: { parentPid: options.parentPid ?? process.ppid, graceMs: options.graceMs ?? ORPHAN_GRACE_MS, checkMs: options.checkMs ?? ORPHAN_CHECK_MS },
    // A few timers and numbers: keep its heap small.
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
    stdout: false,
    stderr: false,
  });
  worker.unref();
  return worker;
}
