/**
 * The browser participant against the terminal, end to end: Debian's
 * Chromium (libwebrtc, a WebRTC stack we did not write) loads the page that
 * `roundtable serve` serves, joins with a WAV as its microphone, and talks
 * with real `roundtable join` processes. Everything (server, terminals,
 * Chromium) runs inside a network namespace with only `lo` up. Checked by
 * outcome: what each side heard (correlation with the other's input), who
 * each side sees, exit codes, and no console error in the page.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissingReason, launchChromium, type Browser } from '../helpers/chromium.js';
import { createNetNs, netnsMissingReason, type NetNs } from '../helpers/netns.js';
import { bestPresence, joinArgs, killAll, newCode, readWav, runClient, sleep, speech, TempDir, writeLoopbackConfig, type Client } from './harness.js';

const skipReason = netnsMissingReason() ?? chromiumMissingReason();

let ns: NetNs;
let dir: TempDir;
let server: Client;
let serverUrl: string;
let webUrl: string;
let config: string;
const clients: Client[] = [];
const browsers: Browser[] = [];

async function browser(name: string, microphone: 'a' | 'b' | 'c'): Promise<Browser> {
  const home = dir.file(name);
  mkdirSync(home, { recursive: true });
  const b = await launchChromium({ netns: ns, dir: home, microphoneWav: speech(microphone) });
  browsers.push(b);
  return b;
}

function terminal(name: 'a' | 'b' | 'c', code: string, durationS: number): Client {
  const c = runClient(name, joinArgs(name, { code, server: serverUrl, config, input: speech(name), output: dir.file(`out-${name}.wav`), durationS }), ns.exec);
  clients.push(c);
  return c;
}

/** The page URL: no STUN (loopback only), no browser voice processing (levels stay put), the participant exposed for the test. */
const pageUrl = (code: string): string => `${webUrl}?ice=none&processing=off&debug=1#${code}`;

async function waitUntil(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
  return Date.now() - start;
}

describe.skipIf(skipReason !== null)('browser participant: Chromium and terminals in one room', () => {
  beforeAll(async () => {
    ns = createNetNs('rt-web');
    dir = new TempDir();
    config = writeLoopbackConfig(dir);
    server = runClient('server', ['serve', '--host', '127.0.0.1', '--port', '0', '--json'], ns.exec);
    const listening = await server.waitFor((l) => l.event === 'server-listening', 20_000, 'the server to listen');
    serverUrl = String(listening.url);
    webUrl = String(listening.web);
    expect(webUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  afterEach(async () => {
    for (const b of browsers.splice(0)) await b.close().catch(() => undefined);
    killAll(clients.splice(0));
  });

  afterAll(async () => {
    server?.proc.kill('SIGTERM');
    await server?.exited;
    ns?.remove();
    dir?.remove();
  });

  it('a tab and a terminal hear each other; the terminal joins a room where the browser waits (terminal offers)', async () => {
    const code = newCode();
    const b = await browser('chromium-b', 'b');
    const tab = await b.newTab(pageUrl(code));
    await tab.join('web-b');
    expect((await tab.snapshot())?.phase).toBe('waiting-for-peers');
    await tab.startRecording();

    const a = terminal('a', code, 8);
    await a.waitFor((l) => l.event === 'peer-connected', 15_000, 'the terminal to connect to the browser');
    await waitUntil(async () => (await tab.snapshot())?.peers.some((p) => p.name === 'a' && p.state === 'connected') ?? false, 10_000, 'the tab to show a connected');
    expect(await a.exited).toEqual({ code: 0, signal: null });
    const heardByTab = (await tab.stopRecording()).pcm;
    // The terminal left: the tab shows nobody within 5 s.
    await waitUntil(async () => (await tab.snapshot())?.peers.length === 0, 5000, 'the tab to drop the terminal that left');

    const inputs = { a: await readWav(speech('a')), b: await readWav(speech('b')) };
    expect(heardByTab.length).toBeGreaterThan(48_000 * 5);
    expect(bestPresence(inputs.a, heardByTab), 'the tab hears the terminal').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.b, heardByTab), 'the tab does not hear itself').toBeLessThan(0.2);
    const heardByTerminal = await readWav(dir.file('out-a.wav'));
    expect(bestPresence(inputs.b, heardByTerminal), 'the terminal hears the tab').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.a, heardByTerminal), 'the terminal does not hear itself').toBeLessThan(0.2);
    expect(b.errors).toEqual([]);
  });

  it('two tabs join a terminal (browsers offer), all hear each other, and a closed tab is dropped by the others within 5 s', async () => {
    const code = newCode();
    const a = terminal('a', code, 30);
    await a.waitFor((l) => l.event === 'joined', 15_000, 'the terminal to join');
    const b1 = await browser('chromium-b', 'b');
    const tabB = await b1.newTab(pageUrl(code));
    await tabB.join('web-b');
    const b2 = await browser('chromium-c', 'c');
    const tabC = await b2.newTab(pageUrl(code));
    await tabC.join('web-c');
    const connected = (names: string[]) => async (snap = tabB) => {
      const s = await snap.snapshot();
      return names.every((n) => s?.peers.some((p) => p.name === n && p.state === 'connected'));
    };
    await waitUntil(() => connected(['a', 'web-c'])(tabB), 15_000, 'web-b to connect to a and web-c');
    await waitUntil(() => connected(['a', 'web-b'])(tabC), 15_000, 'web-c to connect to a and web-b');
    await tabB.startRecording();
    await tabC.startRecording();
    await sleep(7000);
    const heardByB = (await tabB.stopRecording()).pcm;
    const heardByC = (await tabC.stopRecording()).pcm;

    // web-c closes its tab: the terminal and web-b drop it within 5 s.
    const closedAt = Date.now();
    await tabC.page.close({ runBeforeUnload: true });
    const left = await a.waitFor((l) => l.event === 'peer-left' && l.name === 'web-c', 5000, 'the terminal to drop web-c');
    expect(left.seenAtMs - closedAt).toBeLessThan(5000);
    const tabBDropMs = await waitUntil(async () => !((await tabB.snapshot())?.peers.some((p) => p.name === 'web-c') ?? true), 5000, 'web-b to drop web-c');
    expect(tabBDropMs).toBeLessThan(5000);
    // The rest of the room is unharmed.
    expect((await tabB.snapshot())?.peers.find((p) => p.name === 'a')?.state).toBe('connected');

    a.proc.kill('SIGINT');
    expect(await a.exited).toEqual({ code: 0, signal: null });
    const inputs = { a: await readWav(speech('a')), b: await readWav(speech('b')), c: await readWav(speech('c')) };
    expect(bestPresence(inputs.a, heardByB), 'web-b hears a').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.c, heardByB), 'web-b hears web-c').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.a, heardByC), 'web-c hears a').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.b, heardByC), 'web-c hears web-b').toBeGreaterThan(0.3);
    const heardByA = await readWav(dir.file('out-a.wav'));
    expect(bestPresence(inputs.b, heardByA), 'a hears web-b').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.c, heardByA), 'a hears web-c').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.a, heardByA), 'a does not hear itself').toBeLessThan(0.2);
    expect([...b1.errors, ...b2.errors]).toEqual([]);
  });
});
