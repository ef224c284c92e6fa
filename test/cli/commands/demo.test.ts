/**
 * `roundtable demo` in-process: command-line errors, and one short headless
 * run with WAV files (no sound card) that checks what --stats records.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run, tempDirs } from '../run-helper.js';
import { packageInfo } from '../../../src/core/package-info.js';

let dirs: ReturnType<typeof tempDirs>;
beforeEach(() => {
  dirs = tempDirs();
});
afterEach(() => rmSync(dirs.root, { recursive: true, force: true }));

const inDirs = () => ({ cwd: dirs.cwd, homeDir: dirs.home });
const fixture = (name: string): string => path.join(packageInfo().root, 'fixtures', name);

describe('roundtable demo: command line', () => {
  it('is listed in --help with its flags', async () => {
    const top = await run(['--help'], inDirs());
    expect(top.stdout).toContain('roundtable demo');
    const { code, stdout } = await run(['demo', '--help'], inDirs());
    expect(code).toBe(0);
    for (const flag of ['--output', '--input', '--duration', '--headless', '--stats']) expect(stdout).toContain(flag);
    expect(stdout).not.toContain('--server');
  });

  it('rejects a bad --duration, an unreadable --input and an --output in a missing directory (exit 2)', async () => {
    const d = await run(['demo', '--duration', '0'], inDirs());
    expect(d.code).toBe(2);
    expect(d.stderr).toContain('--duration must be a positive number');

    const notWav = path.join(dirs.cwd, 'notes.wav');
    writeFileSync(notWav, 'not audio');
    const i = await run(['demo', '--input', notWav, '--headless'], inDirs());
    expect(i.code).toBe(2);
    expect(i.stderr).toContain('--input');

    const o = await run(['demo', '--output', path.join(dirs.cwd, 'nope', 'x.wav'), '--headless'], inDirs());
    expect(o.code).toBe(2);
    expect(o.stderr).toContain('does not exist');
  });

  it('rejects a config file binding one key to two actions (exit 2)', async () => {
    const cfg = path.join(dirs.cwd, 'rt.yaml');
    writeFileSync(cfg, 'keys:\n  mute: q\n');
    const r = await run(['demo', '--config', cfg, '--headless'], inDirs());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('keys');
  });
});

describe('roundtable demo: a short headless run', () => {
  it('joins two talking bots, records what it hears, and writes send timing and RSS with --stats', async () => {
    const output = path.join(dirs.cwd, 'heard.wav');
    const stats = path.join(dirs.cwd, 'stats.json');
    const r = await run(
      ['demo', '--headless', '--log-level', 'error', '--duration', '4', '--input', fixture('speech-c.wav'), '--output', output, '--stats', stats],
      inDirs(),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(stats, 'utf8')) as {
      tui: boolean;
      frameMs: number;
      sendIntervalMs: { count: number; p50Ms: number };
      captureLatenessMs: { count: number };
      peers: Array<{ name: string; packetsReceived: number; packetsSent: number }>;
      process: { inCallRssMaxBytes: number };
    };
    expect(report.tui).toBe(false);
    expect(report.peers.map((p) => p.name).sort()).toEqual(['bot-ada', 'bot-grace']);
    for (const p of report.peers) {
      expect(p.packetsReceived).toBeGreaterThan(20);
      expect(p.packetsSent).toBeGreaterThan(20);
    }
    // ~4 s of 20 ms frames, sent to two peers; intervals near one frame.
    expect(report.captureLatenessMs.count).toBeGreaterThan(100);
    expect(report.sendIntervalMs.count).toBeGreaterThan(50);
    expect(report.sendIntervalMs.p50Ms).toBeGreaterThan(10);
    expect(report.sendIntervalMs.p50Ms).toBeLessThan(30);
    expect(report.process.inCallRssMaxBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(readFileSync(output).length).toBeGreaterThan(48_000 * 2 * 2);
  }, 30_000);
});
