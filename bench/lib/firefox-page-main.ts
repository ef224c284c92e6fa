/**
 * The Firefox half of firefox.ts, run inside the test's network namespace
 * (`ip netns exec`): puppeteer-core reaches Firefox over WebDriver BiDi on a
 * TCP port of that namespace's loopback, which the test process outside it
 * cannot connect to, so the driver lives beside Firefox and takes its
 * orders over stdin. One JSON request per line ({ id, op, arg }), one JSON
 * answer per line ({ id, result } or { id, error }); stdout carries nothing
 * else. It closes Firefox and exits when stdin ends.
 *
 * argv: FIREFOX_PATH PROFILE_DIR [fake-microphone|system-microphone]
 */
import { createInterface } from 'node:readline';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { startPageTap, stopPageTap } from './page-tap.js';

const [firefoxPath, profileDir, microphone = 'fake-microphone'] = process.argv.slice(2);
if (firefoxPath === undefined || profileDir === undefined) {
  process.stderr.write('usage: firefox-page-main FIREFOX_PATH PROFILE_DIR\n');
  process.exit(2);
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type PageHandle = any;

const errors: string[] = [];
let browser: Browser | undefined;
let page: Page | undefined;

function thePage(): Page {
  if (page === undefined) throw new Error('no page open (op "open" first)');
  return page;
}

const ops: Record<string, (arg: any) => Promise<unknown>> = {
  async open(url: string) {
    browser ??= await puppeteer.launch({
      browser: 'firefox',
      executablePath: firefoxPath,
      headless: true,
      userDataDir: profileDir,
      // Under the caller's own per-order timeout (firefox.ts), so a hang surfaces as the order that hung.
      protocolTimeout: 30_000,
      // Firefox's own stderr (a crashed content process says so there) reaches the caller's error messages.
      dumpio: true,
      extraPrefsFirefox: {
        // A 1 kHz tone as the microphone (or the system's default source), granted without a prompt.
        'media.navigator.streams.fake': microphone !== 'system-microphone',
        'media.navigator.permission.disabled': true,
        // As Chromium's --autoplay-policy=no-user-gesture-required: sound may start without a click.
        'media.autoplay.default': 0,
        'media.autoplay.blocking_policy': 0,
        // Host candidates as they are (no mDNS names): the terminal cannot resolve .local names.
        'media.peerconnection.ice.obfuscate_host_addresses': false,
        // Pair with the terminal's 127.0.0.1 candidates (Firefox drops loopback candidates by default).
        'media.peerconnection.ice.loopback': true,
      },
    });
    page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
    await page.goto(url);
    return null;
  },
  async join(name: string) {
    const p = thePage();
    await p.type('#display-name', name);
    await p.click('button[type="submit"].primary');
    await p.waitForFunction(
      () => {
        const phase = (globalThis as PageHandle).roundtable?.session.snapshot().phase;
        return phase === 'in-call' || phase === 'waiting-for-peers';
      },
      { timeout: 20_000, polling: 50 },
    );
    return null;
  },
  snapshot() {
    return thePage().evaluate(() => (globalThis as PageHandle).roundtable?.session.snapshot() ?? null);
  },
  /** A JavaScript expression evaluated in the page (a promise is awaited); its value as JSON. */
  evaluate(expression: string) {
    return thePage().evaluate(expression);
  },
  /** The text a person sees on the page (hidden elements excluded). */
  text() {
    return thePage().evaluate(() => (globalThis as PageHandle).document.body.innerText as string);
  },
  /** Click what `selector` finds, as a person would (a trusted click: the browser's user activation). */
  async click(selector: string) {
    await thePage().click(selector);
    return null;
  },
  startRecording(arg: { source: 'output' | 'microphone'; chunkSamples: number }) {
    // Never getOutputTimestamp() in Firefox: it can deadlock the page (page-tap.ts OutputClock).
    return thePage().evaluate(startPageTap, { ...arg, outputClock: 'context' as const });
  },
  stopRecording(source: 'output' | 'microphone') {
    return thePage().evaluate(stopPageTap, source);
  },
  async errors() {
    return errors;
  },
};

async function close(): Promise<void> {
  await browser?.close().catch(() => undefined);
}

/** How long a probe after a timed-out order waits for the page to answer. */
const PROBE_WAIT_MS = 5000;

/**
 * After an order timed out: does the page still answer a trivial evaluation?
 * Told apart, a blocked content process (no answer) and a lost or stuck
 * answer to one call (an answer) need different causes found. The one
 * such hang found so far was a blocked content process, a deadlock in
 * Firefox's audio graph that the recording tap no longer invites
 * (page-tap.ts OutputClock).
 */
async function probeAfterTimeout(): Promise<string> {
  if (page === undefined) return 'no page to probe';
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`the page did not answer a trivial evaluation within ${PROBE_WAIT_MS} ms`), PROBE_WAIT_MS)));
  const answered = page.evaluate('1').then(
    () => `the page answered a trivial evaluation ${Math.round(performance.now() - started)} ms later`,
    (err: unknown) => `a trivial evaluation failed too: ${err instanceof Error ? err.message : String(err)}`,
  );
  try {
    return await Promise.race([answered, late]);
  } finally {
    clearTimeout(timer);
  }
}

const lines = createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  // One request at a time, in order, as the caller sent them.
  queue = queue.then(async () => {
    let id: unknown;
    try {
      const req = JSON.parse(line) as { id: unknown; op: string; arg?: unknown };
      id = req.id;
      const op = ops[req.op];
      if (op === undefined) throw new Error(`unknown op ${req.op}`);
      process.stdout.write(`${JSON.stringify({ id, result: (await op(req.arg)) ?? null })}\n`);
    } catch (err) {
      const op = (() => {
        try {
          return String((JSON.parse(line) as { op?: unknown }).op);
        } catch {
          return '?';
        }
      })();
      const message = err instanceof Error ? err.message : String(err);
      const probe = /timed out/i.test(message) ? ` (${await probeAfterTimeout()})` : '';
      process.stdout.write(`${JSON.stringify({ id, error: `${op}: ${message}${probe}` })}\n`);
    }
  });
});
// Stdin ended (the caller is done, or gone): close Firefox; nothing else keeps this process.
lines.on('close', () => void queue.then(close));
