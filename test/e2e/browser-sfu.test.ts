/**
 * A browser in a room through the SFU (docs/architecture.md §11), end to
 * end with stacks we did not write: Debian's Janus forwards, Debian's
 * Chromium (libwebrtc) publishes and subscribes, its audio sealed and
 * opened with SFrame (RFC 9605) in an encoded transform, beside two
 * `roundtable join` processes that seal and open with node:crypto.
 *
 * Where everything runs: Janus, coturn, `roundtable serve --janus` and the
 * terminals in the Janus namespace (bench/lib/janus.ts: it needs an
 * interface of its own); Chromium in a namespace with only `lo`
 * (bench/lib/netns.ts). The two meet through ns-bridge.ts: the servers'
 * TCP ports (the page and signaling, Janus's WebSocket, TURN over TCP) are
 * carried over Unix sockets, and the page is relay-only through that TURN,
 * so its media crosses as TURN over TCP. No packet leaves either namespace.
 *
 * Checked by outcome: each side hears the others and not itself (a frame
 * the browser had not sealed with its key would be refused by the
 * terminals and never heard), the terminals refused no frame, the page
 * sealed and opened frames in its worker and refused none, the page says
 * the media goes via the SFU and that the SFU cannot hear, everyone exits 0
 * and the page logged no error. And a room that grows past the threshold
 * and shrinks again with the browser in it: the page follows both switches
 * (its stream of the terminal moves to the SFU and back), hears the
 * terminal on each path, and the terminal opens the page's frames while on
 * the SFU.
 */
import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chromiumMissingReason, launchChromium, type Browser, type Tab } from '../helpers/chromium.js';
import { janusMissingReason } from '../helpers/janus.js';
import { SERVE_PORT, startBrowserSfuNet } from '../../bench/lib/browser-sfu-net.js';
import { janusE2e } from './janus-e2e.js';
import { bestPresence, type Client, HEARD, joinArgs, killAll, newCode, readJson, readWav, runClient, silentWav, sleep, speech, type StatsFile, hearsThroughSfu, TempDir, waitUntil, writeLoopbackConfig } from './harness.js';

const missing = janusMissingReason() ?? chromiumMissingReason();
const e2e = janusE2e();
const clients = e2e.clients;

/* eslint-disable @typescript-eslint/no-explicit-any */
type PageHandle = any;


/** Janus, coturn, the server and the terminals in the Janus namespace; Chromium in its own, bridged to them. */
interface World {
  readonly ns: { readonly exec: readonly string[] };
  readonly address: string;
  readonly tmp: TempDir;
  readonly server: string;
  readonly browser: Browser;
  readonly config: string;
  /** The page URL for `code`: relay-only through the bridged TURN, the participant exposed (?debug=1), no voice processing. */
  pageUrl(code: string): string;
  /** A terminal in the Janus namespace (ICE on its address, where Janus gathers). */
  terminal(x: 'a' | 'c', code: string, durationS: number, input: string, extra?: string[]): Client;
}

async function withWorld(serveExtra: string[], turnOver: 'tcp' | 'udp', run: (w: World) => Promise<void>): Promise<void> {
  const tmp = new TempDir();
  e2e.dir = tmp;
  let server = '';
  const net = await startBrowserSfuNet({
    dir: tmp.path,
    startServe: async (j) => {
      const serve = runClient('serve', ['serve', '--host', j.address, '--port', String(SERVE_PORT), '--json', '--janus', j.wsUrl, ...serveExtra], j.ns.exec);
      clients.push(serve);
      server = String((await serve.waitFor((l) => l.event === 'server-listening', 20_000, 'the server to listen')).url);
    },
  });
  const j = net.janus;
  let browser: Browser | undefined;
  try {
    const home = tmp.file('chromium');
    mkdirSync(home, { recursive: true });
    browser = await launchChromium({ netns: net.chromeNs, dir: home, microphoneWav: speech('b') });
    const config = writeLoopbackConfig(tmp);
    await run({
      ns: j.ns,
      address: j.address,
      tmp,
      server,
      browser,
      config,
      pageUrl: (code) => net.pageUrl(code, turnOver),
      terminal: (x, code, durationS, input, extra = []) => {
        const args = joinArgs(x, { code, server, config, input, output: tmp.file(`out-${x}.wav`), stats: tmp.file(`stats-${x}.json`), durationS, extra });
        args[args.indexOf('--bind-address') + 1] = j.address;
        const client = runClient(x, args, j.ns.exec);
        clients.push(client);
        return client;
      },
    });
    expect(browser.errors).toEqual([]);
  } catch (err) {
    if (process.env.RT_DEBUG === '1') for (const c of clients) process.stderr.write(`--- ${c.name} ---\n${c.stdout().slice(-6000)}\n${c.stderr().slice(-2000)}\n`);
    throw err;
  } finally {
    if (process.env.RT_DEBUG === '1') process.stderr.write(`--- coturn log ---\n${net.turn.readLog().slice(-4000)}\n`);
    await browser?.close().catch(() => undefined);
    // The terminals and the server end before the network they live in.
    const left = clients.splice(0);
    killAll(left);
    await Promise.all(left.map((c) => c.exited));
    await net.stop();
  }
}

/** Join from the page; on failure, say what the page showed. RT_DEBUG=1 copies the page's log to stderr. */
async function joinPage(w: World, code: string, log: string[] = []): Promise<Tab> {
  const tab = await w.browser.newTab(w.pageUrl(code));
  tab.page.on('console', (m) => {
    log.push(m.text());
    if (process.env.RT_DEBUG === '1') process.stderr.write(`[page ${m.type()}] ${m.text()}\n`);
  });
  await tab.join('web-b').catch(async (err: unknown) => {
    throw new Error(`the page did not join: ${String(err)}\npage errors: ${w.browser.errors.join('\n')}\npage: ${await tab.page.locator('body').innerText()}`);
  });
  return tab;
}

/** The id of the peer the page shows as `name`, and the path its stream plays from. */
async function pagePath(tab: Tab, name: string): Promise<string | undefined> {
  const s = await tab.snapshot();
  const id = s?.peers.find((p) => p.name === name)?.id;
  if (id === undefined) return undefined;
  return tab.page.evaluate((peer) => (globalThis as PageHandle).roundtable.media.peerPath(peer) as string | undefined, id);
}

describe.skipIf(missing !== null)(`a browser in an SFU room with terminals${missing === null ? '' : ` (skipped: ${missing})`}`, () => {
  it('Chromium publishes and subscribes through Janus with SFrame: it and two terminals hear each other, and the SFU path is on the page', async () => {
    // TURN over TCP: Janus (libnice) takes Chromium's checks from a TCP-relayed candidate.
    await withWorld([], 'tcp', async (w) => {
      const code = newCode();
      const a = w.terminal('a', code, 24, speech('a'), ['--sfu']);
      await a.waitFor((l) => l.event === 'sfu-publishing', 20_000, 'a to publish to Janus');
      const tab = await joinPage(w, code);
      const c = w.terminal('c', code, 18, speech('c'));

      await waitUntil(async () => hearsThroughSfu(await tab.snapshot(), ['a', 'c']), 30_000, 'the page to show a and c connected through the SFU, with sound', 200);
      await tab.startRecording();
      await sleep(8000);
      const heardByB = (await tab.stopRecording()).pcm;
      expect(await tab.page.locator('.media-path').textContent()).toBe('media via SFU — end-to-end encrypted, the SFU cannot hear');
      const sfu = await tab.page.evaluate(() => (globalThis as PageHandle).roundtable.media.sfuStats as { framesSealed: number; framesOpened: number; framesRefused: number; subscriptions: number });
      expect(sfu.subscriptions).toBe(2);
      expect(sfu.framesSealed, 'the page sealed its frames').toBeGreaterThan(200);
      expect(sfu.framesOpened, 'the page opened the terminals’ frames').toBeGreaterThan(200);
      expect(sfu.framesRefused).toBe(0);
      await tab.page.getByRole('button', { name: 'Leave', exact: true }).click();
      await waitUntil(async () => (await tab.snapshot())?.phase === 'left', 10_000, 'the page to leave', 200);

      for (const t of [a, c]) {
        const exit = await t.exited;
        expect(exit, `${t.name} stderr: ${t.stderr()}\nstdout: ${t.stdout().slice(-3000)}`).toEqual({ code: 0, signal: null });
        expect(t.lines.filter((l) => l.event === 'media-path').map((l) => l.path)).toEqual(['sfu']);
        const stopped = t.lines.find((l) => l.event === 'sfu-stopped');
        expect(stopped?.framesRefused, `${t.name} refused no frame`).toBe(0);
        expect(Number(stopped?.framesOpened)).toBeGreaterThan(200);
      }
      const inputs = { a: await readWav(speech('a')), b: await readWav(speech('b')), c: await readWav(speech('c')) };
      if (process.env.RT_DEBUG === '1') {
        const presence = {
          bHearsA: bestPresence(inputs.a, heardByB, HEARD),
          bHearsC: bestPresence(inputs.c, heardByB, HEARD),
          bHearsB: bestPresence(inputs.b, heardByB),
          aHearsB: bestPresence(inputs.b, await readWav(w.tmp.file('out-a.wav')), HEARD),
          cHearsB: bestPresence(inputs.b, await readWav(w.tmp.file('out-c.wav')), HEARD),
        };
        const opened = [a, c].map((t) => t.lines.find((l) => l.event === 'sfu-stopped'));
        process.stderr.write(`FIGURES ${JSON.stringify({ page: sfu, presence, terminals: opened.map((o) => ({ opened: o?.framesOpened, sealed: o?.framesSealed, refused: o?.framesRefused })) })}\n`);
      }
      expect(heardByB.length).toBeGreaterThan(48_000 * 6);
      expect(bestPresence(inputs.a, heardByB, HEARD), 'the browser hears a').toBeGreaterThan(0.3);
      expect(bestPresence(inputs.c, heardByB, HEARD), 'the browser hears c').toBeGreaterThan(0.3);
      expect(bestPresence(inputs.b, heardByB), 'the browser does not hear itself').toBeLessThan(0.2);
      for (const [x, other] of [
        ['a', 'c'],
        ['c', 'a'],
      ] as const) {
        const out = await readWav(w.tmp.file(`out-${x}.wav`));
        expect(bestPresence(inputs.b, out, HEARD), `${x} hears the browser`).toBeGreaterThan(0.3);
        expect(bestPresence(inputs[other], out, HEARD), `${x} hears ${other}`).toBeGreaterThan(0.3);
        expect(bestPresence(inputs[x], out), `${x} does not hear itself`).toBeLessThan(0.2);
        const stats = readJson<StatsFile>(w.tmp.file(`stats-${x}.json`));
        expect(stats.peers.map((p) => p.name).sort()).toEqual([other, 'web-b'].sort());
      }
    });
  }, 150_000);

  it('a room with the browser grows onto the SFU and shrinks back to the mesh: the page follows both switches and hears the terminal on each path', async () => {
    // TURN over UDP: the mesh link's other end is libjuice, which refuses Chromium's checks from a
    // TCP-relayed candidate (their tie-breaker is 0; libjuice issue #355, docs/architecture.md §7).
    await withWorld(['--sfu-threshold', '2', '--mesh-threshold', '2'], 'udp', async (w) => {
      const code = newCode();
      const log: string[] = [];
      const a = w.terminal('a', code, 40, speech('a'));
      await a.waitFor((l) => l.event === 'media-path', 20_000, 'a in the room');
      const tab = await joinPage(w, code, log);
      const inputA = await readWav(speech('a'));
      const heardOn = async (what: string): Promise<number> => {
        await tab.startRecording();
        await sleep(5000);
        const presence = bestPresence(inputA, (await tab.stopRecording()).pcm, HEARD);
        if (process.env.RT_DEBUG === '1') process.stderr.write(`FIGURES heard a ${what}: ${presence}\n`);
        expect(presence, `the browser hears a ${what}`).toBeGreaterThan(0.3);
        return presence;
      };

      const hearsA = async (): Promise<boolean> => (await tab.snapshot())?.peers.some((p) => p.name === 'a' && p.state === 'connected' && p.level > 0) ?? false;
      await waitUntil(async () => (await pagePath(tab, 'a')) === 'mesh' && (await hearsA()), 20_000, 'the page to play a from its mesh link, with sound', 200);
      expect((await tab.snapshot())?.mediaPath).toBe('mesh');
      await heardOn('on the mesh');

      // A silent third member: the room goes through the SFU (more than 2), and only a and the page talk.
      const c = w.terminal('c', code, 14, silentWav(w.tmp.file('silence.wav')));
      await waitUntil(async () => (await tab.snapshot())?.mediaPath === 'sfu' && (await pagePath(tab, 'a')) === 'sfu', 30_000, 'the page to play a from the SFU', 200);
      await a.waitFor((l) => l.event === 'media-path-switched' && l.path === 'sfu', 30_000, "a's switch to the SFU to finish");
      expect(await tab.page.locator('.media-path').textContent()).toBe('media via SFU — end-to-end encrypted, the SFU cannot hear');
      await heardOn('through the SFU');
      const sealed = await tab.page.evaluate(() => (globalThis as PageHandle).roundtable.media.sfuStats as { framesSealed: number; framesRefused: number });
      expect(sealed.framesSealed).toBeGreaterThan(100);
      expect(sealed.framesRefused).toBe(0);

      // c leaves: back to the mesh (2 members), the page leaves Janus once both ends play each other from the mesh.
      expect(await c.exited).toEqual({ code: 0, signal: null });
      await waitUntil(async () => (await tab.snapshot())?.mediaPath === 'mesh' && (await pagePath(tab, 'a')) === 'mesh', 30_000, 'the page to play a from the mesh again', 200);
      await waitUntil(async () => log.some((l) => l.includes('sfu-left')), 30_000, 'the page to leave Janus', 200);
      expect(await tab.page.evaluate(() => (globalThis as PageHandle).roundtable.media.sfuStats)).toBeUndefined();
      await heardOn('on the mesh again');

      await tab.page.getByRole('button', { name: 'Leave', exact: true }).click();
      const exitA = await a.exited;
      expect(exitA, `a stderr: ${a.stderr()}`).toEqual({ code: 0, signal: null });
      expect(a.lines.filter((l) => l.event === 'media-path').map((l) => l.path)).toEqual(['mesh', 'sfu', 'mesh']);
      expect(a.lines.filter((l) => l.event === 'media-path-switched').map((l) => l.path)).toEqual(['sfu', 'mesh']);
      // While on the SFU, a opened the page's frames (c sent none: silent) and refused none.
      const stopped = a.lines.find((l) => l.event === 'sfu-stopped');
      expect(Number(stopped?.framesOpened), "a opened the page's frames through the SFU").toBeGreaterThan(100);
      expect(stopped?.framesRefused).toBe(0);
      const pageSwitches = log.filter((l) => l.includes('media-path-switched'));
      if (process.env.RT_DEBUG === '1') process.stderr.write(`FIGURES switches ${JSON.stringify(pageSwitches)} a-opened ${String(stopped?.framesOpened)}\n`);
      expect(pageSwitches.map((l) => (l.includes('path: sfu') ? 'sfu' : 'mesh'))).toEqual(['sfu', 'mesh']);
      const out = await readWav(w.tmp.file('out-a.wav'));
      expect(bestPresence(await readWav(speech('b')), out, HEARD), 'a hears the browser').toBeGreaterThan(0.3);
    });
  }, 170_000);
});
