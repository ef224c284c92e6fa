/**
 * Debian's Firefox ESR (Gecko's WebRTC: a second browser stack we did not
 * write, beside Chromium's libwebrtc) on a Roundtable page, driven over
 * WebDriver BiDi by puppeteer-core (playwright-core drives only its own
 * patched Firefox builds). Firefox runs inside the test's network namespace
 * (netns.ts) with an address of that namespace's own (Firefox gathers no
 * candidate where only `lo` is up: docs/architecture.md §7), and the driver
 * runs beside it (firefox-page-main.ts), since BiDi is a TCP port of that
 * namespace. Its microphone is Firefox's fake source, a 1 kHz tone
 * (FAKE_MICROPHONE_HZ), or with `systemMicrophone` the default source of
 * the sound server `env` names; its speaker is that server's default sink,
 * or none.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SessionSnapshot } from '../../src/engine/api.js';
import { stopChild } from './daemon.js';
import type { NetNs } from './netns.js';
import { recordingOf, RECORD_CHUNK_SAMPLES, type Recording, type TapResult } from './page-tap.js';
import { repoRoot } from './paths.js';

export const FIREFOX_PATH = '/usr/bin/firefox-esr';

/** The tone Firefox's fake microphone plays (media.navigator.streams.fake), measured: 1000 Hz. */
export const FAKE_MICROPHONE_HZ = 1000;

/** The longest any one order to the driver may take (opening Firefox included). */
const CALL_TIMEOUT_MS = 45_000;

export function firefoxMissingReason(): string | null {
  return existsSync(FIREFOX_PATH) ? null : `${FIREFOX_PATH} is not installed (apt-get install firefox-esr)`;
}

export interface FirefoxTab {
  /** Console errors and uncaught page errors so far. */
  errors(): Promise<string[]>;
  /** Fill the name, press Join (a real click), wait until the session is up. */
  join(name: string): Promise<void>;
  snapshot(): Promise<SessionSnapshot | null>;
  /** A JavaScript expression evaluated in the page; its value (JSON-able). */
  evaluate<T>(expression: string): Promise<T>;
  /** What the page shows, as text. */
  text(): Promise<string>;
  /** A real click on what `selector` finds. */
  click(selector: string): Promise<void>;
  startRecording(source?: 'output' | 'microphone', chunkSamples?: number): Promise<void>;
  stopRecording(source?: 'output' | 'microphone'): Promise<Recording>;
  /** Close Firefox and its driver. */
  close(): Promise<void>;
}

/**
 * Open `url` in a new Firefox in `netns`. `dir` holds the profile; `env`
 * goes to Firefox (a PulseAudio server's, for a speaker).
 */
export async function openFirefoxTab(opts: { netns: NetNs; dir: string; url: string; env?: Record<string, string>; systemMicrophone?: boolean }): Promise<FirefoxTab> {
  const profile = join(opts.dir, 'firefox-profile');
  mkdirSync(profile, { recursive: true });
  // The compiled driver (npm run build), whether this file runs compiled or from source under vitest.
  const entry = join(repoRoot(), 'dist', 'bench', 'lib', 'firefox-page-main.js');
  const child: ChildProcess = spawn(opts.netns.exec[0]!, [...opts.netns.exec.slice(1), process.execPath, entry, FIREFOX_PATH, profile, opts.systemMicrophone === true ? 'system-microphone' : 'fake-microphone'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env, MOZ_CRASHREPORTER_DISABLE: '1' },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited: Error | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    // The driver's answers; anything else on its stdout is Firefox's own output (dumpio), kept with its stderr.
    if (!line.startsWith('{"id":')) {
      stderr = (stderr + line + '\n').slice(-4000);
      return;
    }
    const reply = JSON.parse(line) as { id: number; result?: unknown; error?: string };
    const w = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (reply.error !== undefined) w?.reject(new Error(`firefox: ${reply.error}`));
    else w?.resolve(reply.result);
  });
  const gone = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = new Error(`the Firefox driver exited (${code ?? signal}): ${stderr.trim().slice(-1500)}`);
      for (const w of waiting.values()) w.reject(exited);
      waiting.clear();
      resolve();
    }),
  );
  // No order may hang a test: an answer that does not come within CALL_TIMEOUT_MS is an error naming the order.
  const call = <T>(op: string, arg?: unknown): Promise<T> => {
    if (exited !== undefined) return Promise.reject(exited);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`firefox: no answer to ${op} within ${CALL_TIMEOUT_MS} ms; driver stderr: ${stderr.trim().slice(-1500)}`));
      }, CALL_TIMEOUT_MS);
      const settle = <V>(fn: (v: V) => void) => (v: V): void => {
        clearTimeout(timer);
        fn(v);
      };
      waiting.set(id, { resolve: settle(resolve as (v: unknown) => void), reject: settle(reject) });
      child.stdin!.write(`${JSON.stringify({ id, op, arg })}\n`);
    });
  };
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      child.stdin!.end(); // the driver closes Firefox and ends
      const timer = setTimeout(() => void stopChild(child), 15_000);
      await gone;
      clearTimeout(timer);
    })());
  try {
    await call('open', opts.url);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    errors: () => call<string[]>('errors'),
    join: (name) => call('join', name),
    snapshot: () => call<SessionSnapshot | null>('snapshot'),
    evaluate: <T>(expression: string) => call<T>('evaluate', expression),
    text: () => call<string>('text'),
    click: (selector) => call('click', selector),
    startRecording: (source = 'output', chunkSamples = RECORD_CHUNK_SAMPLES) => call('startRecording', { source, chunkSamples }),
    stopRecording: async (source = 'output') => recordingOf(await call<TapResult>('stopRecording', source)),
    close,
  };
}
