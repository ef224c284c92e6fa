/**
 * The browser participant in Firefox: Debian's Firefox ESR (Gecko's WebRTC,
 * a second stack we did not write, beside Chromium's) loads the page that
 * `roundtable serve` serves and talks with a real `roundtable join`.
 * Everything runs in a network namespace of the test's own, with an address
 * that never leaves it (netns.ts addNamespaceAddress: Firefox gathers no
 * candidate with only `lo`). Firefox's microphone is its fake 1 kHz tone;
 * the terminal's is speech. Checked by outcome: the tone in what the
 * terminal played, the terminal's speech in what the page played, Firefox's
 * own Opus payload type in use, who each side sees, exit codes, no page error.
 *
 * And the case that hung the page before: a browser that cannot start the
 * page's sound (Firefox with no sound server leaves AudioContext.resume()
 * pending for ever) still joins, sends its microphone, and says on screen
 * that its sound is off and what to click.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toneShare } from '../../bench/lib/analysis.js';
import { FAKE_MICROPHONE_HZ, firefoxMissingReason, openFirefoxTab, type FirefoxTab } from '../../bench/lib/firefox.js';
import { addNamespaceAddress, createNetNs, netnsMissingReason, type NetNs } from '../helpers/netns.js';
import { janusMissingReason, startJanus } from '../helpers/janus.js';
import { SERVE_PORT } from '../../bench/lib/browser-sfu-net.js';
import { janusE2e } from './janus-e2e.js';
import { startPulse, type PulseHandle } from '../helpers/pulse.js';
import { bestPresence, type Client, HEARD, hearsThroughSfu, joinArgs, killAll, newCode, readJson, readWav, runClient, servePage, sleep, speech, type StatsFile, TempDir, waitUntil, writeLoopbackConfig } from './harness.js';

const skipReason = netnsMissingReason() ?? firefoxMissingReason();

let ns: NetNs;
let dir: TempDir;
let server: Client;
let serverUrl: string;
let webUrl: string;
let config: string;
const clients: Client[] = [];
const tabs: FirefoxTab[] = [];

function terminal(name: 'a', code: string, durationS: number, extra: string[] = []): Client {
  const c = runClient(name, joinArgs(name, { code, server: serverUrl, config, input: speech(name), output: dir.file(`out-${name}-${code}.wav`), stats: dir.file(`stats-${name}-${code}.json`), durationS, extra }), ns.exec);
  clients.push(c);
  return c;
}

/** How the terminal received Firefox, for a failure's message. */
function receivedFromFirefox(code: string): string {
  const peer = readJson<StatsFile>(dir.file(`stats-a-${code}.json`)).peers.find((p) => p.name.startsWith('firefox'));
  return JSON.stringify({ received: peer?.packetsReceived, lost: peer?.packetsLost, concealed: peer?.framesConcealed, generations: peer?.linkGenerations });
}

async function firefox(name: string, code: string, env?: Record<string, string>): Promise<FirefoxTab> {
  const home = dir.file(`${name}-${code}`);
  mkdirSync(home, { recursive: true });
  // No STUN (loopback only), no browser voice processing (levels stay put), the participant exposed for the test.
  const tab = await openFirefoxTab({ netns: ns, dir: home, url: `${webUrl}?ice=none&processing=off&debug=1#${code}`, ...(env !== undefined ? { env } : {}) });
  tabs.push(tab);
  return tab;
}


const sees = async (tab: FirefoxTab, name: string): Promise<boolean> =>
  (await tab.snapshot())?.peers.some((p) => p.name === name && p.state === 'connected' && p.packetsReceived > 50) ?? false;

describe.skipIf(skipReason !== null)('browser participant: Firefox and a terminal', () => {
  beforeAll(async () => {
    ns = createNetNs('rt-ff');
    addNamespaceAddress(ns);
    dir = new TempDir();
    config = writeLoopbackConfig(dir);
    ({ client: server, url: serverUrl, web: webUrl } = await servePage(ns.exec));
  });

  afterEach(async () => {
    for (const t of tabs.splice(0)) await t.close();
    killAll(clients.splice(0));
  });

  afterAll(async () => {
    server?.proc.kill('SIGTERM');
    await server?.exited;
    ns?.remove();
    dir?.remove();
  });

  it('Firefox joins a terminal that is talking: each hears the other, in Firefox\'s own Opus payload type, and the tab sees the terminal leave', async () => {
    const pulse = await startPulse();
    if ('skipped' in pulse) throw new Error(pulse.skipped);
    try {
      const code = newCode();
      // Firefox starts first (seconds), so that the terminal's time runs only from the call.
      const tab = await firefox('firefox', code, pulse.env);
      // The terminal sends in Opus's low-delay mode (CELT alone): Gecko's decoder must take it like any Opus.
      const a = terminal('a', code, 10, ['--low-delay']);
      await a.waitFor((l) => l.event === 'joined', 15_000, 'the terminal to join');
      await tab.join('firefox');
      await waitUntil(() => sees(tab, 'a'), 15_000, 'the tab to show the terminal connected and hear it');
      expect((await tab.snapshot())?.self.audio?.output.health).toBe('ok');
      await tab.startRecording();
      await sleep(4000);
      const heardByFirefox = (await tab.stopRecording()).pcm;
      expect(await a.exited).toEqual({ code: 0, signal: null });
      await waitUntil(async () => (await tab.snapshot())?.peers.length === 0, 5000, 'the tab to drop the terminal that left');

      // Firefox numbers Opus 109 where we say 111: the terminal sends and reads what was agreed.
      const negotiated = a.lines.find((l) => l.event === 'audio-negotiated');
      expect(negotiated?.opus).toBe(109);
      expect(heardByFirefox.length).toBeGreaterThan(48_000 * 3);
      expect(bestPresence(await readWav(speech('a')), heardByFirefox, HEARD), 'Firefox hears the terminal').toBeGreaterThan(0.3);
      const heardByA = await readWav(dir.file(`out-a-${code}.wav`));
      // The terminal's output over its last 4 s (Firefox talking all along): Firefox's tone, not the terminal's own speech.
      const last = heardByA.length - 4 * 48_000;
      expect(toneShare(heardByA, FAKE_MICROPHONE_HZ, last), `the terminal hears Firefox's microphone ${receivedFromFirefox(code)}`).toBeGreaterThan(0.5);
      expect(bestPresence(await readWav(speech('a')), heardByA), 'the terminal does not hear itself').toBeLessThan(0.2);
      expect((await tab.errors()).filter((e) => e.startsWith('pageerror'))).toEqual([]);
    } finally {
      for (const t of tabs.splice(0)) await t.close();
      await pulse.stop();
    }
  });

  it('a terminal joins Firefox (the terminal offers, in our payload types): each hears the other, and the closed Firefox is dropped within 5 s', async () => {
    const pulse = await startPulse();
    if ('skipped' in pulse) throw new Error(pulse.skipped);
    try {
      const code = newCode();
      const tab = await firefox('firefox-first', code, pulse.env);
      await tab.join('firefox');
      expect((await tab.snapshot())?.phase).toBe('waiting-for-peers');
      const a = terminal('a', code, 16);
      await waitUntil(() => sees(tab, 'a'), 15_000, 'the tab to show the terminal connected and hear it');
      await tab.startRecording();
      await sleep(4000);
      const heardByFirefox = (await tab.stopRecording()).pcm;
      // Firefox closes (as a person quits it): the terminal drops it as gone ('left', the page's pagehide), well before its own end.
      const pageErrors = (await tab.errors()).filter((e) => e.startsWith('pageerror'));
      const closedAt = Date.now();
      await tab.close();
      const left = await a.waitFor((l) => l.event === 'peer-left' && l.name === 'firefox', 5000, 'the terminal to drop the closed Firefox');
      if (process.env.RT_DEBUG === '1') process.stderr.write(`FIGURES dropped ${left.seenAtMs - closedAt} ms after the close, reason ${String(left.reason)}\n`);
      expect(left.seenAtMs - closedAt).toBeLessThan(5000);
      expect(left.reason, 'the page said it was leaving (pagehide)').toBe('left');
      expect(await a.exited).toEqual({ code: 0, signal: null });
      const exitedAt = Date.now();
      // Our offer says Opus 111 (RED 63 beside it); Firefox answers in our numbering.
      expect(a.lines.find((l) => l.event === 'audio-negotiated')?.opus).toBe(111);
      expect(bestPresence(await readWav(speech('a')), heardByFirefox, HEARD), 'Firefox hears the terminal').toBeGreaterThan(0.3);
      // What the terminal played in the 3 s before Firefox closed (its output ends with silence after).
      const heardByA = await readWav(dir.file(`out-a-${code}.wav`));
      const closedAtSample = heardByA.length - Math.round(((exitedAt - closedAt) / 1000) * 48_000);
      expect(toneShare(heardByA, FAKE_MICROPHONE_HZ, closedAtSample - 4 * 48_000, closedAtSample - 1 * 48_000), `the terminal hears Firefox's microphone ${receivedFromFirefox(code)}`).toBeGreaterThan(0.5);
      expect(pageErrors).toEqual([]);
    } finally {
      for (const t of tabs.splice(0)) await t.close();
      await pulse.stop();
    }
  });

  it('Firefox with no sound to play to joins all the same, sends its microphone, and says its sound is off and what to click', async () => {
    const code = newCode();
    // No sound server Firefox can reach, and an ALSA with no device: no speaker at all, as on a machine with none.
    const noAlsa = dir.file('no-alsa.conf');
    writeFileSync(noAlsa, '');
    const tab = await firefox('firefox-mute', code, { PULSE_SERVER: `unix:${dir.file('no-pulse-here')}`, ALSA_CONFIG_PATH: noAlsa });
    const a = terminal('a', code, 8);
    await a.waitFor((l) => l.event === 'joined', 15_000, 'the terminal to join');
    await tab.join('firefox');
    const snapshot = await tab.snapshot();
    expect(snapshot?.self.audio?.output.health).toBe('lost');
    await a.waitFor((l) => l.event === 'peer-connected', 15_000, 'the link to Firefox');
    const text = await tab.text();
    expect(text).toMatch(/Your sound is off: the browser has not started this page's sound/);
    expect(text).toMatch(/Enable sound/);
    // A click asks again; with no speaker it stays off, and nothing breaks.
    await tab.click('button.start-sound');
    await sleep(500);
    expect((await tab.snapshot())?.self.audio?.output.health).toBe('lost');
    expect(await a.exited).toEqual({ code: 0, signal: null });
    const heardByA = await readWav(dir.file(`out-a-${code}.wav`));
    // With no sound device Firefox runs its media graph on a timer of its own, and under load its audio came unevenly:
    // 0.2 of the terminal's output was the tone in one loaded run (0.5 and more otherwise). Speech or silence give < 0.02.
    expect(toneShare(heardByA, FAKE_MICROPHONE_HZ, heardByA.length - 4 * 48_000), `the terminal hears Firefox's microphone ${receivedFromFirefox(code)}`).toBeGreaterThan(0.1);
    expect((await tab.errors()).filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});

const sfuSkip = netnsMissingReason() ?? firefoxMissingReason() ?? janusMissingReason();

/**
 * Firefox in a room through Janus, its audio sealed and opened with SFrame
 * (RFC 9605) in Gecko's RTCRtpScriptTransform. Firefox runs in the Janus
 * namespace itself (it has an address there and needs no bridge, unlike
 * Chromium, which must stay in a namespace with only `lo`); `serve` listens
 * on every address of that namespace so that the page loads from
 * 127.0.0.1 (a secure context, where the microphone is allowed) while the
 * terminals and Janus use the namespace's address.
 */
describe.skipIf(sfuSkip !== null)('browser participant: Firefox in a room through the SFU', () => {
  const e2e = janusE2e();

  it("Firefox publishes and subscribes through Janus with SFrame in Gecko's encoded transform: it and two terminals hear each other, nobody hears itself", async () => {
    const t0 = Date.now();
    const step = (what: string): void => void (process.env.RT_DEBUG === '1' && process.stderr.write(`STEP ${Date.now() - t0} ms ${what}\n`));
    const tmp = (e2e.dir = new TempDir());
    const janus = (e2e.janus = await startJanus());
    step('janus up');
    const pulse = await startPulse();
    if ('skipped' in pulse) throw new Error(pulse.skipped);
    let tab: FirefoxTab | undefined;
    try {
      const serve = runClient('serve', ['serve', '--host', '0.0.0.0', '--port', String(SERVE_PORT), '--json', '--janus', janus.wsUrl], janus.ns.exec);
      e2e.clients.push(serve);
      await serve.waitFor((l) => l.event === 'server-listening', 20_000, 'the server to listen');
      const server = `ws://${janus.address}:${SERVE_PORT}`;
      const cfg = writeLoopbackConfig(tmp);
      const term = (x: 'a' | 'c', code: string, durationS: number, extra: string[] = []): Client => {
        const args = joinArgs(x, { code, server, config: cfg, input: speech(x), output: tmp.file(`out-${x}.wav`), stats: tmp.file(`stats-${x}.json`), durationS, extra });
        args[args.indexOf('--bind-address') + 1] = janus.address;
        const client = runClient(x, args, janus.ns.exec);
        e2e.clients.push(client);
        return client;
      };
      const code = newCode();
      const home = tmp.file('firefox');
      mkdirSync(home, { recursive: true });
      tab = await openFirefoxTab({ netns: janus.ns, dir: home, url: `http://127.0.0.1:${SERVE_PORT}/?ice=none&processing=off&debug=1#${code}`, env: pulse.env });
      step('firefox open');
      const a = term('a', code, 22, ['--sfu']);
      await a.waitFor((l) => l.event === 'sfu-publishing', 20_000, 'a to publish to Janus');
      step('a publishing');
      await tab.join('firefox');
      step('firefox joined');
      const c = term('c', code, 16);
      const t = tab;
      await waitUntil(async () => hearsThroughSfu(await t.snapshot(), ['a', 'c']), 30_000, 'the page to show a and c connected through the SFU, with sound', 200);
      await tab.startRecording();
      await sleep(8000);
      const heardByFirefox = (await tab.stopRecording()).pcm;
      step('recorded');
      expect(await tab.text()).toContain('media via SFU — end-to-end encrypted, the SFU cannot hear');
      const sfu = await tab.evaluate<{ framesSealed: number; framesOpened: number; framesRefused: number; subscriptions: number }>('globalThis.roundtable.media.sfuStats');
      expect(sfu.subscriptions).toBe(2);
      expect(sfu.framesSealed, 'the page sealed its frames').toBeGreaterThan(200);
      expect(sfu.framesOpened, 'the page opened the terminals’ frames').toBeGreaterThan(200);
      expect(sfu.framesRefused).toBe(0);
      await tab.click('button.leave');
      await waitUntil(async () => (await t.snapshot())?.phase === 'left', 10_000, 'the page to leave', 200);
      step('page left');

      const inputs = { a: await readWav(speech('a')), c: await readWav(speech('c')) };
      step('terminals ended');
      const outputs = { a: await readWav(tmp.file('out-a.wav')), c: await readWav(tmp.file('out-c.wav')) };
      for (const x of [a, c]) {
        expect(await x.exited, `${x.name} stderr: ${x.stderr()}`).toEqual({ code: 0, signal: null });
        const stopped = x.lines.find((l) => l.event === 'sfu-stopped');
        expect(stopped?.framesRefused, `${x.name} refused no frame`).toBe(0);
        expect(Number(stopped?.framesOpened)).toBeGreaterThan(200);
      }
      const figures = {
        firefoxHearsA: bestPresence(inputs.a, heardByFirefox, HEARD),
        firefoxHearsC: bestPresence(inputs.c, heardByFirefox, HEARD),
        // While Firefox was in the room (from c's start to Firefox's leave): a's last seconds are after it left.
        toneAtA: toneShare(outputs.a, FAKE_MICROPHONE_HZ, outputs.a.length - 14 * 48_000, outputs.a.length - 7 * 48_000),
        toneAtC: toneShare(outputs.c, FAKE_MICROPHONE_HZ, outputs.c.length - 12 * 48_000, outputs.c.length - 4 * 48_000),
        aHearsC: bestPresence(inputs.c, outputs.a, HEARD),
        cHearsA: bestPresence(inputs.a, outputs.c, HEARD),
        aHearsA: bestPresence(inputs.a, outputs.a),
        cHearsC: bestPresence(inputs.c, outputs.c),
        sfu,
      };
      if (process.env.RT_DEBUG === '1') process.stderr.write(`FIGURES ${JSON.stringify(figures)}\n`);
      expect(figures.firefoxHearsA, 'Firefox hears a').toBeGreaterThan(0.3);
      expect(figures.firefoxHearsC, 'Firefox hears c').toBeGreaterThan(0.3);
      expect(figures.toneAtA, "a hears Firefox's microphone").toBeGreaterThan(0.3);
      expect(figures.toneAtC, "c hears Firefox's microphone").toBeGreaterThan(0.3);
      expect(figures.aHearsC, 'a hears c').toBeGreaterThan(0.3);
      expect(figures.cHearsA, 'c hears a').toBeGreaterThan(0.3);
      expect(figures.aHearsA, 'a does not hear itself').toBeLessThan(0.2);
      expect(figures.cHearsC, 'c does not hear itself').toBeLessThan(0.2);
      expect((await tab.errors()).filter((e) => e.startsWith('pageerror'))).toEqual([]);
    } finally {
      await tab?.close();
      await pulse.stop();
    }
  }, 150_000);
});
