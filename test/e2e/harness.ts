/**
 * Real `roundtable` processes for the end-to-end tests: spawned with
 * `process.execPath bin/roundtable` (which loads dist/: `npm test` builds
 * first), logging JSON lines that the test reads as they arrive. The
 * signaling server runs in-process on an ephemeral 127.0.0.1 port; ICE is
 * bound to 127.0.0.1 and no STUN server is configured, so nothing leaves
 * the machine.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startSignalingServer, type SignalingServer } from '../../src/server/index.js';
import { readWavMono48k } from '../../src/engine/audio/wav-file.js';
import { generateJoinCode } from '../../src/protocol/index.js';
import type { SessionSnapshot } from '../../src/engine/api.js';

/** Best presence of an input in an output: one home with the benchmarks (bench/lib/analysis.ts). */
export { bestPresence, HEARD } from '../../bench/lib/analysis.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'roundtable');
export const FIXTURES = path.join(ROOT, 'fixtures');
export const speech = (x: 'a' | 'b' | 'c'): string => path.join(FIXTURES, `speech-${x}.wav`);

export interface LogLine {
  event: string;
  /** Date.now() when the line reached the test. */
  seenAtMs: number;
  [field: string]: unknown;
}

export interface Client {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly lines: LogLine[];
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first line matching, waiting up to timeoutMs. */
  waitFor(pred: (l: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine>;
}

export class TempDir {
  readonly path = mkdtempSync(path.join(tmpdir(), 'rt-e2e-'));
  file(name: string): string {
    return path.join(this.path, name);
  }
  write(name: string, text: string): string {
    const p = this.file(name);
    writeFileSync(p, text);
    return p;
  }
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** The processes `pid` started (a client's media process), from /proc. */
export function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        // The stat line: "pid (comm) state ppid …"; comm may hold spaces, so read after its closing parenthesis.
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A config without STUN (no traffic off the machine) and without join/leave cues (clean output WAVs). */
export function writeLoopbackConfig(dir: TempDir, extraYaml = ''): string {
  return dir.write('roundtable.yaml', `ice:\n  servers: []\ncues:\n  enabled: false\n${extraYaml}`);
}

export function startServer(port = 0): Promise<SignalingServer> {
  return startSignalingServer({ host: '127.0.0.1', port });
}

export function newCode(): string {
  return generateJoinCode();
}

/** `prefix` runs the client through another command, e.g. `ip netns exec NS` (test/helpers/netns.ts), which execs it in place. */
export function runClient(name: string, args: string[], prefix: readonly string[] = []): Client {
  const command = prefix.length > 0 ? prefix[0]! : process.execPath;
  const commandArgs = prefix.length > 0 ? [...prefix.slice(1), process.execPath, BIN, ...args] : [BIN, ...args];
  const proc = spawn(command, commandArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const lines: LogLine[] = [];
  const waiters: Array<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  let out = '';
  let err = '';
  let partial = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const text of parts) {
      if (!text.startsWith('{')) continue;
      let line: LogLine;
      try {
        line = { ...(JSON.parse(text) as object), seenAtMs: Date.now() } as LogLine;
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    name,
    proc,
    lines,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pred, timeoutMs, what) {
      const found = lines.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`${name}: timed out after ${timeoutMs} ms waiting for ${what}\nstdout:\n${out.slice(-3000)}\nstderr:\n${err.slice(-2000)}`));
        }, timeoutMs);
        const w = {
          pred,
          resolve: (l: LogLine) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        waiters.push(w);
        exited.then(() => {
          if (!waiters.includes(w)) return;
          waiters.splice(waiters.indexOf(w), 1);
          clearTimeout(timer);
          reject(new Error(`${name}: exited while waiting for ${what}\nstdout:\n${out.slice(-3000)}\nstderr:\n${err.slice(-2000)}`));
        });
      });
    },
  };
}

export interface JoinParams {
  code: string;
  server: string;
  config: string;
  input?: string;
  output?: string;
  stats?: string;
  durationS?: number;
  /** Listen on a control socket for `roundtable ctl` (default off: a SIGKILLed test client would leave its socket file behind). */
  control?: boolean;
  extra?: string[];
}

/** Arguments for a headless, JSON-logging, loopback-bound `join`. */
export function joinArgs(name: string, p: JoinParams): string[] {
  const args = ['join', p.code, '--server', p.server, '--name', name, '--config', p.config, '--headless', '--json', '--bind-address', '127.0.0.1'];
  if (p.input !== undefined) args.push('--input', p.input, '--loop');
  if (p.output !== undefined) args.push('--output', p.output);
  if (p.stats !== undefined) args.push('--stats', p.stats);
  if (p.durationS !== undefined) args.push('--duration', String(p.durationS));
  if (p.control !== true) args.push('--no-control');
  return [...args, ...(p.extra ?? [])];
}

/**
 * Control sockets of the sessions this test starts go to `<dir>/run/roundtable/`
 * (XDG_RUNTIME_DIR, inherited by every process spawned afterwards, ctl
 * included), apart from any other session on the machine. Returns that runtime directory.
 */
export function isolateControlSockets(dir: TempDir): string {
  const runtimeDir = dir.file('run');
  mkdirSync(runtimeDir, { mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = runtimeDir;
  return runtimeDir;
}

/** Poll `cond` every `everyMs` until it holds; throws naming `what` after `timeoutMs`. Resolves with the ms it took. */
export async function waitUntil(cond: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 100): Promise<number> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
  return Date.now() - start;
}

/** Whether a snapshot (a page's) shows the room through the SFU with each of `names` connected and audible. */
export function hearsThroughSfu(s: SessionSnapshot | null | undefined, names: readonly string[]): boolean {
  return s?.mediaPath === 'sfu' && names.every((n) => s.peers.some((p) => p.name === n && p.state === 'connected' && p.level > 0));
}

/** `roundtable serve` with its web page, run with `prefix` (a namespace's `ip netns exec`) on 127.0.0.1, once it listens. */
export async function servePage(prefix: readonly string[], extra: string[] = []): Promise<{ client: Client; url: string; web: string }> {
  const client = runClient('server', ['serve', '--host', '127.0.0.1', '--port', '0', '--json', ...extra], prefix);
  const listening = await client.waitFor((l) => l.event === 'server-listening', 20_000, 'the server to listen');
  return { client, url: String(listening.url), web: String(listening.web) };
}

/** `roundtable serve` as a process of its own on 127.0.0.1 (port 0: any free one), once it listens. */
export async function serveProcess(port = 0, extra: string[] = []): Promise<{ client: Client; url: string; port: number }> {
  const client = runClient('serve', ['serve', '--host', '127.0.0.1', '--port', String(port), '--json', '--no-web', ...extra]);
  const listening = await client.waitFor((l) => l.event === 'server-listening', 20_000, 'the server to listen');
  const url = String(listening.url);
  return { client, url, port: Number(new URL(url).port) };
}

export interface CtlResult {
  code: number;
  stdout: string;
  stderr: string;
  /** From spawning `roundtable ctl` to its exit. */
  ms: number;
}

/** Run `roundtable ctl ARGS` to its end (the environment is this process's: set XDG_RUNTIME_DIR first). */
export function runCtl(args: string[]): Promise<CtlResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'ctl', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

export function killAll(clients: readonly Client[]): void {
  for (const c of clients) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
}

export async function readWav(file: string): Promise<Int16Array> {
  return readWavMono48k(file);
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface StatsFile {
  selfId: string;
  codecLookaheadMs: number;
  anchors: { firstInputNs: string | null; firstOutputNs: string | null };
  peers: Array<{
    id: string;
    name: string;
    packetsSent: number;
    packetsReceived: number;
    packetsLost: number;
    framesConcealed: number;
    packetsRecovered: number;
    redPacketsReceived: number;
    redMalformed: number;
    redDistance: number | null;
    linkGenerations: number;
    bytesSent: number;
    bytesReceived: number;
    connectMs: number | null;
    meanJitterBufferMs: number;
    goneReason: string | null;
    selectedCandidatePair: { local: { type: string; address: string }; remote: { type: string; address: string } } | null;
  }>;
  process: { cpuUserMs: number; cpuSystemMs: number; maxRssBytes: number };
}

/**
 * What a test file of sessions needs: a temporary directory, made before
 * its tests and removed after them, with the sessions' control sockets
 * isolated in it (isolateControlSockets), and a list of the clients a test
 * starts, killed after each test. Registers its own hooks.
 */
export function sessionWorkspace(): { readonly dir: TempDir; readonly clients: Client[] } {
  let dir: TempDir | undefined;
  const clients: Client[] = [];
  beforeAll(() => {
    dir = new TempDir();
    isolateControlSockets(dir);
  });
  afterEach(() => killAll(clients.splice(0)));
  afterAll(() => dir?.remove());
  return {
    get dir(): TempDir {
      if (dir === undefined) throw new Error('sessionWorkspace: the directory exists only while the tests run');
      return dir;
    },
    clients,
  };
}

/** One second of 48 kHz mono 16-bit silence: the listener's microphone. */
export function silentWav(file: string): string {
  const samples = 48_000;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + samples * 2, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(48_000, 24);
  header.writeUInt32LE(96_000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(samples * 2, 40);
  writeFileSync(file, Buffer.concat([header, Buffer.alloc(samples * 2)]));
  return file;
}
