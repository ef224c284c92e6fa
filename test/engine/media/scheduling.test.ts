import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { CONTROL_PROCESS_NICE_STEP, enginePriority, favourMediaProcess, MEDIA_PROCESS_NICE, MEDIA_REALTIME_PRIORITY, raiseMediaToRealtime, type PriorityCalls } from '../../../src/engine/media/scheduling.js';

/** A process table of nice values; `privileged` decides whether a raise (a lower value) is allowed, as setpriority(2) does. */
function table(privileged: boolean, nices: Record<number, number>) {
  const SELF = 100;
  const calls: PriorityCalls = {
    getPriority: (pid = 0) => nices[pid === 0 ? SELF : pid] ?? 0,
    setPriority: (pid, priority) => {
      const id = pid === 0 ? SELF : pid;
      if (!privileged && priority < (nices[id] ?? 0)) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      nices[id] = priority;
    },
  };
  return { calls, nices, SELF };
}

describe('favourMediaProcess', () => {
  it('raises the media process and lowers the control process where allowed', () => {
    const t = table(true, { 100: 0, 7: 0 });
    expect(favourMediaProcess(7, silentLogger, t.calls)).toEqual({ mediaNice: MEDIA_PROCESS_NICE, mediaRaised: true, controlNice: CONTROL_PROCESS_NICE_STEP });
    expect(t.nices).toEqual({ 100: CONTROL_PROCESS_NICE_STEP, 7: MEDIA_PROCESS_NICE });
  });

  it('unprivileged: the media process keeps its priority, the control process still steps back, nothing throws', () => {
    const t = table(false, { 100: 0, 7: 0 });
    expect(favourMediaProcess(7, silentLogger, t.calls)).toEqual({ mediaNice: 0, mediaRaised: false, controlNice: CONTROL_PROCESS_NICE_STEP });
    expect(t.nices[7]).toBe(0);
  });

  it('never lowers a media process already above the asked priority, and stops the control process at 19', () => {
    const t = table(true, { 100: 17, 7: -15 });
    expect(favourMediaProcess(7, silentLogger, t.calls)).toEqual({ mediaNice: -15, mediaRaised: false, controlNice: 19 });
    expect(t.nices).toEqual({ 100: 19, 7: -15 });
  });

  it('a media process that is already gone (ESRCH) is logged, not thrown', () => {
    const calls: PriorityCalls = {
      getPriority: (pid) => {
        if (pid === 7) throw new Error('ESRCH: no such process');
        return 0;
      },
      setPriority: () => undefined,
    };
    expect(favourMediaProcess(7, silentLogger, calls)).toEqual({ mediaNice: null, mediaRaised: false, controlNice: CONTROL_PROCESS_NICE_STEP });
  });
});

describe('raiseMediaToRealtime', () => {
  it('asks chrt for round-robin real-time priority on every thread of the media process', async () => {
    const calls: string[][] = [];
    const granted = await raiseMediaToRealtime(4242, silentLogger, async (args) => {
      calls.push([...args]);
    });
    expect(granted).toBe(true);
    expect(calls).toEqual([['--all-tasks', '--rr', '--pid', String(MEDIA_REALTIME_PRIORITY), '4242']]);
  });

  it('goes on without it when the system refuses (or has no chrt), and says why in the log', async () => {
    const lines: Array<[string, unknown]> = [];
    const log = { ...silentLogger, info: (event: string, fields?: unknown) => lines.push([event, fields]), child: () => log };
    const granted = await raiseMediaToRealtime(4242, log, async () => {
      throw new Error('chrt: failed to set pid 4242\'s policy: Operation not permitted');
    });
    expect(granted).toBe(false);
    expect(lines).toEqual([['scheduling-realtime', { granted: false, reason: "chrt: failed to set pid 4242's policy: Operation not permitted" }]]);
  });

  it('stays below the sound server\'s own real-time threads (PulseAudio: 5)', () => {
    expect(MEDIA_REALTIME_PRIORITY).toBeGreaterThanOrEqual(1);
    expect(MEDIA_REALTIME_PRIORITY).toBeLessThan(5);
  });
});

describe('enginePriority', () => {
  it('real time when granted; else raised below nice 0; else normal', () => {
    expect(enginePriority(true, -10)).toBe('realtime');
    expect(enginePriority(true, null)).toBe('realtime');
    expect(enginePriority(false, -10)).toBe('raised');
    expect(enginePriority(false, 0)).toBe('normal');
    expect(enginePriority(false, null)).toBe('normal');
  });
});
