/**
 * CPU time of processes and process trees, from /proc (proc(5)): what the
 * benchmarks report as "% of one core". Linux only, like the benchmarks.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat utime/stime (USER_HZ, 100 on Linux). */
export const USER_HZ = 100;

/** utime + stime of `pid` in clock ticks; throws if the process is gone. */
export function cpuTicksOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU time of `pid` so far, ms. */
export function cpuMsOf(pid: number): number {
  return (cpuTicksOf(pid) * 1000) / USER_HZ;
}

/** `pid` and every process below it (a client's control, media and device processes; a browser's renderers and utilities). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const tid of readdirSync(`/proc/${out[i]}/task`)) {
        const children = readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim();
        if (children) out.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      /* the process ended meanwhile */
    }
  }
  return out;
}

/** CPU ticks of `pid`'s whole tree now (processes that already ended are not counted). */
export function treeCpuTicks(pid: number): number {
  return processTree(pid).reduce((sum, p) => {
    try {
      return sum + cpuTicksOf(p);
    } catch {
      return sum;
    }
  }, 0);
}

/** The processes whose command line contains `needle` and whose parent's does not: the roots of what a launcher started. */
export function processRootsWith(needle: string): number[] {
  const has = (pid: number): boolean => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
    } catch {
      return false;
    }
  };
  const parentOf = (pid: number): number => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  };
  const roots: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    try {
      if (has(pid) && !has(parentOf(pid))) roots.push(pid);
    } catch {
      /* the process ended meanwhile */
    }
  }
  return roots;
}
