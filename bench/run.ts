/**
 * `npm run bench`: runs every benchmark and writes bench/results.md with the
 * machine and date. Each benchmark also runs on its own (see its header).
 * Figures are medians (and percentiles) over many samples; the machine is
 * shared and noisy, so compare ratios and medians, never single runs.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { shutdownMesh } from '../src/engine/mesh/native.js';
import { fmt } from './lib/analysis.js';
import { repoRoot } from './lib/paths.js';
import { render as renderJitterDrift } from './jitter-drift.js';
import { render as renderNoiseSuppression } from './noise-suppression.js';
import { render as renderEchoFeedback } from './echo-feedback.js';
import { IMPAIRED_PATH, render as renderBrowserLatency } from './browser-latency.js';
import { OPUS_LOOKAHEAD_MS } from '../src/engine/codec/types.js';

interface Section {
  title: string;
  /** Module next to this file exporting run(). */
  module: string;
  /** What `npm run bench NAME` selects it by (default: the module's name). */
  name?: string;
  /** The module's function to call (default run). */
  fn?: string;
  /** Arguments for run(), when its defaults are not what the report shows. */
  args?: unknown[];
  render(result: any): string[]; // eslint-disable-line @typescript-eslint/no-explicit-any
}


const SECTIONS: Section[] = [
  {
    title: 'Mouth-to-ear latency through loopback (issue 2)',
    module: './loopback.js',
    render: (r) => [
      'Click train in, clicks found in the output, delays on the monotonic clock (3 runs × 31 clicks per row).',
      'Goal on a clean link: ≤ 35 ms median at 20 ms frames, ≤ 22 ms at 10 ms frames.',
      '',
      `| frames | playback phase | median | p10 | p90 | floor (frame + ${OPUS_LOOKAHEAD_MS.voice} ms) | mean phase | mean buffer |`,
      '|---|---|---|---|---|---|---|---|',
      ...r.latency.map(
        (l: any) => `| ${l.frameMs} ms | ${l.phase} | **${fmt(l.medianMs)} ms** | ${fmt(l.p10Ms)} | ${fmt(l.p90Ms)} | ${l.floorMs} ms | ${fmt(l.meanPhaseMs)} ms | ${fmt(l.meanBufferMs)} ms |`,
      ),
      '',
      `Impaired link, 40 ms jitter + 5 % loss (${r.impaired.runs} runs × 15 s of speech, goal late-loss ≤ 1 %, mean buffer delay ≤ 60 ms):`,
      `late **${r.impaired.late} of ${r.impaired.expected} packets (${fmt(r.impaired.latePercent, 2)} %)**, lost ${r.impaired.lost}, ` +
        `mean buffer delay **${fmt(r.impaired.meanBufferDelayMs)} ms** (worst run ${fmt(r.impaired.maxMeanBufferDelayMs)} ms), ` +
        `median output/input correlation ${fmt(r.impaired.medianCorrelation, 2)}.`,
    ],
  },
  {
    title: 'Jitter buffer: clock drift, a jitter burst, loss + jitter, with and without time stretching (issue 12 §3)',
    module: './jitter-drift.js',
    render: renderJitterDrift,
  },
  {
    title: 'Noise suppression: RNNoise on fan and keyboard noise, alone and through loopback (issue "Voice processing")',
    module: './noise-suppression.js',
    render: renderNoiseSuppression,
  },
  {
    title: 'Codec CPU (issue 2)',
    module: './codec.js',
    render: (r) => [
      `Median µs per 20 ms mono frame over ${r.frames} frames of speech:`,
      '',
      '| encode (complexity 5) | encode + FEC | decode | conceal (PLC) | bytes/frame |',
      '|---|---|---|---|---|',
      `| ${r.encodeC5Us} | ${r.encodeC5FecUs} | ${r.decodeUs} | ${r.concealUs} | ${r.bytesPerFrameC5} |`,
    ],
  },
  {
    title: 'Pipeline CPU per stream (issue 2)',
    module: './pipeline.js',
    render: (r) => [
      `Median over ${r.frames} frames of 20 ms, real Opus: send (gate, encode, RTP) **${fmt(r.sendUsPerFrame, 0)} µs/frame**; ` +
        `receive (parse, jitter buffer, decode, gain, mix) **${fmt(r.receiveUsPerStreamFrame1, 0)} µs** per stream-frame with 1 talker, ` +
        `${fmt(r.receiveUsPerStreamFrame7, 0)} µs with 7; send + 7 streams = ${fmt(r.corePercent7Peers, 2)} % of one core.`,
    ],
  },
  {
    title: 'Echo cancellation and gain control, in-process (issue "Voice processing")',
    module: './echo-gain.js',
    render: (r) =>
      r.skipped
        ? [`Skipped: ${r.skipped}.`]
        : [
            'speexdsp (libspeexdsp1 through koffi) on a simulated room: B\'s speaker back into B\'s microphone 80 ms later, −6 dB, a 60 ms seeded reverb, −70 dBFS noise floor (bench/lib/echo-path.ts). ' +
              'Script: 0–5 s A talks, 5–10 s A and B at once, 10–15 s B alone, 15–20 s A alone. Goals: A\'s voice ≥ 25 dB down, B found in ≥ 0.8 of double-talk windows, −30 and −6 dBFS talkers within 6 dB, chain ≤ 1.5 ms per 10 ms.',
            '',
            '| echo return loss enhancement (mic echo / sent) | canceller alone | + residual-echo suppressor |',
            '|---|---|---|',
            `| single talk 2–5 s | ${fmt(r.erleEarlyDb.cancellerOnly)} dB | **${fmt(r.erleEarlyDb.withSuppressor)} dB** |`,
            `| single talk 16–20 s (after double talk) | ${fmt(r.erleAfterDoubleTalkDb.cancellerOnly)} dB | **${fmt(r.erleAfterDoubleTalkDb.withSuppressor)} dB** |`,
            '',
            `A as played over A in what B sends (2–5 s): ${fmt(r.playedOverSentDb)} dB. Double talk: B found in **${r.doubleTalk.found} of ${r.doubleTalk.total}** 500 ms windows (correlation ≥ 0.5); B alone passes with ${fmt(r.nearAloneLevelChangeDb, 2)} dB level change. ` +
              `A reference lagging the echo by 40 ms: ${fmt(r.laggingReferenceErleDb)} dB (canceller alone) — alignment matters.`,
            '',
            `AGC (target ${r.agc.targetDbfs} dBFS active-speech RMS): a −30 dBFS talker leaves at ${fmt(r.agc.quietOutDbfs)} dBFS, a −6 dBFS (clipping) one at ${fmt(r.agc.loudOutDbfs)} dBFS: **spread ${fmt(r.agc.spreadDb)} dB** (input ${fmt(r.agc.inputSpreadDb)} dB), ` +
              `gain within 3 dB of steady after ${r.agc.settledMs.quiet} / ${r.agc.settledMs.loud} ms, then wandering ${r.agc.wanderDb.quiet} / ${r.agc.wanderDb.loud} dB with the talker.`,
            '',
            '| ms per 10 ms block | median | p99 |',
            '|---|---|---|',
            `| canceller + suppressor | ${fmt(r.cost.aec.medianMs, 3)} | ${fmt(r.cost.aec.p99Ms, 3)} |`,
            `| AGC | ${fmt(r.cost.agc.medianMs, 3)} | ${fmt(r.cost.agc.p99Ms, 3)} |`,
            `| both | **${fmt(r.cost.both.medianMs, 3)}** | ${fmt(r.cost.both.p99Ms, 3)} |`,
          ],
  },
  {
    title: 'Echo cancellation between two processes through a leaking speaker (issue "Voice processing")',
    module: './echo-feedback.js',
    render: (r) => renderEchoFeedback(r),
  },
  {
    title: 'Signaling server load (issue 3)',
    module: './signaling-load.js',
    render: (r) => [
      `${r.clients} clients in ${r.rooms} rooms, load generator in a separate process; server and generator share the machine's ${r.cores} cores.`,
      'Goal: join → joined p99 ≤ 50 ms, relay p99 ≤ 50 ms.',
      '',
      '| | count | p50 | p99 | max |',
      '|---|---|---|---|---|',
      `| join → joined | ${r.join.count} | ${r.join.p50Ms} ms | **${r.join.p99Ms} ms** | ${r.join.maxMs} ms |`,
      `| relay | ${r.relay.count} of ${r.relay.expected} | ${r.relay.p50Ms} ms | **${r.relay.p99Ms} ms** | ${r.relay.maxMs} ms |`,
      '',
      `Server CPU ${fmt(r.serverCpuMs / 1000, 2)} s (${fmt(r.serverCpuPercentOfCore)} % of one core over ${fmt(r.wallMs / 1000)} s), ` +
        `peak RSS ${fmt(r.serverRssPeakMB)} MB; load generator CPU ${fmt(r.loadgenCpuMs / 1000, 2)} s; connect failures ${r.connectFailures}.`,
    ],
  },
  {
    title: 'Signaling across two nodes sharing rooms through Redis, and one node\'s death (issue 14)',
    module: './signaling-cluster.js',
    render: (r) => {
      if (r.skipped) return [`Skipped: ${r.skipped}.`];
      const row = (what: string, s: { count: number; p50Ms: number; p99Ms: number; maxMs: number }, of = ''): string =>
        `| ${what} | ${s.count}${of} | ${s.p50Ms} ms | **${s.p99Ms} ms** | ${s.maxMs} ms |`;
      const d = r.death;
      return [
        `2 \`serve\` nodes (processes of their own) × ${r.clientsPerNode} light clients in ${r.rooms} rooms of 4 split 2 + 2 across the nodes, one Redis (Debian's redis-server on loopback), the clients in two more processes (one per node\'s half of each room); ` +
          `the clients join on a fixed schedule, ${r.joinsPerSec} a second in all (all in after ${fmt(r.joinPhaseMs / 1000, 1)} s), then ` +
          `every room bursts once (each peer 10 signals to each other peer), rooms spread over the burst window (${r.relayPerSec} relays/s). Nodes, Redis and the load generators share the machine's ${r.cores} cores.`,
        'Goal: join → joined p99 ≤ 50 ms, relay p99 ≤ 50 ms.',
        '',
        '| | count | p50 | p99 | max |',
        '|---|---|---|---|---|',
        row('join → joined', r.join),
        row('relay across nodes', r.relayAcross),
        row('relay within a node', r.relayWithin),
        '',
        `${r.relayAcross.count + r.relayWithin.count} of ${r.relayExpected} relays arrived.`,
        '',
        `CPU over the ${fmt(r.loadWallMs / 1000)} s of joins and bursts: node A ${fmt(r.nodeCpuMs[0] / 1000, 2)} s (${r.nodeCpuPercentOfCore[0]} % of one core), node B ${fmt(r.nodeCpuMs[1] / 1000, 2)} s (${r.nodeCpuPercentOfCore[1]} %), ` +
          `Redis ${fmt(r.redisCpuMs / 1000, 2)} s, load generators ${fmt(r.loadgenCpuMs / 1000, 2)} s; node RSS peaks ${r.nodeRssPeakMB.join(' / ')} MB; connect failures ${r.connectFailures}; errors ${JSON.stringify(r.errors)}.`,
        '',
        `Event loops late by (p99 / max, monitorEventLoopDelay): node A ${r.loopDelayMs.nodes[0].p99} / ${r.loopDelayMs.nodes[0].max} ms, node B ${r.loopDelayMs.nodes[1].p99} / ${r.loopDelayMs.nodes[1].max} ms, load generators ${r.loopDelayMs.loadgens.map((g: { p99: number; max: number }) => `${g.p99} / ${g.max}`).join(' and ')} ms.`,
        '',
        `Garbage collections (each a pause of the loop): node A ${gcText(r.gc.nodes[0])}, node B ${gcText(r.gc.nodes[1])}; load generators ${r.gc.loadgens.map(gcText).join(' and ')}.`,
        '',
        `Node A SIGKILLed: of its clients, ${d.movers} (one per room) fail over to B after the signaling client's first backoff step (125–250 ms) and rejoin with their id and token; the other ${d.movers} stay dead.`,
        '',
        '| after the kill | count | p50 | p99 | max |',
        '|---|---|---|---|---|',
        row('a client that failed over is back in (joined through B)', d.rejoin, ` of ${d.movers}, ${d.resumed} resumed`),
        row('B\'s clients see a dead client leave (presence expired)', d.stayerLeft, ` of ${d.stayerLeft.expected}`),
        '',
        `Limit for the second: 2.5 heartbeats = ${d.presenceLimitMs} ms. Leaves B's clients saw of clients that failed over: ${d.moverLeaves}. Errors after the kill: ${JSON.stringify(d.errors)}.`,
      ];
    },
  },
  {
    title: 'Knock and chat on loopback (issue 13)',
    module: './knock-chat.js',
    render: (r) => {
      const row = (what: string, s: { count: number; medianMs: number; p90Ms: number; maxMs: number }): string =>
        `| ${what} | ${s.count} | **${fmt(s.medianMs)} ms** | ${fmt(s.p90Ms)} ms | ${fmt(s.maxMs)} ms |`;
      return [
        `${r.rounds} rounds, in-process sessions (no media process): a room of two locks, a newcomer knocks and is admitted, then every member sends chat lines.`,
        '',
        '| what | count | median | p90 | max |',
        '|---|---|---|---|---|',
        row('knock → the members are asked', r.knockSeen),
        row('admit → the newcomer is in (joined)', r.admitToJoined),
        row('admit → the newcomer connected to both', r.admitToConnected),
        row('chat line → in another member\'s chat', r.chatDelivery),
      ];
    },
  },
  {
    title: 'Join → first decoded frame (issue 4)',
    module: './join-latency.js',
    render: (r) => [
      `${r.joins} joins on loopback into a room where a peer is already talking; time from starting the join to the first decoded frame of that peer. Goal ≤ 300 ms median.`,
      '',
      `median **${fmt(r.medianMs)} ms**, p10 ${fmt(r.p10Ms)}, p90 ${fmt(r.p90Ms)}, max ${fmt(r.maxMs)} ms; link negotiation → track open median ${fmt(r.medianLinkConnectMs)} ms.`,
      `${r.dtlsRetransmitOutliers} of ${r.joins} joins took over 800 ms: a lost first DTLS flight waits for libdatachannel's 1 s retransmit (docs/architecture.md §6); they are counted, not removed (median without them ${fmt(r.medianWithoutOutliersMs)} ms).`,
      `All samples (ms): ${r.samplesMs.map((x: number) => Math.round(x)).join(', ')}.`,
    ],
  },
  {
    title: 'One client in an 8-peer room (issue 4)',
    module: './mesh-cpu.js',
    render: (r) => [
      `One headless client (WAV in and out) in a room with ${r.peers - 1} talking bots, each a separate process; measured over ${r.windowS} s once everyone is connected. Goal ≤ 6 % of one core (issue 11); where it goes: docs/architecture.md §12.`,
      '',
      `client CPU **${fmt(r.clientCpuPercentOfOneCore)} % of one core** (${Object.entries(r.clientCpuByProcess ?? {}).map(([k, v]) => `${k} ${fmt(v as number)} %`).join(', ')}), RSS **${fmt(r.clientRssMiB)} MiB**; a talking bot uses ${fmt(r.botCpuPercentMean)} % (mean); packets received per peer: ${r.clientPacketsReceivedPerPeer.join(', ')}.`,
    ],
  },
  {
    title: 'One client in a 12-person room: mesh against the SFU (issue 14)',
    name: 'mesh-vs-sfu',
    module: './mesh-cpu.js',
    fn: 'runMeshVsSfu',
    render: (r) => {
      const row = (x: any): string =>
        'skipped' in x
          ? `| SFU | skipped: ${x.skipped} | | | | |`
          : `| ${x.path === 'mesh' ? 'mesh' : 'SFU (Janus)'} | **${fmt(x.clientCpuPercentOfOneCore)} %** | ${fmt(x.clientRssMiB)} MiB | ${x.clientUpstreams} | ${x.clientUplinkKbps === null ? 'n/a' : `${fmt(x.clientUplinkKbps)} kb/s`} | ${fmt(x.botCpuPercentMean)} % |`;
      return [
        `Every participant is a \`roundtable join\` process: the measured client loops speech (so its uplink is a talker's) and runs noise suppression; ${r.mesh.talkers} of the other ${r.mesh.peers - 1} talk, the rest send silence. ` +
          'Mesh: loopback, one signaling server. SFU: the same in Janus\'s namespace (bench/lib/janus.ts), `serve --janus`, the first member `--sfu`. CPU over a 10 s window once the client hears everyone (its control, media and device processes); uplink: all its links\' bytes (RTP, RTCP, headers) over the time since it was connected to everyone, at most ~10 % high from the seconds while links came up. On 2 cores the other 11 processes compete with the client: compare the rows of one run.',
        '',
        '| path | client CPU (one core) | client RSS | streams sent | client uplink | another participant\'s CPU (mean) |',
        '|---|---|---|---|---|---|',
        row(r.mesh),
        row(r.sfu),
      ];
    },
  },
  {
    title: 'Mouth-to-ear between two processes, talker headless and talker in a busy TUI (issues 4, 11)',
    module: './p2p-latency.js',
    args: [5, 20, ['headless', 'tui-busy', 'headless-low-delay', 'tui-busy-low-delay']],
    render: (results) => [
      `Two \`roundtable join\` processes on loopback, click train in one, clicks found in the other's output; offsets from the --stats monotonic anchors. ` +
        'Talker modes interleaved in one run: --headless, and the terminal UI in tmux with keys pressed 40 times a second (statistics, help, selection, volume). ' +
        'Each mode again with the talker in Opus\'s low-delay mode (`audio.lowDelay`, `--low-delay`: 2.5 ms of codec lookahead instead of 6.5). ' +
        'Goals at 20 ms frames: median ≤ 35 ms and p90 ≤ 42 ms with the busy TUI, within 2 ms of headless.',
      '',
      '| talker | median | p10 | p90 | floor | clicks (missed) | per-run medians | talker capture lateness p99 per call |',
      '|---|---|---|---|---|---|---|---|',
      ...results.map(
        (r: any) =>
          `| ${r.talker} | **${fmt(r.medianMs)} ms** | ${fmt(r.p10Ms)} | ${fmt(r.p90Ms)} | ${r.floorMs} ms | ${r.clicks} (${r.missed}) | ${r.perRunMedianMs.map((x: number) => fmt(x)).join(', ')} ms | ${r.talkerCaptureLatenessP99Ms.map((x: number) => fmt(x, 2)).join(', ')} ms |`,
      ),
    ],
  },
  {
    title: 'Browser ↔ terminal: mouth-to-ear, and Chromium\'s receive figures beside ours (issue 9)',
    module: './browser-latency.js',
    render: renderBrowserLatency,
  },
  {
    title: 'Chromium and the terminal through the impairment relay: 5 % loss, 20 ms + 0–30 ms jitter (issue 12)',
    name: 'browser-impaired',
    module: './browser-latency.js',
    args: [3, { impairment: IMPAIRED_PATH }],
    render: renderBrowserLatency,
  },
  {
    title: 'Chromium and the terminal through the SFU (Janus), SFrame end to end (issue 14)',
    name: 'browser-sfu',
    module: './browser-latency.js',
    args: [3, { sfu: true }],
    render: renderBrowserLatency,
  },
  {
    title: 'Firefox ↔ terminal: mouth-to-ear, and Firefox\'s receive figures beside ours',
    name: 'firefox-latency',
    module: './browser-latency.js',
    args: [3, { browser: 'firefox' }],
    render: renderBrowserLatency,
  },
  {
    title: 'The demo on a real-time sound device (issue 11)',
    module: './demo-device.js',
    render: (r) => [
      `\`roundtable demo --headless\` for ${r.durationS} s with a private PulseAudio null sink as the speaker (you say speech-c.wav, two bots talk). ` +
        'Goals: 0 output underflows after the first second, bot jitter buffers ≤ 30 ms, 0 % loss on this perfect link.',
      ...(r.note ? ['', `Note: ${r.note}`] : []),
      '',
      `Output underflows: **${r.outputUnderflowsAfterWarmup ?? 'n/a'} after the device's first second**, ${r.outputUnderflows ?? 'n/a'} in all, in ${r.durationS} s.`,
      '',
      '| bot | packets received | lost (%) | mean jitter-buffer delay | frames concealed |',
      '|---|---|---|---|---|',
      ...r.peers.map((p: any) => `| ${p.name} | ${p.packetsReceived} | ${p.packetsLost} (${fmt(p.lossPercent, 2)} %) | **${fmt(p.meanJitterBufferMs)} ms** | ${p.framesConcealed} |`),
    ],
  },
  {
    title: 'Audio pacing with the TUI on and off (issue 5)',
    module: './tui-pacing.js',
    render: (r) => [
      `\`roundtable demo\` (embedded server and two talking bots in the same process, you sending speech) for ${r.durationS} s per mode: TUI in a real terminal (tmux 100×30, statistics panel open) vs --headless.`,
      'Send interval: time between consecutive frames handed to a peer (ideal 20 ms); capture lateness: how late each capture tick ran.',
      ...(r.note ? ['', `Note: ${r.note}`] : []),
      '',
      '| mode | send interval p50 / p99 / max | capture lateness p50 / p99 / max | RSS in call (control) | CPU control / media process |',
      '|---|---|---|---|---|',
      ...r.runs.map(
        (x: any) =>
          `| ${x.mode} | ${fmt(x.sendIntervalMs.p50Ms, 2)} / ${fmt(x.sendIntervalMs.p99Ms)} / ${fmt(x.sendIntervalMs.maxMs)} ms | ${fmt(x.captureLatenessMs.p50Ms, 2)} / ${fmt(x.captureLatenessMs.p99Ms)} / ${fmt(x.captureLatenessMs.maxMs)} ms | ${fmt(x.rssMiB)} MiB | ${fmt(x.cpuPercentOfOneCore)} % / ${x.mediaCpuPercentOfOneCore === null ? 'n/a' : fmt(x.mediaCpuPercentOfOneCore) + ' %'} |`,
      ),
    ],
  },
  {
    title: 'Clean exit under stress (issue "clean native lifecycle")',
    module: './exit-stress.js',
    render: (r) => [
      `${r.joins} headless \`roundtable join\` processes, ${r.rounds} rounds of 3 at once in a new room each (WAV in and out, --duration 3). Goal: every one exits by itself with code 0 and a complete WAV.`,
      '',
      `**${r.clean} of ${r.joins} clean**; crashes by signal ${JSON.stringify(r.crashesBySignal)}, other exit codes ${JSON.stringify(r.exitCodes)}, hung ${r.hung}, incomplete WAVs ${r.badOutputs} (${fmt(r.wallS, 0)} s).`,
      '',
      `Simultaneous joins: of ${r.peerLinks} peer links in the clean joins' --stats, **${r.rebuiltLinks}** needed a second generation (a first link that failed: DTLS certificate check, connect timeout).`,
    ],
  },
  {
    title: 'Simultaneous joins: DTLS certificate failures (issue 11 §3)',
    module: './dtls-race.js',
    args: [30, 3],
    render: (r) => [
      `${r.rounds} rounds of 3 headless \`roundtable join\` processes started at once in a new room each (loopback, --duration 3). Goal: no peer link needs a second generation.`,
      '',
      `Of ${r.peerLinks} peer links (counted at both ends), **${r.rebuiltLinks}** needed a second generation. Negotiation → track open of the others: ${r.connect === null ? 'n/a' : `median ${r.connect.median} ms, p90 ${r.connect.p90} ms, max ${r.connect.max} ms, ${r.connect.over900} over 900 ms (a lost first DTLS flight, docs/architecture.md §6)`}.`,
      `Native errors and link events: ${JSON.stringify(r.events)}.`,
    ],
  },
  {
    title: 'Impaired paths: two joins relay-only through coturn behind the impairment relay (issue 12)',
    module: './impaired-link.js',
    args: [3],
    render: (r) =>
      r.skipped
        ? [`Skipped: ${r.skipped}.`]
        : [
            'Two `roundtable join` processes, relay-only through a real coturn; the impairment relay (src/engine/sim/udp-relay.ts) sits in front of coturn and impairs what clients send, so each end-to-end packet crosses it once (TURN control traffic too). ' +
              'Talker → listener: a looping click train (mouth-to-ear from --stats anchors, from 0.5 s after the link is up); listener → talker: speech (correlation). Opus DTX off, so concealment counts only what the network took (one concealed frame per lost 20 ms packet). ' +
              'Connect: the talker\'s (newcomer\'s) `joined` → `peer-connected`. Outage: forwarding stopped for 3 s, 3 s after the link is up; audio back = first audible output after the path returns (clicks every 100 ms).',
            'Goals (later parts of the issue): clean relay within 3 ms of coturn direct; 5 % + 30 ms jitter: connect p90 ≤ 2 s over 20 joins with no rebuild, mouth-to-ear median ≤ 75 ms, concealed ≤ 0.5 %, mean jitter-buffer delay ≤ 40 ms; ' +
              '15 % bursts + 60 ms jitter: correlation within 0.1 of clean; 3 s outage: audio back ≤ 1 s after the path returns.',
            '',
            'Correlation: the talker\'s output against the listener\'s speech, best of three 2 s probes; heard: the same with 1 s probes (bench/lib/analysis.ts HEARD), which a receiver that stretches its playout a pitch period at a time does not push out of line. RED: packets played from RFC 2198 copies, and the talker\'s distance at the end; kb/s: what the talker\'s link sent, all headers included.',
            '',
            '| condition | calls | mouth-to-ear median / p90 | clicks (missed) | connect per call | link generations | loss seen | concealed (per packet expected) | recovered from RED / distance | talker kb/s | mean jitter buffer | correlation / heard | audio back after outage | bad exits |',
            '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
            ...r.conditions.map(
              (c: any) =>
                `| ${c.name} | ${c.runs} | **${fmt(c.mouthToEarMedianMs)}** / ${fmt(c.mouthToEarP90Ms)} ms${Number.isFinite(c.mouthToEarAfterOutageMedianMs) ? ` (after the outage: ${fmt(c.mouthToEarAfterOutageMedianMs)})` : ''} | ${c.clicks} (${c.missed}) | ${c.connectMs.join(', ')} ms | ${c.linkGenerations.join(', ')} | ${c.lossPercent.map((x: number) => fmt(x, 1)).join(', ')} % | ${c.concealedPercent.map((x: number) => fmt(x, 2)).join(', ')} % | ${c.recoveredPercent.map((x: number) => fmt(x, 2)).join(', ')} % / ${c.redDistance.map((x: number | null) => (x === null ? '–' : String(x))).join(', ')} | ${c.talkerKbps.map((x: number) => fmt(x)).join(', ')} | ${c.meanJitterBufferMs.map((x: number) => fmt(x)).join(', ')} ms | ${c.correlation.map((x: number) => fmt(x, 2)).join(', ')} / ${c.heard.map((x: number) => fmt(x, 2)).join(', ')} | ${c.audioBackMs.some((x: number | null) => x !== null) ? `${c.audioBackMs.map((x: number | null) => (x === null ? 'never' : `${x}`)).join(', ')} ms` : '–'} | ${c.badExits} |`,
            ),
          ],
  },
];

/** One process's garbage collections (bench/lib/gc-pauses.ts), for a results line. */
function gcText(g: { count: number; totalMs: number; maxMs: number; over10Ms: number; over10MsMinor: number }): string {
  return `${g.count} collections, ${g.totalMs} ms in all, longest ${g.maxMs} ms, ${g.over10Ms} of 10 ms or more (${g.over10MsMinor} of them scavenges)`;
}

function machine(): string[] {
  const cpus = os.cpus();
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`,
    `- node ${process.version}; load average at start ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}`,
  ];
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const lines = ['# Benchmark results', '', 'Written by `npm run bench` (bench/run.ts). Reproduce with the same command.', '', ...machine(), ''];
  for (const section of SECTIONS) {
    const name = section.name ?? path.basename(section.module, '.js');
    if (only.length > 0 && !only.includes(name)) continue;
    console.log(`bench: ${name} …`);
    const t0 = Date.now();
    lines.push(`## ${section.title}`, '', `\`bench/${path.basename(section.module, '.js')}.ts\``, '');
    try {
      const mod = (await import(section.module)) as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const result = await mod[section.fn ?? 'run']!(...(section.args ?? []));
      const body = section.render(result);
      lines.push(...body, '', `(took ${((Date.now() - t0) / 1000).toFixed(0)} s)`, '');
      console.log(body.join('\n'));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      lines.push(`Not measured: ${message}`, '');
      console.error(`bench: ${name} failed: ${message}`);
      process.exitCode = 1;
    }
  }
  const out = path.join(repoRoot(), 'bench', only.length > 0 ? 'results.partial.md' : 'results.md');
  writeFileSync(out, lines.join('\n'));
  console.log(`bench: wrote ${path.relative(process.cwd(), out)}`);
  // Sections that ran the mesh in this process (join-latency, knock-chat) leave
  // node-datachannel's thread-safe functions referenced, which keep the
  // event loop alive; the process owns them, so it releases them last.
  shutdownMesh();
}

await main();
