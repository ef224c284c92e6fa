/**
 * The Content-Security-Policy the server sends with the web client, checked
 * in a real Chromium (Debian's, driven by playwright-core): everything the
 * page needs works under it (its module script and stylesheet, a WebSocket to
 * the same host and port, getUserMedia, RTCPeerConnection, remote audio
 * playing in an <audio> element from a MediaStream), and what it must refuse
 * is refused (inline script and style, connections elsewhere). The page here
 * is a stand-in written by the test, not src/web. Server and Chromium run in
 * a network namespace with only `lo` up (test/helpers/netns.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chromiumMissingReason, launchChromium } from '../helpers/chromium.js';
import { createNetNs, netnsMissingReason, type NetNs } from '../helpers/netns.js';
import { runClient, speech, TempDir, type Client } from './harness.js';

const INDEX = `<!doctype html>
<html><head><meta charset="utf-8"><title>csp</title>
<link rel="stylesheet" href="/app.css"><script type="module" src="/app.js"></script></head>
<body><audio id="remote"></audio><img src="/icon.svg">
<script>window.inlineRan = true;</script><div style="color: rgb(255, 0, 0)" id="styled">x</div></body></html>`;

// Records what worked in window.results; violations as "<directive> <blocked URI>".
const APP = `
const results = { violations: [], steps: {}, finished: false };
window.results = results;
document.addEventListener('securitypolicyviolation', (e) => results.violations.push(e.violatedDirective + ' ' + e.blockedURI));
const step = (k, v) => { results.steps[k] = v; };
step('background', getComputedStyle(document.body).backgroundColor);
const ws = new WebSocket('ws://' + location.host + '/');
ws.onopen = () => step('ws', 'open');
ws.onerror = () => step('ws', 'error');
fetch('http://127.0.0.2:9/').catch(() => step('foreignFetch', 'refused'));
new WebSocket('ws://127.0.0.2:9/');
try {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  b.ontrack = async (e) => {
    const el = document.getElementById('remote');
    el.srcObject = new MediaStream([e.track]);
    try { await el.play(); step('play', 'playing'); } catch (err) { step('play', String(err)); }
    setTimeout(() => {
      step('audioTime', el.currentTime);
      step('inlineRan', window.inlineRan === true);
      step('styledColor', getComputedStyle(document.getElementById('styled')).color);
      step('imageLoaded', document.querySelector('img').naturalWidth > 0);
      results.finished = true;
    }, 1000);
  };
  for (const t of stream.getTracks()) a.addTrack(t, stream);
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
} catch (err) {
  step('error', String(err));
  results.finished = true;
}
`;

interface PageResults {
  violations: string[];
  steps: Record<string, unknown>;
  finished: boolean;
}

let ns: NetNs | undefined;
let dir: TempDir | undefined;
let server: Client | undefined;
afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exited;
  ns?.remove();
  dir?.remove();
});

const skipReason = netnsMissingReason() ?? chromiumMissingReason();

describe.skipIf(skipReason !== null)('the web client CSP in Chromium', () => {
  it('lets the page load its files, reach its WebSocket, capture, connect and play; refuses inline code and other hosts', async () => {
    dir = new TempDir();
    const web = dir.file('web');
    mkdirSync(web);
    writeFileSync(path.join(web, 'index.html'), INDEX);
    writeFileSync(path.join(web, 'app.js'), APP);
    writeFileSync(path.join(web, 'app.css'), 'body { background: rgb(1, 2, 3); }');
    writeFileSync(path.join(web, 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>');
    ns = createNetNs('rt-csp');
    server = runClient('server', ['serve', '--host', '127.0.0.1', '--port', '0', '--json', '--web-root', web], ns.exec);
    const listening = await server.waitFor((l) => l.event === 'server-listening', 20_000, 'the server to listen');
    const home = dir.file('chromium');
    mkdirSync(home);
    const browser = await launchChromium({ netns: ns, dir: home, microphoneWav: speech('a') });
    try {
      const page = await browser.context.newPage();
      await page.goto(String(listening.web));
      // Functions, not strings: the page's CSP forbids eval, which string expressions need.
      await page.waitForFunction(() => (globalThis as { results?: PageResults }).results?.finished === true, undefined, { timeout: 20_000 });
      const { steps, violations } = await page.evaluate(() => (globalThis as unknown as { results: PageResults }).results);
      expect(steps).toMatchObject({ background: 'rgb(1, 2, 3)', ws: 'open', play: 'playing', foreignFetch: 'refused' });
      expect(steps.error).toBeUndefined();
      expect(steps.audioTime as number).toBeGreaterThan(0.3);
      expect(steps).toMatchObject({ imageLoaded: true, inlineRan: false });
      expect(steps.styledColor).not.toBe('rgb(255, 0, 0)');
      // The deliberate foreign connections are reported as violations; the inline script and style may be
      // too, depending on whether Chromium queues their reports before or after app.js starts listening.
      expect(violations).toEqual(expect.arrayContaining(['connect-src http://127.0.0.2:9/', 'connect-src ws://127.0.0.2:9/']));
      const expected = new Set(['connect-src http://127.0.0.2:9/', 'connect-src ws://127.0.0.2:9/', 'script-src-elem inline', 'style-src-attr inline']);
      expect(violations.filter((v) => !expected.has(v))).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
