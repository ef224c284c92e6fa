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
import { startPulse, type PulseHandle } from '../helpers/pulse.js';
import { bestPresence, type Client, HEARD, joinArgs, killAll, newCode, readWav, runClient, servePage, sleep, speech, TempDir, waitUntil, writeLoopbackConfig } from './harness.js';

const skipReason = netnsMissingReason() ?? firefoxMissingReason();

let ns: NetNs;
let dir: TempDir;
let server: Client;
let serverUrl: string;
let webUrl: string;
let config: string;
const clients: Client[] = [];
const tabs: FirefoxTab[] = [];

function terminal(name: 'a', code: string, durationS: number): Client {
  const c = runClient(name, joinArgs(name, { code, server: serverUrl, config, input: speech(name), output: dir.file(`out-${name}-${code}.wav`), durationS }), ns.exec);
  clients.push(c);
  return c;
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
      const a = terminal('a', code, 10);
      await a.waitFor((l) => l.event === 'joined', 15_000, 'the terminal to join');
      const tab = await firefox('firefox', code, pulse.env);
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
      expect(toneShare(heardByA, FAKE_MICROPHONE_HZ, last), "the terminal hears Firefox's microphone").toBeGreaterThan(0.5);
      expect(bestPresence(await readWav(speech('a')), heardByA), 'the terminal does not hear itself').toBeLessThan(0.2);
      expect((await tab.errors()).filter((e) => e.startsWith('pageerror'))).toEqual([]);
    } finally {
      for (const t of tabs.splice(0)) await t.close();
      await pulse.stop();
    }
  });

  it('a terminal joins Firefox (the terminal offers, in our payload types): each hears the other', async () => {
    const pulse = await startPulse();
    if ('skipped' in pulse) throw new Error(pulse.skipped);
    try {
      const code = newCode();
      const tab = await firefox('firefox-first', code, pulse.env);
      await tab.join('firefox');
      expect((await tab.snapshot())?.phase).toBe('waiting-for-peers');
      const a = terminal('a', code, 9);
      await waitUntil(() => sees(tab, 'a'), 15_000, 'the tab to show the terminal connected and hear it');
      await tab.startRecording();
      await sleep(4000);
      const heardByFirefox = (await tab.stopRecording()).pcm;
      expect(await a.exited).toEqual({ code: 0, signal: null });
      // Our offer says Opus 111 (RED 63 beside it); Firefox answers in our numbering.
      expect(a.lines.find((l) => l.event === 'audio-negotiated')?.opus).toBe(111);
      expect(bestPresence(await readWav(speech('a')), heardByFirefox, HEARD), 'Firefox hears the terminal').toBeGreaterThan(0.3);
      const heardByA = await readWav(dir.file(`out-a-${code}.wav`));
      expect(toneShare(heardByA, FAKE_MICROPHONE_HZ, heardByA.length - 3 * 48_000), "the terminal hears Firefox's microphone").toBeGreaterThan(0.5);
      expect((await tab.errors()).filter((e) => e.startsWith('pageerror'))).toEqual([]);
    } finally {
      for (const t of tabs.splice(0)) await t.close();
      await pulse.stop();
    }
  });

  it('Firefox with no sound to play to joins all the same, sends its microphone, and says its sound is off and what to click', async () => {
    const code = newCode();
    const a = terminal('a', code, 8);
    await a.waitFor((l) => l.event === 'joined', 15_000, 'the terminal to join');
    // No sound server Firefox can reach, and an ALSA with no device: no speaker at all, as on a machine with none.
    const noAlsa = dir.file('no-alsa.conf');
    writeFileSync(noAlsa, '');
    const tab = await firefox('firefox-mute', code, { PULSE_SERVER: `unix:${dir.file('no-pulse-here')}`, ALSA_CONFIG_PATH: noAlsa });
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
    expect(toneShare(heardByA, FAKE_MICROPHONE_HZ, heardByA.length - 3 * 48_000), "the terminal hears Firefox's microphone").toBeGreaterThan(0.5);
    expect((await tab.errors()).filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});
