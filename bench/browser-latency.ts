/**
 * Browser ↔ terminal: mouth-to-ear latency both ways, and libwebrtc's own
 * receive figures beside ours on the same link (issue 9).
 *
 * Debian's Chromium (playwright-core) loads the page `roundtable serve`
 * serves, inside a network namespace with only `lo` up (with the server and
 * the terminal). Both microphones are the same click-train WAV: the
 * terminal's through --input, Chromium's through its fake capture device.
 *
 * Times share one axis, ms since the epoch:
 *   terminal   --stats anchors (process.hrtime, CLOCK_MONOTONIC), moved to
 *              the epoch by an offset this process measures between
 *              process.hrtime and performance.timeOrigin + now();
 *   browser    performance.timeOrigin + performance.now() (CLOCK_MONOTONIC
 *              since a wall-clock origin, like Node's).
 * terminal → browser: a click's input time at the terminal, to when the page's
 *   output bus hands it to the audio device (AudioContext.getOutputTimestamp).
 * browser → terminal: when the page's microphone delivered the click to Web
 *   Audio (Chromium's capture buffering before that is not seen, so this
 *   direction is a lower bound), to when the terminal wrote it for playback.
 * Each stamp is good to one 256-sample chunk (5.3 ms) at worst.
 *
 * Receive figures, browser → terminal direction compared with Chromium's for
 * terminal → browser: mean jitter-buffer delay (libwebrtc NetEQ
 * jitterBufferDelay / jitterBufferEmittedCount; ours meanJitterBufferMs) and
 * concealment (concealedSamples / totalSamplesReceived; ours concealed frames
 * / frames received).
 *
 * With `impairment` (issue "real networks": Chromium through the same relay
 * as the terminals), both sides are relay-only through a coturn behind the
 * impairment relay (src/engine/sim/udp-relay.ts), both started per call
 * inside the namespace (bench/lib/impaired-turn-main.ts): each direction
 * crosses the impairment once, so Chromium's NetEQ (with libwebrtc's RED)
 * and our jitter buffer (with our RED) receive through the same loss and
 * jitter. Opus DTX is off at the terminal (Chromium sends without DTX by
 * default), so concealment counts what the network took.
 *
 * With `sfu` (issue 14: a browser in a room through the SFU), the call goes
 * through Debian's Janus, each frame SFrame-sealed end to end (the page in
 * its encoded-transform worker, the terminal in its media process), in the
 * network of bench/lib/browser-sfu-net.ts: Janus, coturn, the server and the
 * terminal in the Janus namespace, Chromium in a lo-only one, joined by a
 * bridge of Unix sockets; the page is relay-only through that coturn over
 * UDP (the bridge's two hops are in the figure), the terminal talks to Janus
 * directly. The terminal creates the room as an SFU room (`--sfu`) and the
 * page joins it.
 *
 * With `browser: 'firefox'`, Debian's Firefox ESR instead (puppeteer-core,
 * bench/lib/firefox.ts), in a namespace with an address of its own (it
 * gathers nothing with only `lo`); its microphone is the monitor of a
 * private PulseAudio null sink into which the click train is played in a
 * loop, its speaker another null sink (Firefox has no file-backed fake
 * microphone). Not through the SFU (the e2e test covers Firefox there), nor
 * through the impairment relay (Firefox reaches no TURN server on 127.0.0.1,
 * where the relay listens).
 *
 * Run: `npm run build && node dist/bench/browser-latency.js [runs] [impaired|sfu|-] [firefox] (Firefox: neither impaired nor sfu)` (root, chromium or firefox-esr installed; janus for sfu).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { readWavMono48k, writeWav } from '../src/engine/audio/wav-file.js';
import { generateJoinCode } from '../src/protocol/index.js';
import { detectOnsets, fmt, makeClickTrain, matchOnsets, median, percentile } from './lib/analysis.js';
import { chromiumMissingReason, launchChromium } from './lib/chromium.js';
import { firefoxMissingReason, openFirefoxTab } from './lib/firefox.js';
import { TIMING_CHUNK_SAMPLES, type Recording } from './lib/page-tap.js';
import { pulseDevices, startPulse, type PulseHandle } from './lib/pulse.js';
import { processRootsWith, treeCpuTicks, USER_HZ } from './lib/proc-cpu.js';
import { relayOnlyConfigYaml, spawnImpairedTurn } from './lib/coturn.js';
import { addNamespaceAddress, createNetNs, netnsMissingReason, type NetNs } from './lib/netns.js';
import { SERVE_PORT, startBrowserSfuNet, type BrowserSfuNet } from './lib/browser-sfu-net.js';
import { janusMissingReason } from './lib/janus.js';
import type { PathImpairment } from '../src/engine/sim/udp-relay.js';
import { OPUS_LOOKAHEAD_MS } from '../src/engine/codec/types.js';
import { loopbackConfig, spawnJoin, spawnRoundtable } from './p2p-latency.js';

export interface DirectionResult {
  clicks: number;
  missed: number;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  perRunMedianMs: number[];
}

export interface ReceiveFigures {
  /** Mean jitter-buffer delay over the call, ms. */
  jitterBufferMs: number;
  /** Concealed audio as a percentage of audio received. */
  concealedPercent: number;
  /** Of that, the part concealed during silence (nothing was sent: our voice gate), when the receiver tells. */
  silentConcealedPercent?: number;
}

export type BrowserLatencyResult =
  | { skipped: string }
  | {
      runs: number;
      terminalToBrowser: DirectionResult;
      browserToTerminal: DirectionResult;
      browser: BrowserKind;
      /** The browser (libwebrtc NetEQ in Chromium, Gecko's copy of it in Firefox) receiving the terminal, per run. */
      browserReceive: ReceiveFigures[];
      /** The terminal (our jitter buffer) receiving the browser, per run. */
      terminalReceive: ReceiveFigures[];
      /** The page's AudioContext baseLatency + outputLatency, per run (part of terminal → browser). */
      pageOutputLatencyMs: number[];
      /** The browser's CPU, all its processes, from the page's join until the terminal left, % of one core per call. */
      browserCpuPercent: number[];
      floorMs: number;
      /** The impairment both directions crossed, or null (loopback, no relay). */
      impairment: PathImpairment | null;
      /** Through Janus, SFrame-sealed (the `sfu` mode). */
      sfu?: boolean;
    };

export type BrowserKind = 'chromium' | 'firefox';

/**
 * One browser with the page open, as this benchmark drives it: Chromium
 * through playwright-core (bench/lib/chromium.ts), Firefox through
 * puppeteer-core (bench/lib/firefox.ts), the same tap on both (page-tap.ts).
 */
interface PageUnderTest {
  join(name: string): Promise<void>;
  startRecording(source: 'output' | 'microphone', chunkSamples: number): Promise<void>;
  stopRecording(source: 'output' | 'microphone'): Promise<Recording>;
  evaluate<T>(expression: string): Promise<T>;
  /** Where its profile lives: its processes are found by it (CPU). */
  readonly profileDir: string;
  close(): Promise<void>;
}

/**
 * Firefox's microphone: the monitor of a second null sink, into which the
 * click train is played in a loop (Firefox's own fake source is a tone), and
 * its speaker the usual null sink (pulse.ts). Chromium takes the WAV itself.
 */
const FIREFOX_MIC_SINK = 'roundtable_mic';
const FIREFOX_PULSE_DEVICES = pulseDevices(FIREFOX_MIC_SINK);

async function openPage(kind: BrowserKind, opts: { ns: NetNs; home: string; url: string; clicksWav: string; pulse: PulseHandle | undefined }): Promise<PageUnderTest> {
  if (kind === 'chromium') {
    const browser = await launchChromium({ netns: opts.ns, dir: opts.home, microphoneWav: opts.clicksWav });
    try {
      const tab = await browser.newTab(opts.url);
      return {
        join: (name) => tab.join(name),
        startRecording: (source, chunkSamples) => tab.startRecording(source, chunkSamples),
        stopRecording: (source) => tab.stopRecording(source),
        evaluate: (expression) => tab.page.evaluate(expression),
        profileDir: path.join(opts.home, 'profile'),
        close: () => browser.close(),
      };
    } catch (err) {
      await browser.close();
      throw err;
    }
  }
  const tab = await openFirefoxTab({ netns: opts.ns, dir: opts.home, url: opts.url, ...(opts.pulse !== undefined ? { env: opts.pulse.env } : {}), systemMicrophone: true });
  return {
    join: (name) => tab.join(name),
    startRecording: (source, chunkSamples) => tab.startRecording(source, chunkSamples),
    stopRecording: (source) => tab.stopRecording(source),
    evaluate: (expression) => tab.evaluate(expression),
    profileDir: path.join(opts.home, 'firefox-profile'),
    close: () => tab.close(),
  };
}

/** Play `wav` into the Firefox microphone's sink over and over, until stopped. */
function loopIntoMicrophone(pulse: PulseHandle, wav: string): { stop(): Promise<void> } {
  const child = spawn('sh', ['-c', `while :; do paplay --device=${FIREFOX_MIC_SINK} '${wav}' || exit 1; done`], { env: { ...process.env, ...pulse.env }, stdio: 'ignore', detached: true });
  return {
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGTERM'); // the shell and its paplay
      await gone;
    },
  };
}

/** The impaired condition of the goal table: 5 % loss, 20 ms base delay, 0–30 ms jitter (reorders). */
export const IMPAIRED_PATH: PathImpairment = { lossPercent: 5, baseDelayMs: 20, jitterMs: 30 };

/** Offset (ms) to add to process.hrtime in ms to get ms since the epoch on the performance clock; median of 21 readings. */
function hrtimeToEpochOffsetMs(): number {
  const offsets: number[] = [];
  for (let i = 0; i < 21; i++) {
    const hr = Number(process.hrtime.bigint()) / 1e6;
    const epoch = performance.timeOrigin + performance.now();
    offsets.push(epoch - hr);
  }
  return median(offsets);
}

/** Click onsets of a stamped browser recording, ms since the epoch. */
function onsetTimes(rec: Recording): number[] {
  return detectOnsets(rec.pcm, { threshold: 0.1 }).flatMap((sample) => {
    const chunk = Math.floor(sample / rec.chunkSamples);
    const stamp = rec.chunkEpochMs[chunk];
    return stamp === undefined ? [] : [stamp + ((sample - chunk * rec.chunkSamples) / 48_000) * 1000];
  });
}

/**
 * For each sent click, the delay to the first heard onset within 300 ms
 * after it: analysis.ts's matchOnsets, with times in ms read as samples at
 * 1 kHz.
 */
function delays(sentMs: readonly number[], heardMs: readonly number[]): number[] {
  return matchOnsets([...sentMs], [...heardMs], { sampleRate: 1000, windowMs: 300 });
}

interface TerminalStats {
  anchors: { firstInputNs: string | null; firstOutputNs: string | null };
  peers: Array<{ packetsReceived: number; framesConcealed: number; meanJitterBufferMs: number }>;
}

/** The page's getStats figures of the link (src/web/link-figures.ts). */
interface BrowserFigures {
  jitterBufferDelayS: number;
  jitterBufferEmittedCount: number;
  concealedSamples: number;
  silentConcealedSamples: number;
  totalSamplesReceived: number;
}

function summarize(all: number[], perRun: number[], sent: number): DirectionResult {
  return { clicks: all.length, missed: sent - all.length, medianMs: round(median(all)), p10Ms: round(percentile(all, 10)), p90Ms: round(percentile(all, 90)), perRunMedianMs: perRun };
}

export async function run(runs = 3, opts: { impairment?: PathImpairment; sfu?: boolean; browser?: BrowserKind } = {}): Promise<BrowserLatencyResult> {
  const impairment = opts.impairment ?? null;
  const sfu = opts.sfu === true;
  const kind = opts.browser ?? 'chromium';
  if (kind === 'firefox' && sfu) return { skipped: 'Firefox through the SFU is not part of this benchmark (test/e2e/browser-firefox.test.ts covers it)' };
  if (kind === 'firefox' && impairment !== null) {
    // The impairment relay binds loopback only (udp-relay.ts), and Firefox does not reach a TURN server on 127.0.0.1 from its
    // interface address: onicecandidateerror 701, no relay candidate (Firefox ESR 153, measured), as libwebrtc does not either.
    return { skipped: 'Firefox cannot use a TURN server on 127.0.0.1 (error 701), where the impairment relay must listen' };
  }
  const skipped = netnsMissingReason() ?? (kind === 'chromium' ? chromiumMissingReason() : firefoxMissingReason()) ?? (sfu ? janusMissingReason() : null);
  if (skipped !== null) return { skipped };
  const dir = mkdtempSync(path.join(tmpdir(), 'rt-bench-browser-'));
  let net: BrowserSfuNet | undefined;
  let server: ReturnType<typeof spawnRoundtable> | undefined;
  const t2b = { all: [] as number[], perRun: [] as number[], sent: 0 };
  const b2t = { all: [] as number[], perRun: [] as number[], sent: 0 };
  const browserReceive: ReceiveFigures[] = [];
  const terminalReceive: ReceiveFigures[] = [];
  const outputLatencyMs: number[] = [];
  const browserCpuPercent: number[] = [];
  const ns = sfu ? undefined : createNetNs('rt-bench-web');
  let pulse: PulseHandle | undefined;
  try {
    if (kind === 'firefox') {
      // Firefox gathers nothing in a namespace with only lo (netns.ts), and plays and records only through a sound server.
      addNamespaceAddress(ns!);
      const started = await startPulse({ devices: FIREFOX_PULSE_DEVICES });
      if ('skipped' in started) return { skipped: started.skipped };
      pulse = started;
    }
    let serverUrl: string;
    let webUrl: string;
    if (sfu) {
      let url = '';
      net = await startBrowserSfuNet({
        dir,
        startServe: async (j) => {
          server = spawnRoundtable(['serve', '--host', j.address, '--port', String(SERVE_PORT), '--json', '--janus', j.wsUrl], j.ns.exec);
          url = String((await server.waitFor((l) => l.event === 'server-listening', 20_000)).url);
        },
      });
      serverUrl = url;
      webUrl = '';
    } else {
      server = spawnRoundtable(['serve', '--host', '127.0.0.1', '--port', '0', '--json'], ns!.exec);
      const listening = await server.waitFor((l) => l.event === 'server-listening', 20_000);
      serverUrl = String(listening.url);
      webUrl = String(listening.web);
    }
    const browserNs = net?.chromeNs ?? ns!;
    const terminalNs = net?.janus.ns ?? ns!;
    const config = loopbackConfig(dir);
    // Clicks 250 ms apart after 1.5 s of silence, for 7 s; Chromium loops the file (clicks every 250 ms, with a 1.5 s gap each 7 s).
    const train = makeClickTrain({ durationMs: 7000, intervalMs: 250, leadMs: 1500 });
    const clicks = path.join(dir, 'clicks.wav');
    await writeWav(clicks, train.samples);
    for (let r = 0; r < runs; r++) {
      const home = path.join(dir, `chromium-${r}`);
      mkdirSync(home);
      const turn = impairment === null ? null : await spawnImpairedTurn({ seed: 11 + r, toTarget: impairment }, terminalNs.exec);
      let callConfig = config;
      let iceQuery = 'ice=none';
      if (turn !== null) {
        callConfig = path.join(dir, `relay-${r}.yaml`);
        writeFileSync(callConfig, relayOnlyConfigYaml(turn, 'audio:\n  dtx: false\n  noiseSuppression: false\n'));
        iceQuery += `&turn=${encodeURIComponent(turn.url)}&turnUser=${encodeURIComponent(turn.username)}&turnCredential=${encodeURIComponent(turn.credential)}&relay=only`;
      }
      const code = generateJoinCode();
      const browser = await openPage(kind, {
        ns: browserNs,
        home,
        url: net !== undefined ? net.pageUrl(code, 'udp') : `${webUrl}?${iceQuery}&processing=off&debug=1#${code}`,
        clicksWav: clicks,
        pulse,
      });
      const microphone = pulse === undefined ? undefined : loopIntoMicrophone(pulse, clicks);
      try {
        const heardFile = path.join(dir, `heard-${r}.wav`);
        const statsFile = path.join(dir, `stats-${r}.json`);
        const joinTerminal = (extra: string[], seconds: number, bindAddress = '127.0.0.1') =>
          spawnJoin(code, serverUrl, callConfig, ['--name', 'terminal', '--input', clicks, '--output', heardFile, '--stats', statsFile, '--duration', String(seconds), ...extra], terminalNs.exec, {}, bindAddress);
        // Through the SFU the terminal creates the room there (--sfu) and publishes before the page joins; on its own address, where Janus gathers.
        const terminal = net !== undefined ? joinTerminal(['--sfu'], 14, net.janus.address) : undefined;
        if (terminal !== undefined) await terminal.waitFor((l) => l.event === 'sfu-publishing', 30_000);
        const tab = browser;
        await tab.join('browser');
        // The browser's process tree: its main process was started with this run's profile directory.
        const [browserPid] = processRootsWith(browser.profileDir);
        const cpu0 = { ticks: browserPid === undefined ? 0 : treeCpuTicks(browserPid), atMs: performance.now() };
        await tab.startRecording('output', TIMING_CHUNK_SAMPLES);
        await tab.startRecording('microphone', TIMING_CHUNK_SAMPLES);
        const call = terminal ?? joinTerminal([], impairment === null ? 8 : 14);
        if (terminal === undefined) await call.waitFor((l) => l.event === 'peer-connected', 30_000);
        // The browser's figures for this link, read until the terminal leaves (then the link is gone).
        let figures: BrowserFigures | null = null;
        let exited = false;
        const exitCode = call.exited.then((c) => ((exited = true), c));
        while (!exited) {
          figures = (await tab.evaluate<BrowserFigures | null>(
            '(() => { const p = globalThis.roundtable; const id = p.session.snapshot().peers[0]?.id; return id === undefined ? null : (p.media.figures(id) ?? null); })()',
          )) ?? figures;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        if (browserPid !== undefined) browserCpuPercent.push(round(((treeCpuTicks(browserPid) - cpu0.ticks) * (1000 / USER_HZ) * 100) / (performance.now() - cpu0.atMs)));
        if ((await exitCode) !== 0) throw new Error(`terminal exited with ${await exitCode}`);
        const heardByBrowser = await tab.stopRecording('output');
        outputLatencyMs.push(
          round(await tab.evaluate<number>('(() => { const ctx = globalThis.roundtable.media.audioContext; return ((ctx.baseLatency ?? 0) + (ctx.outputLatency ?? 0)) * 1000; })()')),
        );
        const browserMic = await tab.stopRecording('microphone');
        const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as TerminalStats;
        if (stats.anchors.firstInputNs === null || stats.anchors.firstOutputNs === null) throw new Error('terminal --stats has no anchors');
        const offsetMs = hrtimeToEpochOffsetMs();
        const terminalInputMs = Number(BigInt(stats.anchors.firstInputNs)) / 1e6 + offsetMs;
        const terminalOutputMs = Number(BigInt(stats.anchors.firstOutputNs)) / 1e6 + offsetMs;
        const heardByTerminal = await readWavMono48k(heardFile);

        // terminal → browser: every click of the terminal's file, while the page recorded.
        const outStart = heardByBrowser.chunkEpochMs[0] ?? Infinity;
        const sent = train.onsets.map((o) => terminalInputMs + (o / 48_000) * 1000).filter((t) => t > outStart);
        const d1 = delays(sent, onsetTimes(heardByBrowser));
        t2b.all.push(...d1);
        t2b.perRun.push(round(median(d1)));
        t2b.sent += sent.length;

        // browser → terminal: the page's clicks while the terminal played (after its first second, before its last half second).
        const playedUntil = terminalOutputMs + (heardByTerminal.length / 48_000) * 1000;
        const micClicks = onsetTimes(browserMic).filter((t) => t > terminalOutputMs + 1000 && t < playedUntil - 500);
        const heardMs = detectOnsets(heardByTerminal, { threshold: 0.1 }).map((o) => terminalOutputMs + (o / 48_000) * 1000);
        const d2 = delays(micClicks, heardMs);
        b2t.all.push(...d2);
        b2t.perRun.push(round(median(d2)));
        b2t.sent += micClicks.length;

        if (figures !== null && figures.jitterBufferEmittedCount > 0) {
          browserReceive.push({
            jitterBufferMs: round((figures.jitterBufferDelayS / figures.jitterBufferEmittedCount) * 1000),
            concealedPercent: round2(figures.totalSamplesReceived > 0 ? (100 * figures.concealedSamples) / figures.totalSamplesReceived : 0),
            silentConcealedPercent: round2(figures.totalSamplesReceived > 0 ? (100 * figures.silentConcealedSamples) / figures.totalSamplesReceived : 0),
          });
        }
        const ours = stats.peers[0];
        if (ours !== undefined && ours.packetsReceived > 0) {
          terminalReceive.push({ jitterBufferMs: round(ours.meanJitterBufferMs), concealedPercent: round2((100 * ours.framesConcealed) / ours.packetsReceived) });
        }
      } finally {
        await microphone?.stop();
        await browser.close();
        await turn?.stop();
      }
    }
  } finally {
    server?.proc.kill('SIGTERM');
    await server?.exited;
    await net?.stop();
    await pulse?.stop();
    ns?.remove();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    runs,
    terminalToBrowser: summarize(t2b.all, t2b.perRun, t2b.sent),
    browserToTerminal: summarize(b2t.all, b2t.perRun, b2t.sent),
    browser: kind,
    browserReceive,
    terminalReceive,
    pageOutputLatencyMs: outputLatencyMs,
    browserCpuPercent,
    // Both ends send 20 ms frames from Opus in its VOIP application (libwebrtc's and ours).
    floorMs: 20 + OPUS_LOOKAHEAD_MS.voice,
    impairment,
    ...(sfu ? { sfu: true } : {}),
  };
}

/** The report's section (bench/run.ts), for the loopback run and the impaired one alike. */
export function render(r: BrowserLatencyResult): string[] {
  if ('skipped' in r) return [`Skipped: ${r.skipped}.`];
  const firefox = r.browser === 'firefox';
  const name = firefox ? 'Firefox' : 'Chromium';
  const neteq = firefox ? "Gecko's copy of libwebrtc's NetEQ" : 'libwebrtc NetEQ';
  const home = firefox ? 'a network namespace of its own (loopback plus an address that never leaves it: Firefox gathers nothing with only `lo`)' : 'a loopback-only network namespace';
  const where = r.sfu === true
    ? 'through Debian\'s Janus (VideoRoom), every frame SFrame-sealed end to end; Janus, coturn, the server and the terminal in a namespace of their own, Chromium in a loopback-only one joined to it by a Unix-socket bridge (bench/lib/browser-sfu-net.ts), the page relay-only through that coturn over UDP (the bridge\'s two hops are in the figures)'
    : r.impairment === null
    ? `in ${home}`
    : `in ${home}, both relay-only through a coturn behind the impairment relay (${r.impairment.lossPercent ?? 0} % loss, ${r.impairment.baseDelayMs ?? 0} ms + 0–${r.impairment.jitterMs ?? 0} ms jitter on what each side sends: each direction crosses it once; the terminal's Opus DTX off, ${name}'s off by default)`;
  const driver = firefox
    ? "Debian's Firefox ESR (puppeteer-core over WebDriver BiDi)"
    : "Debian's Chromium (playwright-core)";
  const microphone = firefox
    ? 'the same click train is both microphones (the terminal\'s --input; Firefox\'s the monitor of a private PulseAudio null sink the train is played into, and its speaker another null sink)'
    : 'the same click train is both microphones';
  return [
    `${driver} on the page \`roundtable serve\` serves, and one \`roundtable join\`, ${where}; ${microphone} (${r.runs} calls). ` +
      `Terminal → browser ends where the page hands audio to its output device (getOutputTimestamp); browser → terminal starts where the page's microphone reaches Web Audio, after ${name}'s capture buffering, so it is a lower bound.`,
    '',
    '| direction | median | p10 | p90 | floor | clicks (missed) | per-run medians |',
    '|---|---|---|---|---|---|---|',
    ...([
      ['terminal → browser', r.terminalToBrowser],
      ['browser → terminal (lower bound)', r.browserToTerminal],
    ] as const).map(([dir, d]) => `| ${dir} | **${fmt(d.medianMs)} ms** | ${fmt(d.p10Ms)} | ${fmt(d.p90Ms)} | ${r.floorMs} ms | ${d.clicks} (${d.missed}) | ${d.perRunMedianMs.map((x) => fmt(x)).join(', ')} ms |`),
    '',
    `The page's AudioContext reports base + output latency of ${r.pageOutputLatencyMs.map((x) => fmt(x)).join(', ')} ms (part of terminal → browser).`,
    '',
    `${name}'s CPU (all its processes), from the page's join until the terminal left: ${r.browserCpuPercent.map((x) => fmt(x)).join(', ')} % of one core per call (headless, no GPU).`,
    '',
    `Receive side, same calls: ${name} (${neteq}, getStats jitterBufferDelay / jitterBufferEmittedCount and concealedSamples / totalSamplesReceived) receiving the terminal, and the terminal (our jitter buffer, --stats) receiving ${name}. ` +
      `${name} counts as concealed the pauses in which the terminal's voice gate sent nothing (silentConcealedSamples); what it concealed for loss is the difference.` +
      (r.browserReceive.length === 0 ? ` ${name} reported no jitter-buffer figures in these calls.` : ''),
    '',
    '| receiver | mean jitter-buffer delay per call | concealed per call | of which during the sender\'s silence |',
    '|---|---|---|---|',
    `| ${name} ← terminal | ${r.browserReceive.map((x) => fmt(x.jitterBufferMs) + ' ms').join(', ')} | ${r.browserReceive.map((x) => fmt(x.concealedPercent, 2) + ' %').join(', ')} | ${r.browserReceive.map((x) => fmt(x.silentConcealedPercent ?? NaN, 2) + ' %').join(', ')} |`,
    `| terminal ← ${name} | ${r.terminalReceive.map((x) => fmt(x.jitterBufferMs) + ' ms').join(', ')} | ${r.terminalReceive.map((x) => fmt(x.concealedPercent, 2) + ' %').join(', ')} | n/a |`,
  ];
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const runs = Number(process.argv[2] ?? 3);
  const mode = process.argv[3];
  const browser: BrowserKind = process.argv.includes('firefox') ? 'firefox' : 'chromium';
  console.log(JSON.stringify(await run(runs, { ...(mode === 'impaired' ? { impairment: IMPAIRED_PATH } : mode === 'sfu' ? { sfu: true } : {}), browser }), null, 2));
}
