/**
 * Spawns and supervises the audio device child (device-host.ts). Resolves
 * the child entry next to this module, so it works both from dist/ (plain
 * .js) and from the TypeScript sources under vitest/tsx (spawned with
 * `--import tsx`). The child runs in a fresh temp directory so
 * segfault-handler's crash.log lands there, with stdout ignored so native
 * chatter never reaches our terminal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { siblingEntry } from '../../core/child-entry.js';
import { JsonLineParser, type HostConfig, type HostEvent } from './device-protocol.js';

const STDERR_TAIL_CHARS = 4000;

export interface DeviceProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Last lines the child wrote to stderr (ALSA/PortAudio diagnostics). */
  stderrTail: string;
  /** Path of a crash.log left by segfault-handler, if any (kept on disk). */
  crashLog?: string;
}

export interface DeviceProcessOptions {
  /** Extra environment for the child (e.g. PULSE_SERVER, ALSA_CONFIG_PATH from the test harness). */
  env?: Record<string, string | undefined>;
}

/** One running device child. Events arrive through `onEvent`; `exited` resolves when it is gone. */
export class DeviceProcess {
  onEvent: (event: HostEvent) => void = () => {};
  readonly exited: Promise<DeviceProcessExit>;
  /** Input mode: PCM records from the child. Output mode: unused. */
  readonly pcmFromChild: Readable | undefined;
  /** Output mode: raw PCM frames to the child. */
  readonly pcmToChild: Writable | undefined;
  private readonly child: ChildProcess;
  private stderrTail = '';

  constructor(config: HostConfig, options: DeviceProcessOptions = {}) {
    const { script, execArgv } = siblingEntry(import.meta.url, 'device-host');
    const cwd = mkdtempSync(join(tmpdir(), 'roundtable-audio-'));
    this.child = spawn(process.execPath, [...execArgv, script, JSON.stringify(config)], {
      cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    const [stdin, , stderr, pcm, events] = this.child.stdio as [Writable, null, Readable, Readable & Writable, Readable];
    // A dead child must not crash us with EPIPE; exit handling reports it.
    stdin.on('error', () => undefined);
    pcm.on('error', () => undefined);
    this.pcmFromChild = config.mode === 'input' ? pcm : undefined;
    this.pcmToChild = config.mode === 'output' ? pcm : undefined;
    // The pipe is a duplex socket; a readable side nobody reads never sees
    // the child's EOF, and then 'close' never fires. Drain it in output mode.
    if (config.mode !== 'input') pcm.resume();
    stderr.setEncoding('utf8');
    stderr.on('data', (s: string) => {
      this.stderrTail = (this.stderrTail + s).slice(-STDERR_TAIL_CHARS);
    });
    const parser = new JsonLineParser((value) => this.onEvent(value as HostEvent));
    events.on('data', (d: Buffer) => parser.push(d));
    const eventsEnded = new Promise<void>((resolve) => {
      events.on('close', resolve);
      events.on('error', () => resolve());
    });
    this.exited = new Promise<DeviceProcessExit>((resolve) => {
      this.child.on('error', (err) => {
        this.stderrTail += `\nspawn failed: ${err.message}`;
      });
      this.child.on('close', (code, signal) => {
        void eventsEnded.then(() => {
          const crash = join(cwd, 'crash.log');
          const exit: DeviceProcessExit = { code, signal, stderrTail: this.stderrTail.trim() };
          if (existsSync(crash)) exit.crashLog = crash;
          else rmSync(cwd, { recursive: true, force: true });
          resolve(exit);
        });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Ask the child to stop (it drains output first); falls back to SIGKILL after `graceMs`. */
  async stop(graceMs = 2000): Promise<DeviceProcessExit> {
    this.pcmToChild?.end();
    const stdin = this.child.stdin;
    if (stdin && !stdin.destroyed) {
      stdin.write(JSON.stringify({ type: 'stop' }) + '\n');
      stdin.end();
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Describe an unexpected exit for an error message. */
export function describeExit(exit: DeviceProcessExit): string {
  const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const parts = [`audio device process ${how}`];
  if (exit.stderrTail) parts.push(`stderr: ${exit.stderrTail.split('\n').slice(-5).join(' | ')}`);
  if (exit.crashLog) parts.push(`crash log: ${exit.crashLog}`);
  return parts.join('; ');
}
