/**
 * The web client when things go wrong, as a person meets it in Chromium:
 * the microphone is refused, the code in the link is malformed, the room is
 * full or locked (by the page's own Lock button), the server is gone. Each must end in words on the page that say what
 * to try, with the Join button usable again, and no uncaught exception.
 * Server, terminal and Chromium run in a loopback-only namespace.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissingReason, launchChromium, type Browser } from '../helpers/chromium.js';
import { createNetNs, netnsMissingReason, type NetNs } from '../helpers/netns.js';
import { type Client, joinArgs, killAll, newCode, runClient, servePage, speech, TempDir, writeLoopbackConfig } from './harness.js';

const skipReason = netnsMissingReason() ?? chromiumMissingReason();

let ns: NetNs;
let dir: TempDir;
let server: Client;
let serverUrl: string;
let webUrl: string;
const clients: Client[] = [];
const browsers: Browser[] = [];
let homes = 0;

async function browser(microphone: 'allow' | 'deny' = 'allow'): Promise<Browser> {
  const home = dir.file(`chromium-${homes++}`);
  mkdirSync(home);
  const b = await launchChromium({ netns: ns, dir: home, microphoneWav: speech('b'), microphone });
  browsers.push(b);
  return b;
}

describe.skipIf(skipReason !== null)('browser participant: errors in words', () => {
  beforeAll(async () => {
    ns = createNetNs('rt-web-err');
    dir = new TempDir();
    // Two peers per room (the smallest the server allows), so that a third finds it full.
    ({ client: server, url: serverUrl, web: webUrl } = await servePage(ns.exec, ['--max-peers', '2']));
  });

  afterEach(async () => {
    for (const b of browsers.splice(0)) await b.close().catch(() => undefined);
    killAll(clients.splice(0));
  });

  afterAll(async () => {
    if (server !== undefined && server.proc.exitCode === null) server.proc.kill('SIGTERM');
    await server?.exited;
    ns?.remove();
    dir?.remove();
  });

  it('a refused microphone is explained, and Join works again', async () => {
    const b = await browser('deny');
    const page = (await b.newTab(`${webUrl}?ice=none#${newCode()}`)).page;
    await page.getByLabel('Your name').fill('web');
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('not allowed to use your microphone').waitFor({ timeout: 10_000 });
    expect(await alert.textContent()).toMatch(/microphone/i);
    expect(await page.getByRole('button', { name: 'Join', exact: true }).isEnabled()).toBe(true);
    expect(b.pageErrors).toEqual([]);
  });

  it('a malformed code in the link is explained before anything is sent', async () => {
    const b = await browser();
    const page = (await b.newTab(`${webUrl}?ice=none#purple-otter`)).page;
    await page.getByRole('alert').waitFor({ timeout: 10_000 });
    expect(await page.getByRole('alert').textContent()).toMatch(/code/i);
    // The paste field is offered instead.
    expect(await page.getByLabel('Or paste a room code or link').isVisible()).toBe(true);
    expect(b.errors).toEqual([]);
  });

  it('a full room is explained (two terminals hold both places)', async () => {
    const code = newCode();
    const config = writeLoopbackConfig(dir);
    const [a, c] = (['a', 'c'] as const).map((x) => runClient(x, joinArgs(x, { code, server: serverUrl, config, input: speech(x), output: dir.file(`out-${x}.wav`), durationS: 20 }), ns.exec));
    clients.push(a!, c!);
    await a!.waitFor((l) => l.event === 'peer-connected', 15_000, 'the terminals to connect');
    const b = await browser();
    const page = (await b.newTab(`${webUrl}?ice=none#${code}`)).page;
    await page.getByLabel('Your name').fill('web');
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await page.getByRole('alert').getByText('The room is full.').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('button', { name: 'Join', exact: true }).isEnabled()).toBe(true);
    expect(b.pageErrors).toEqual([]);
    // The terminals noticed nobody but each other.
    for (const t of [a!, c!]) expect(t.lines.filter((l) => l.event === 'peer-joined').map((l) => l.name)).not.toContain('web');
  });

  it('the Lock button locks the room for everyone (the terminal hears of it), a newcomer knocks and Deny turns it away in words, Unlock opens it', async () => {
    const code = newCode();
    const config = writeLoopbackConfig(dir);
    const a = runClient('a', joinArgs('a', { code, server: serverUrl, config, input: speech('a'), output: dir.file('lock-a.wav'), durationS: 40 }), ns.exec);
    clients.push(a);
    const b = await browser();
    const page = (await b.newTab(`${webUrl}?ice=none#${code}`)).page;
    await page.getByLabel('Your name').fill('web');
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await a.waitFor((l) => l.event === 'peer-connected', 20_000, 'the tab connected');
    await page.getByRole('button', { name: 'Lock room', exact: true }).click();
    await a.waitFor((l) => l.event === 'room-locked' && l.by === 'web', 10_000, 'the terminal told the room is locked');
    await page.getByText('Locked: nobody new may join', { exact: true }).waitFor({ timeout: 5000 });
    expect(await page.getByRole('button', { name: 'Unlock room', exact: true }).getAttribute('aria-pressed')).toBe('true');
    const late = (await b.newTab(`${webUrl}?ice=none#${code}`)).page;
    await late.getByLabel('Your name').fill('late');
    await late.getByRole('button', { name: 'Join', exact: true }).click();
    // The late tab knocks: it waits to be let in, the room sees who knocks (Admit / Deny); Deny tells it in words.
    await late.getByText('The room is locked: waiting for someone inside to let you in…').waitFor({ timeout: 15_000 });
    await a.waitFor((l) => l.event === 'knock' && l.name === 'late', 10_000, 'the terminal told late knocks');
    await page.getByText('late asks to join', { exact: true }).waitFor({ timeout: 5000 });
    await page.getByRole('button', { name: 'Deny', exact: true }).click();
    await late.getByRole('alert').getByText('The room said no.').waitFor({ timeout: 15_000 });
    await a.waitFor((l) => l.event === 'knock-end' && l.outcome === 'denied' && l.by === 'web', 10_000, 'the terminal told web turned late away');
    await page.getByRole('button', { name: 'Unlock room', exact: true }).click();
    await a.waitFor((l) => l.event === 'room-unlocked' && l.by === 'web', 10_000, 'the terminal told the room is open');
    await page.getByText('Locked: nobody new may join', { exact: true }).waitFor({ state: 'hidden', timeout: 5000 });
    expect(b.pageErrors).toEqual([]);
  });

  it('a server that went away is explained (the page was loaded before)', async () => {
    const b = await browser();
    const page = (await b.newTab(`${webUrl}?ice=none#${newCode()}`)).page;
    server.proc.kill('SIGTERM');
    await server.exited;
    await page.getByLabel('Your name').fill('web');
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await page.getByRole('alert').getByText('Cannot reach the Roundtable server.').waitFor({ timeout: 20_000 });
    expect(await page.getByRole('button', { name: 'Join', exact: true }).isEnabled()).toBe(true);
    // Chromium itself logs the refused WebSocket; what matters is that the page threw nothing.
    expect(b.pageErrors).toEqual([]);
  });
});
