/**
 * Who gets the CPU first when there is not enough of it (docs/architecture.md
 * §1). The media process runs the real-time path (capture, encode, send,
 * receive, mix, playback); the control process runs the terminal UI and
 * signaling, whose work can wait a few milliseconds without anyone hearing
 * it. On a busy 2-core machine a render of the UI that holds a core delays
 * the media process's 10 ms ticks (measured: capture lateness p99 4.4–4.8 ms
 * with keys pressed 40 times a second, 1.4–2.6 ms headless; bench/results.md).
 *
 * So, as a sound server does for its audio thread (PulseAudio through
 * rtkit), the media process is raised where the system allows it (root, or
 * CAP_SYS_NICE / an RLIMIT_NICE that permits it), and the control process
 * lowers itself a little, which every user may do. The media process is
 * raised before it spawns its audio device process, which inherits the
 * priority. Nothing here ever fails the call: a refusal is logged once.
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import type { Logger } from '../../core/logger.js';
import type { EnginePriority } from './media-port.js';

/** The niceness asked for the media process (setpriority(2): −20 highest … 19 lowest). */
export const MEDIA_PROCESS_NICE = -10;
/** How much the control process lowers itself (nice(2) step; at most 19). */
export const CONTROL_PROCESS_NICE_STEP = 5;

export interface PriorityCalls {
  getPriority(pid?: number): number;
  setPriority(pid: number, priority: number): void;
}

export interface SchedulingOutcome {
  /** The media process's niceness now (unchanged where raising was refused). */
  mediaNice: number | null;
  mediaRaised: boolean;
  controlNice: number | null;
}

/** Favour `mediaPid` over this (the control) process; `calls` is node:os unless a test injects its own. */
export function favourMediaProcess(mediaPid: number, log: Logger, calls: PriorityCalls = os): SchedulingOutcome {
  let mediaNice: number | null = null;
  let mediaRaised = false;
  let controlNice: number | null = null;
  try {
    const before = calls.getPriority(mediaPid);
    mediaNice = before;
    if (before > MEDIA_PROCESS_NICE) {
      calls.setPriority(mediaPid, MEDIA_PROCESS_NICE);
      mediaNice = MEDIA_PROCESS_NICE;
      mediaRaised = true;
    }
  } catch (err) {
    // EACCES / EPERM for an unprivileged user: the usual case on a desktop.
    log.debug('media-priority-refused', { reason: (err as Error).message });
  }
  try {
    const own = calls.getPriority();
    const lowered = Math.min(19, own + CONTROL_PROCESS_NICE_STEP);
    if (lowered !== own) calls.setPriority(0, lowered);
    controlNice = lowered;
  } catch (err) {
    log.debug('control-priority-refused', { reason: (err as Error).message });
  }
  log.info('scheduling', { mediaNice, mediaRaised, controlNice });
  return { mediaNice, mediaRaised, controlNice };
}

/**
 * Real-time round-robin priority (sched(7), SCHED_RR 1–99) asked for every
 * thread of the media process. Below PulseAudio's own real-time threads
 * (priority 5 by default), so the sound server that feeds the card still
 * comes first.
 *
 * Why beyond nice: a lower nice value gives the media process a larger
 * share of the CPU, but on a busy core the scheduler still lets a render of
 * the UI finish its slice before the media process runs. Measured with
 * bench/p2p-latency.ts, talker in the terminal UI with keys pressed 40
 * times a second (3 calls each, one run): at nice −10 the talker's capture
 * lateness p99 was 3.75–4.25 ms and mouth-to-ear 40.2 ms median; with
 * SCHED_RR 1.15 ms in every call and 33.7 ms. A real-time task is woken
 * ahead of every ordinary one. Linux's real-time throttling
 * (sched_rt_runtime_us, 95 % of each second by default) keeps a media
 * process that ever spun from locking the machine, and the control
 * process's watchdog ends one that stops answering (remote-media.ts).
 */
export const MEDIA_REALTIME_PRIORITY = 4;

/** Runs `chrt` (util-linux); a test injects its own. */
export type ChrtRunner = (args: readonly string[]) => Promise<void>;

const runChrt: ChrtRunner = (args) =>
  new Promise((resolve, reject) => {
    execFile('chrt', [...args], { timeout: 2000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(stderr.trim() || err.message));
      else resolve();
    });
  });

/**
 * Put every thread of `mediaPid` in SCHED_RR at MEDIA_REALTIME_PRIORITY,
 * where the system allows it (root, CAP_SYS_NICE, or an RLIMIT_RTPRIO such
 * as the `audio` group often has). Threads it creates later inherit the
 * policy, and so does its audio device process: the caller waits for this
 * before the media process opens its devices, and asks only once the
 * process has loaded its code (the few hundred milliseconds of compiling
 * would otherwise hold a core from everything else). Resolves to whether it was
 * granted; a refusal, or no `chrt`, is logged and the call goes on at the
 * nice value above.
 */
export async function raiseMediaToRealtime(mediaPid: number, log: Logger, run: ChrtRunner = runChrt): Promise<boolean> {
  try {
    await run(['--all-tasks', '--rr', '--pid', String(MEDIA_REALTIME_PRIORITY), String(mediaPid)]);
    log.info('scheduling-realtime', { granted: true, policy: 'SCHED_RR', priority: MEDIA_REALTIME_PRIORITY });
    return true;
  } catch (err) {
    log.info('scheduling-realtime', { granted: false, reason: (err as Error).message });
    return false;
  }
}

/** What the user is shown (SelfMediaState.priority): real time if granted, else raised where the nice value is below 0. */
export function enginePriority(realtime: boolean, mediaNice: number | null): EnginePriority {
  if (realtime) return 'realtime';
  return mediaNice !== null && mediaNice < 0 ? 'raised' : 'normal';
}
