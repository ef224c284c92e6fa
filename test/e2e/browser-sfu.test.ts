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
 * and the page logged no error.
 */
import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chromiumMissingReason, launchChromium, type Browser, type Tab } from '../helpers/chromium.js';
import { startCoturnIn } from '../helpers/coturn.js';
import { janusMissingReason, startJanus } from '../helpers/janus.js';
import { createNetNs, type NetNs } from '../helpers/netns.js';
import { bridgeTcp, type NsBridge } from '../helpers/ns-bridge.js';
import { janusE2e } from './janus-e2e.js';
import { bestPresence, HEARD, joinArgs, newCode, readJson, readWav, runClient, sleep, speech, TempDir, writeLoopbackConfig, type Client, type StatsFile } from './harness.js';

const missing = janusMissingReason() ?? chromiumMissingReason();
const e2e = janusE2e();
const clients = e2e.clients;
/** Fixed ports: both namespaces are fresh, and the bridge carries these. */
const SERVE_PORT = 8400;
const JANUS_WS_PORT = 8188;

/* eslint-disable @typescript-eslint/no-explicit-any */
type PageHandle = any;

async function waitUntil(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

describe.skipIf(missing !== null)(`a browser in an SFU room with terminals${missing === null ? '' : ` (skipped: ${missing})`}`, () => {
  it('Chromium publishes and subscribes through Janus with SFrame: it and two terminals hear each other, and the SFU path is on the page', async () => {
    const j = await startJanus();
    e2e.janus = j;
    const tmp = new TempDir();
    e2e.dir = tmp;
    const turn = startCoturnIn(j.ns, j.address);
    let chromeNs: NetNs | undefined;
    let bridge: NsBridge | undefined;
    let browser: Browser | undefined;
    try {
      const serve = runClient('serve', ['serve', '--host', j.address, '--port', String(SERVE_PORT), '--json', '--janus', j.wsUrl], j.ns.exec);
      clients.push(serve);
      const listening = await serve.waitFor((l) => l.event === 'server-listening', 20_000, 'the server to listen');
      const server = String(listening.url);
      // The page from 127.0.0.1 (bridged): only there is it a secure context, with a microphone and WebCrypto.
      const web = `http://127.0.0.1:${SERVE_PORT}/`;
      expect(new URL(j.wsUrl).port).toBe(String(JANUS_WS_PORT));

      chromeNs = createNetNs('rt-websfu');
      bridge = await bridgeTcp({ client: chromeNs, server: j.ns, host: j.address, ports: [SERVE_PORT, JANUS_WS_PORT, turn.port], dir: tmp.path });

      const code = newCode();
      const config = writeLoopbackConfig(tmp);
      const terminal = (x: 'a' | 'c', durationS: number, extra: string[]): Client => {
        const args = joinArgs(x, { code, server, config, input: speech(x), output: tmp.file(`out-${x}.wav`), stats: tmp.file(`stats-${x}.json`), durationS, extra });
        // ICE on the namespace's own address, where Janus gathers.
        args[args.indexOf('--bind-address') + 1] = j.address;
        const client = runClient(x, args, j.ns.exec);
        clients.push(client);
        return client;
      };
      const a = terminal('a', 24, ['--sfu']);
      await a.waitFor((l) => l.event === 'sfu-publishing', 20_000, 'a to publish to Janus');

      const home = tmp.file('chromium');
      mkdirSync(home, { recursive: true });
      browser = await launchChromium({ netns: chromeNs, dir: home, microphoneWav: speech('b') });
      // TURN at 127.0.0.1 (bridged): libwebrtc will not reach a TURN server on another address from its loopback network (error 701).
      const turnUrl = `turn:127.0.0.1:${turn.port}?transport=tcp`;
      const turnParams = `turn=${encodeURIComponent(turnUrl)}&turnUser=${turn.username}&turnCredential=${turn.credential}&relay=only`;
      const tab: Tab = await browser.newTab(`${web}?ice=none&processing=off&debug=1&${turnParams}#${code}`);
      // RT_DEBUG=1: the page's log on stderr, and coturn's at the end.
      if (process.env.RT_DEBUG === '1') tab.page.on('console', (m) => process.stderr.write(`[page ${m.type()}] ${m.text()}\n`));
      await tab.join('web-b').catch(async (err: unknown) => {
        throw new Error(`the page did not join: ${String(err)}\nsnapshot: ${JSON.stringify(await tab.snapshot())}\npage errors: ${browser!.errors.join('\n')}\npage: ${await tab.page.locator('body').innerText()}`);
      });
      const c = terminal('c', 18, []);

      await waitUntil(
        async () => {
          const s = await tab.snapshot();
          return s?.mediaPath === 'sfu' && ['a', 'c'].every((n) => s.peers.some((p) => p.name === n && p.state === 'connected' && p.level > 0));
        },
        30_000,
        'the page to show a and c connected through the SFU, with sound',
      );
      await tab.startRecording();
      await sleep(8000);
      const heardByB = (await tab.stopRecording()).pcm;
      const shown = await tab.page.locator('.media-path').textContent();
      expect(shown).toBe('media via SFU — end-to-end encrypted, the SFU cannot hear');
      const sfu = await tab.page.evaluate(() => (globalThis as PageHandle).roundtable.media.sfuStats as { framesSealed: number; framesOpened: number; framesRefused: number; subscriptions: number });
      expect(sfu.subscriptions).toBe(2);
      expect(sfu.framesSealed, 'the page sealed its frames').toBeGreaterThan(200);
      expect(sfu.framesOpened, 'the page opened the terminals’ frames').toBeGreaterThan(200);
      expect(sfu.framesRefused).toBe(0);
      await tab.page.getByRole('button', { name: 'Leave', exact: true }).click();
      await waitUntil(async () => (await tab.snapshot())?.phase === 'left', 10_000, 'the page to leave');

      for (const t of [a, c]) {
        const exit = await t.exited;
        expect(exit, `${t.name} stderr: ${t.stderr()}\nstdout: ${t.stdout().slice(-3000)}`).toEqual({ code: 0, signal: null });
        expect(t.lines.filter((l) => l.event === 'media-path').map((l) => l.path)).toEqual(['sfu']);
        const stopped = t.lines.find((l) => l.event === 'sfu-stopped');
        expect(stopped?.framesRefused, `${t.name} refused no frame`).toBe(0);
        expect(Number(stopped?.framesOpened)).toBeGreaterThan(200);
      }
      const inputs = { a: await readWav(speech('a')), b: await readWav(speech('b')), c: await readWav(speech('c')) };
      expect(heardByB.length).toBeGreaterThan(48_000 * 6);
      expect(bestPresence(inputs.a, heardByB, HEARD), 'the browser hears a').toBeGreaterThan(0.3);
      expect(bestPresence(inputs.c, heardByB, HEARD), 'the browser hears c').toBeGreaterThan(0.3);
      expect(bestPresence(inputs.b, heardByB), 'the browser does not hear itself').toBeLessThan(0.2);
      for (const [x, other] of [
        ['a', 'c'],
        ['c', 'a'],
      ] as const) {
        const out = await readWav(tmp.file(`out-${x}.wav`));
        expect(bestPresence(inputs.b, out, HEARD), `${x} hears the browser`).toBeGreaterThan(0.3);
        expect(bestPresence(inputs[other], out, HEARD), `${x} hears ${other}`).toBeGreaterThan(0.3);
        expect(bestPresence(inputs[x], out), `${x} does not hear itself`).toBeLessThan(0.2);
        const stats = readJson<StatsFile>(tmp.file(`stats-${x}.json`));
        expect(stats.peers.map((p) => p.name).sort()).toEqual([other, 'web-b'].sort());
      }
      expect(browser.errors).toEqual([]);
    } finally {
      if (process.env.RT_DEBUG === '1') process.stderr.write(`--- coturn log ---\n${turn.readLog().slice(-4000)}\n`);
      await browser?.close().catch(() => undefined);
      await bridge?.stop();
      chromeNs?.remove();
      await turn.stop();
    }
  }, 150_000);
});
