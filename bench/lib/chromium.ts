/**
 * Debian's Chromium driven by playwright-core (no browser download), run
 * inside a loopback-only network namespace (netns.ts) through a wrapper
 * script, so libwebrtc can gather only 127.0.0.1 candidates
 * (docs/architecture.md §7, §10). A WAV file is its microphone. Helpers read
 * the participant the page exposes with `?debug=1` and tap what the page
 * played, to check the audio by correlation like the terminal e2e tests.
 */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { SessionSnapshot } from '../../src/engine/api.js';
import type { NetNs } from './netns.js';
import { recordingOf, RECORD_CHUNK_SAMPLES, startPageTap, stopPageTap, type Recording } from './page-tap.js';

export { RECORD_CHUNK_SAMPLES, TIMING_CHUNK_SAMPLES, type Recording } from './page-tap.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function chromiumMissingReason(): string | null {
  return existsSync(CHROMIUM_PATH) ? null : `${CHROMIUM_PATH} is not installed (apt-get install chromium)`;
}



export interface Browser {
  readonly context: BrowserContext;
  /** Console errors and uncaught page errors of every tab (a test fails on any). */
  readonly errors: string[];
  /** Uncaught exceptions only (where the browser's own console errors are expected, e.g. a refused WebSocket). */
  readonly pageErrors: string[];
  newTab(url: string): Promise<Tab>;
  close(): Promise<void>;
}

export interface Tab {
  readonly page: Page;
  /** Fill the name, press Join, wait until the session is up (in the room or waiting for peers). */
  join(name: string): Promise<void>;
  snapshot(): Promise<SessionSnapshot | null>;
  /** Start recording, at 48 kHz, what the page plays (its output bus, default) or its microphone. */
  startRecording(source?: 'output' | 'microphone', chunkSamples?: number): Promise<void>;
  /** Stop recording: the samples as 16-bit PCM, and each chunk's wall-clock time (ms since the epoch) at the device. */
  stopRecording(source?: 'output' | 'microphone'): Promise<Recording>;
}

/**
 * `dir` holds the profile and the wrapper; `microphoneWav` loops as the
 * microphone. `microphone: 'deny'` answers the page's permission request
 * with a refusal, as a person pressing Block would.
 */
export async function launchChromium(opts: { netns: NetNs; dir: string; microphoneWav: string; microphone?: 'allow' | 'deny' }): Promise<Browser> {
  const wrapper = path.join(opts.dir, 'chromium-in-netns.sh');
  const quoted = opts.netns.exec.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  writeFileSync(wrapper, `#!/bin/sh\nexec ${quoted} ${CHROMIUM_PATH} "$@"\n`);
  chmodSync(wrapper, 0o755);
  const context = await chromium.launchPersistentContext(path.join(opts.dir, 'profile'), {
    executablePath: wrapper,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // In a lo-only namespace Chromium gathers nothing without this.
      '--allow-loopback-in-peer-connection',
      '--use-fake-device-for-media-stream',
      opts.microphone === 'deny' ? '--deny-permission-prompts' : '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-audio-capture=${opts.microphoneWav}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  const errors: string[] = [];
  const pageErrors: string[] = [];
  const watch = (page: Page): void => {
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => {
      errors.push(`pageerror: ${e.message}`);
      pageErrors.push(e.message);
    });
  };
  context.on('page', watch);
  return {
    context,
    errors,
    pageErrors,
    async newTab(url) {
      const page = await context.newPage();
      await page.goto(url);
      return tab(page);
    },
    async close() {
      await context.close();
    },
  };
}

/**
 * The page's globals as these helpers use them. Functions passed to
 * page.evaluate run in the browser, so they reach the page through
 * `globalThis` typed loosely: this file is compiled for Node (no DOM types).
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
type PageHandle = any;

function tab(page: Page): Tab {
  return {
    page,
    async join(name) {
      await page.getByLabel('Your name').fill(name);
      await page.getByRole('button', { name: 'Join', exact: true }).click();
      await page.waitForFunction(() => {
        const phase = (globalThis as PageHandle).roundtable?.session.snapshot().phase;
        return phase === 'in-call' || phase === 'waiting-for-peers';
      }, undefined, { timeout: 20_000 });
    },
    snapshot() {
      return page.evaluate(() => (globalThis as PageHandle).roundtable?.session.snapshot() ?? null);
    },
    async startRecording(source = 'output', chunkSamples = RECORD_CHUNK_SAMPLES) {
      await page.evaluate(startPageTap, { source, chunkSamples, outputClock: 'device' as const });
    },
    async stopRecording(source = 'output') {
      return recordingOf(await page.evaluate(stopPageTap, source));
    },
  };
}
