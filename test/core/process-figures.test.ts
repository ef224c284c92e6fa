import { describe, expect, it } from 'vitest';
import { processFigures } from '../../src/core/process-figures.js';

describe('processFigures', () => {
  it('reports CPU time that grows with work, a peak RSS at least the current one, and the uptime', () => {
    const before = processFigures();
    const cpu0 = process.cpuUsage();
    let x = 0;
    // Work until the kernel has charged 40 ms of CPU (bounded in wall time, whatever the machine's load).
    const deadline = Date.now() + 10_000;
    while (process.cpuUsage(cpu0).user < 40_000 && Date.now() < deadline) x += Math.sqrt(x + 1);
    const after = processFigures();
    expect(x).toBeGreaterThan(0);
    expect(after.cpuUserMs).toBeGreaterThanOrEqual(before.cpuUserMs + 39);
    expect(after.maxRssBytes).toBeGreaterThanOrEqual(process.memoryUsage.rss() * 0.9);
    expect(after.uptimeMs).toBeGreaterThanOrEqual(before.uptimeMs);
  });
});
