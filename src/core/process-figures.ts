/**
 * CPU time, peak RSS and uptime of the calling process, as `--stats`
 * reports them for the control process and the media process alike.
 */
export interface ProcessFigures {
  cpuUserMs: number;
  cpuSystemMs: number;
  maxRssBytes: number;
  uptimeMs: number;
}

export function processFigures(): ProcessFigures {
  const cpu = process.cpuUsage();
  return {
    cpuUserMs: Math.round(cpu.user / 1000),
    cpuSystemMs: Math.round(cpu.system / 1000),
    // getrusage(2) reports ru_maxrss in KiB on Linux.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    uptimeMs: Math.round(process.uptime() * 1000),
  };
}
