/**
 * The browser participant against the terminal, end to end: Debian's
 * Chromium (libwebrtc, a WebRTC stack we did not write) loads the page that
 * `roundtable serve` serves, joins with a WAV as its microphone, and talks
 * with real `roundtable join` processes. Everything (server, terminals,
 * Chromium) runs inside a network namespace with only `lo` up. Checked by
 * outcome: what each side heard (correlation with the other's input), who
 * each side sees, exit codes, and no console error in the page. Chat
 * crosses the links' data channel (negotiated, id 1) both ways, with the
 * browser as offerer and as answerer, and so does a terminal's recording
 * mark (the page shows REC beside it).
 */
import { mkdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissingReason, launchChromium, type Browser, type Tab } from '../helpers/chromium.js';
import { createNetNs, netnsMissingReason, type NetNs } from '../helpers/netns.js';
import { bestPresence, type Client, HEARD, isolateControlSockets, joinArgs, killAll, newCode, readJson, readWav, runClient, runCtl, servePage, sleep, speech, type StatsFile, TempDir, waitUntil, writeLoopbackConfig } from './harness.js';

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

function terminal(name: 'a' | 'b' | 'c', code: string, durationS: number, control = false, extra: string[] = []): Client {
  const c = runClient(name, joinArgs(name, { code, server: serverUrl, config, input: speech(name), output: dir.file(`out-${name}.wav`), stats: dir.file(`stats-${name}.json`), durationS, control, extra }), ns.exec);
  clients.push(c);
  return c;
}

/** The page URL: no STUN (loopback only), no browser voice processing (levels stay put), the participant exposed for the test. */
const pageUrl = (code: string): string => `${webUrl}?ice=none&processing=off&debug=1#${code}`;

/** Whether the tab shows each of `names` with a connected link. */
async function connected(tab: Tab, names: readonly string[]): Promise<boolean> {
  const s = await tab.snapshot();
  return names.every((n) => s?.peers.some((p) => p.name === n && p.state === 'connected') ?? false);
}


describe.skipIf(skipReason !== null)('browser participant: Chromium and terminals in one room', () => {
  beforeAll(async () => {
    ns = createNetNs('rt-web');
    dir = new TempDir();
    isolateControlSockets(dir);
    config = writeLoopbackConfig(dir);
    ({ client: server, url: serverUrl, web: webUrl } = await servePage(ns.exec));
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

  it('a terminal joins a room of two browsers (it offers to both): all three hear each other, and the tabs see it leave', async () => {
    const code = newCode();
    const b1 = await browser('chromium-b', 'b');
    const tabB = await b1.newTab(pageUrl(code));
    await tabB.join('web-b');
    expect((await tabB.snapshot())?.phase).toBe('waiting-for-peers');
    const b2 = await browser('chromium-c', 'c');
    const tabC = await b2.newTab(pageUrl(code));
    await tabC.join('web-c');
    await waitUntil(() => connected(tabB, ['web-c']), 15_000, 'web-b and web-c to connect (browser to browser)');
    await tabB.startRecording();
    await tabC.startRecording();

    const a = terminal('a', code, 9);
    await waitUntil(() => connected(tabB, ['a', 'web-c']), 15_000, 'web-b to show a and web-c connected');
    await waitUntil(() => connected(tabC, ['a', 'web-b']), 15_000, 'web-c to show a and web-b connected');
    expect(await a.exited).toEqual({ code: 0, signal: null });
    const heardByB = (await tabB.stopRecording()).pcm;
    const heardByC = (await tabC.stopRecording()).pcm;
    // The terminal left: both tabs drop it within 5 s, and keep each other.
    await waitUntil(async () => !(await tabB.snapshot())?.peers.some((p) => p.name === 'a'), 5000, 'web-b to drop the terminal that left');
    await waitUntil(async () => !(await tabC.snapshot())?.peers.some((p) => p.name === 'a'), 5000, 'web-c to drop the terminal that left');
    expect((await tabB.snapshot())?.peers.map((p) => [p.name, p.state])).toEqual([['web-c', 'connected']]);

    const inputs = { a: await readWav(speech('a')), b: await readWav(speech('b')), c: await readWav(speech('c')) };
    expect(heardByB.length).toBeGreaterThan(48_000 * 5);
    expect(bestPresence(inputs.a, heardByB, HEARD), 'web-b hears the terminal').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.c, heardByB, HEARD), 'web-b hears web-c').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.b, heardByB), 'web-b does not hear itself').toBeLessThan(0.2);
    expect(bestPresence(inputs.a, heardByC, HEARD), 'web-c hears the terminal').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.b, heardByC, HEARD), 'web-c hears web-b').toBeGreaterThan(0.3);
    const heardByA = await readWav(dir.file('out-a.wav'));
    expect(bestPresence(inputs.b, heardByA, HEARD), 'the terminal hears web-b').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.c, heardByA, HEARD), 'the terminal hears web-c').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.a, heardByA), 'the terminal does not hear itself').toBeLessThan(0.2);
    // RED (RFC 2198) was negotiated with each Chromium (the terminal offered it), and each tab sent it: its packets arrived as RED and parsed.
    const statsA = readJson<StatsFile>(dir.file('stats-a.json'));
    for (const web of ['web-b', 'web-c']) {
      const peer = statsA.peers.find((p) => p.name === web);
      expect(peer?.redDistance, `RED negotiated with ${web}`).not.toBeNull();
      expect(peer?.redPacketsReceived, `RED packets from ${web}`).toBeGreaterThan(100);
      expect(peer?.redMalformed).toBe(0);
    }
    expect([...b1.errors, ...b2.errors]).toEqual([]);
  });

  it('a browser joins two terminals already talking (it offers to both), all hear each other, and its closed tab is dropped within 5 s', async () => {
    const code = newCode();
    const a = terminal('a', code, 30);
    // c sends in Opus's low-delay mode (CELT alone): Chromium's decoder must take it like any Opus.
    const c = terminal('c', code, 30, false, ['--low-delay']);
    await a.waitFor((l) => l.event === 'peer-connected', 15_000, 'the terminals to connect to each other');
    const b1 = await browser('chromium-b', 'b');
    const tabB = await b1.newTab(pageUrl(code));
    await tabB.join('web-b');
    await waitUntil(() => connected(tabB, ['a', 'c']), 15_000, 'web-b to connect to both terminals');
    await tabB.startRecording();
    await sleep(7000);
    const heardByB = (await tabB.stopRecording()).pcm;

    // The tab closes: both terminals drop it within 5 s and keep their own link.
    const closedAt = Date.now();
    await tabB.page.close({ runBeforeUnload: true });
    for (const t of [a, c]) {
      const left = await t.waitFor((l) => l.event === 'peer-left' && l.name === 'web-b', 5000, `${t.name} to drop web-b`);
      expect(left.seenAtMs - closedAt).toBeLessThan(5000);
    }
    a.proc.kill('SIGINT');
    c.proc.kill('SIGINT');
    expect(await a.exited).toEqual({ code: 0, signal: null });
    expect(await c.exited).toEqual({ code: 0, signal: null });
    for (const t of [a, c]) expect(t.lines.some((l) => l.event === 'peer-left' && l.name !== 'web-b' && l.reason !== 'left')).toBe(false);

    const inputs = { a: await readWav(speech('a')), b: await readWav(speech('b')), c: await readWav(speech('c')) };
    expect(bestPresence(inputs.a, heardByB, HEARD), 'web-b hears a').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.c, heardByB, HEARD), 'web-b hears c (low delay)').toBeGreaterThan(0.3);
    const heardByA = await readWav(dir.file('out-a.wav'));
    const heardByC = await readWav(dir.file('out-c.wav'));
    expect(bestPresence(inputs.b, heardByA, HEARD), 'a hears web-b').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.c, heardByA, HEARD), 'a hears c').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.b, heardByC, HEARD), 'c hears web-b').toBeGreaterThan(0.3);
    expect(bestPresence(inputs.a, heardByC, HEARD), 'c hears a').toBeGreaterThan(0.3);
    // Chromium offered RED beside Opus (the page prefers it): the terminals answered with it, and the tab sent RED; the terminals with each other too.
    for (const t of ['a', 'c'] as const) {
      const stats = readJson<StatsFile>(dir.file(`stats-${t}.json`));
      const web = stats.peers.find((p) => p.name === 'web-b');
      expect(web?.redDistance, `${t}: RED negotiated with web-b`).not.toBeNull();
      expect(web?.redPacketsReceived, `${t}: RED packets from web-b`).toBeGreaterThan(100);
      expect(web?.redMalformed).toBe(0);
      // Between the terminals too. (How much they repeat follows the loss they report: on this loaded machine the
      // terminal-to-terminal link loses a few % here, with or without RED, measured 2026-12; so no figure is asserted.)
      const other = stats.peers.find((p) => p.name !== 'web-b');
      expect(other?.redDistance, `${t}: RED negotiated between the terminals`).not.toBeNull();
      expect(other?.redMalformed).toBe(0);
    }
    expect(b1.errors).toEqual([]);
  });

  it('chat crosses both ways between a tab and terminals, whichever offered: the page shows text only, the terminals log it; a recording terminal is marked', async () => {
    const code = newCode();
    // a is there first: the tab offers to a (libdatachannel answers); c comes last and offers to the tab (Chromium answers).
    const a = terminal('a', code, 40, true);
    await a.waitFor((l) => l.event === 'control-socket', 15_000, "a's control socket");
    const b1 = await browser('chromium-b', 'b');
    const tabB = await b1.newTab(pageUrl(code));
    await tabB.join('web-b');
    const c = terminal('c', code, 40, true);
    await waitUntil(() => connected(tabB, ['a', 'c']), 20_000, 'web-b to connect to both terminals');
    await c.waitFor((l) => l.event === 'peer-connected' && l.name === 'a', 15_000, 'c to connect to a');
    await sleep(1000); // the chat channels open right after each link

    // From the page: typed into the chat box, sent with Send.
    const sentAt = Date.now();
    await tabB.page.getByRole('textbox', { name: 'Message' }).fill('hello from the browser');
    await tabB.page.getByRole('button', { name: 'Send', exact: true }).click();
    for (const t of [a, c]) {
      const got = await t.waitFor((l) => l.event === 'chat' && l.from === 'web-b', 10_000, `${t.name} to get the tab's line`);
      expect(got.text).toBe('hello from the browser');
      expect(got.seenAtMs - sentAt).toBeLessThan(3000);
    }
    // From each terminal (ctl say): the page shows the line, escape sequences and markup as plain text or gone.
    expect(await runCtl(['say', 'hi web \u001b[31m<b>bold?</b>\u0007', '--pid', String(a.proc.pid)])).toMatchObject({ code: 0, stdout: 'sent\n' });
    expect(await runCtl(['say', 'hi from c', '--pid', String(c.proc.pid)])).toMatchObject({ code: 0 });
    const log = tabB.page.locator('.chat-log');
    await log.getByText('hi web <b>bold?</b>', { exact: true }).waitFor({ timeout: 10_000 });
    await log.getByText('hi from c', { exact: true }).waitFor({ timeout: 10_000 });
    expect(await log.locator('b').count()).toBe(0);
    const lines = (await tabB.snapshot())?.chat.filter((l) => l.kind === 'message').map((l) => `${l.from}: ${l.text}`);
    expect(lines).toEqual(['web-b: hello from the browser', 'a: hi web <b>bold?</b>', 'c: hi from c']);
    // The terminals got each other's lines too.
    await c.waitFor((l) => l.event === 'chat' && l.from === 'a' && l.text === 'hi web <b>bold?</b>', 10_000, 'c to get a\'s line');
    await a.waitFor((l) => l.event === 'chat' && l.from === 'c' && l.text === 'hi from c', 10_000, 'a to get c\'s line');

    // The recording mark crosses the same channel: the page shows REC beside the terminal that records, and says so in its chat.
    const row = (name: string) => tabB.page.locator('.peer').filter({ has: tabB.page.locator('.peer-name', { hasText: new RegExp(`^${name}$`) }) });
    expect(await runCtl(['record', 'start', dir.file('a-call.wav'), '--pid', String(a.proc.pid)])).toMatchObject({ code: 0, stdout: `recording to ${dir.file('a-call.wav')}\n` });
    await row('a').locator('.recording').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await row('c').locator('.recording').isVisible()).toBe(false);
    await log.locator('.chat-notice', { hasText: /\ba started recording$/ }).waitFor({ timeout: 10_000 });
    expect(await runCtl(['record', 'stop', '--pid', String(a.proc.pid)])).toMatchObject({ code: 0 });
    await row('a').locator('.recording').waitFor({ state: 'hidden', timeout: 10_000 });
    await log.locator('.chat-notice', { hasText: /\ba stopped recording$/ }).waitFor({ timeout: 10_000 });
    a.proc.kill('SIGINT');
    c.proc.kill('SIGINT');
    expect(await a.exited).toEqual({ code: 0, signal: null });
    expect(await c.exited).toEqual({ code: 0, signal: null });
    expect(b1.errors).toEqual([]);
  });
});
