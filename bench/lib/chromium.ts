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

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function chromiumMissingReason(): string | null {
  return existsSync(CHROMIUM_PATH) ? null : `${CHROMIUM_PATH} is not installed (apt-get install chromium)`;
}

/**
 * Recording chunk sizes. The tap runs on the page's main thread, so a small
 * chunk under CPU load loses audio (a ScriptProcessor underrun): tests that
 * check what was heard record 4096 samples at a time (two CI runs with 256
 * heard the other side at correlation 0.25-0.28 instead of > 0.3); the
 * latency benchmark needs 256 (5.3 ms) to bound each stamp's error.
 */
export const RECORD_CHUNK_SAMPLES = 4096;
export const TIMING_CHUNK_SAMPLES = 256;

export interface Recording {
  readonly pcm: Int16Array;
  /** Per chunk of `chunkSamples`: when its first sample was at the device (output) or delivered (microphone), ms since the epoch. */
  readonly chunkEpochMs: readonly number[];
  readonly chunkSamples: number;
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
      await page.evaluate(
        ({ source, chunkSamples }) => {
          const w = globalThis as PageHandle;
          const media = w.roundtable.media;
          const ctx = media.audioContext;
          // A ScriptProcessor is deprecated but needs no worklet file; this is a measuring tap, not the product's path.
          const node = ctx.createScriptProcessor(chunkSamples, 1, 1);
          const sink = ctx.createGain();
          sink.gain.value = 0;
          const chunks: Float32Array[] = [];
          const stamps: number[] = [];
          const chunkMs = (chunkSamples / ctx.sampleRate) * 1000;
          node.onaudioprocess = (e: any) => {
            chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
            if (source === 'output') {
              // When this chunk reaches the output device: its context time (one chunk before the
              // processor's playbackTime) mapped through the device clock (getOutputTimestamp).
              const ts = ctx.getOutputTimestamp();
              const contextTime = e.playbackTime - chunkSamples / ctx.sampleRate;
              stamps.push(performance.timeOrigin + ts.performanceTime + (contextTime - ts.contextTime) * 1000);
            } else {
              // The microphone chunk has just been delivered: it started one chunk ago.
              stamps.push(performance.timeOrigin + performance.now() - chunkMs);
            }
          };
          const input = source === 'output' ? media.output : ctx.createMediaStreamSource(media.micStream);
          input.connect(node);
          node.connect(sink);
          sink.connect(ctx.destination);
          w.rtRecordings ??= {};
          w.rtRecordings[source] = { chunks, stamps, node, sink, input, source, chunkSamples };
        },
        { source, chunkSamples },
      );
    },
    async stopRecording(source = 'output') {
      const got = await page.evaluate((source) => {
        const w = globalThis as PageHandle;
        const rec = w.rtRecordings[source];
        rec.node.disconnect();
        rec.sink.disconnect();
        if (rec.source !== 'output') rec.input.disconnect();
        const chunks = rec.chunks as Float32Array[];
        let total = 0;
        for (const c of chunks) total += c.length;
        const pcm = new Int16Array(total);
        let o = 0;
        for (const c of chunks) for (let i = 0; i < c.length; i++) pcm[o++] = Math.max(-32768, Math.min(32767, Math.round(c[i]! * 32767)));
        const bytes = new Uint8Array(pcm.buffer);
        let bin = '';
        for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return { base64: btoa(bin), stamps: rec.stamps as number[], chunkSamples: rec.chunkSamples as number };
      }, source);
      const buf = Buffer.from(got.base64, 'base64');
      return { pcm: new Int16Array(buf.buffer, buf.byteOffset, buf.byteLength / 2), chunkEpochMs: got.stamps, chunkSamples: got.chunkSamples };
    },
  };
}
