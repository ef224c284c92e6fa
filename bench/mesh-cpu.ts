/**
 * CPU and memory of one client in a full 8-peer room where the 7 others talk.
 *
 * Eight real `roundtable join` processes (in-process signaling server, ICE
 * on 127.0.0.1): seven bots loop speech fixtures; the measured client has a
 * silent microphone and writes what it hears to a WAV, so it decodes and
 * mixes seven streams and sends seven RTCP streams. Once it is connected to
 * all seven, its utime+stime are read from /proc/<pid>/stat at the start and
 * end of a window, and its RSS from /proc/<pid>/status, each summed over the
 * client's process tree (control process + media process + audio device
 * process, if any).
 *
 * On a 2-core machine the eight processes compete for CPU; the figure is
 * the client's own CPU time over wall time (percent of one core).
 *
 * Also, runMeshVsSfu: one talking client in a 12-person room, mesh against
 * the SFU (Janus), CPU and uplink.
 *
 * Run: `npm run build && node dist/bench/mesh-cpu.js [windowSeconds] [sfu]`, or `run()` / `runMeshVsSfu()`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeWav } from '../src/engine/audio/wav-file.js';
import { generateJoinCode } from '../src/protocol/index.js';
import { startSignalingServer } from '../src/server/index.js';
import { fixture } from './lib/paths.js';
import { cpuTicksOf, processTree, treeCpuTicks, USER_HZ } from './lib/proc-cpu.js';
import { janusMissingReason, startJanus } from './lib/janus.js';
import { loopbackConfig, spawnJoin, spawnRoundtable, type JoinProcess } from './p2p-latency.js';


/** Which part of a participant a process is, from its command line (docs/architecture.md §1). */
function roleOf(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmd.includes('media-process')) return 'media';
    if (cmd.includes('device-host')) return 'device';
    return 'control';
  } catch {
    return 'gone';
  }
}

/** CPU ticks of each role (control, media, device) in `pid`'s tree. */
function cpuTicksByRole(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of processTree(pid)) {
    try {
      const role = roleOf(p);
      out.set(role, (out.get(role) ?? 0) + cpuTicksOf(p));
    } catch {
      /* the process ended meanwhile */
    }
  }
  return out;
}

function rssBytes(pid: number): number {
  return processTree(pid).reduce((sum, p) => {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
    return sum + (m ? Number(m[1]) * 1024 : 0);
  }, 0);
}

export interface MeshCpuResult {
  peers: number;
  windowS: number;
  clientCpuPercentOfOneCore: number;
  clientRssMiB: number;
  /** The client's CPU split by process (control: UI + signaling; media; device), percent of one core. */
  clientCpuByProcess?: Record<string, number>;
  /** Mean CPU of the talking bots over the same window, for comparison. */
  botCpuPercentMean: number;
  clientPacketsReceivedPerPeer: number[];
}

export async function run(windowS = 10, bots = 7): Promise<MeshCpuResult> {
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  try {
    const r = await measureClient({ serverUrl: server.url, windowS, bots, talkers: bots, path: 'mesh', clientTalks: false });
    return { peers: r.peers, windowS: r.windowS, clientCpuPercentOfOneCore: r.clientCpuPercentOfOneCore, clientCpuByProcess: r.clientCpuByProcess, clientRssMiB: r.clientRssMiB, botCpuPercentMean: r.botCpuPercentMean, clientPacketsReceivedPerPeer: r.clientPacketsReceivedPerPeer };
  } finally {
    await server.close();
  }
}

/**
 * Profiling the measured client (its media and device processes too,
 * src/core/child-entry.ts): PROF_DIR=DIR writes one .cpuprofile per process
 * when it exits; PERF_MAP=1 writes /tmp/perf-PID.map, which gives
 * `perf record -g -p PID` the JavaScript functions' names
 * (docs/architecture.md §12).
 */
function profileArgs(): string[] {
  const dir = process.env.PROF_DIR;
  return [...(dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []), ...(process.env.PERF_MAP === '1' ? ['--perf-basic-prof'] : [])];
}

export interface RoomClientResult extends MeshCpuResult {
  path: 'mesh' | 'sfu';
  /** Bots that talk (the others send silence). */
  talkers: number;
  /** What the measured client sent while it talked, kb/s over the window: every peer link (mesh) or its one uplink (SFU), RTP and RTCP with their headers. */
  clientUplinkKbps: number | null;
  /** Streams the client sent: one per peer (mesh) or one (SFU). */
  clientUpstreams: number;
}

interface MeasureOptions {
  serverUrl: string;
  windowS: number;
  bots: number;
  talkers: number;
  path: 'mesh' | 'sfu';
  /** The measured client loops speech (to measure its uplink) rather than sending silence. */
  clientTalks: boolean;
  /** Prefix (a namespace's `ip netns exec`) and ICE bind address of every process: Janus's namespace for the SFU. */
  exec?: readonly string[];
  bindAddress?: string;
}

/**
 * One measured client in a room of `bots` others, `talkers` of them
 * talking; with `clientTalks` it loops speech, so its uplink is a talker's.
 */
async function measureClient(o: MeasureOptions): Promise<RoomClientResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rt-bench-room-'));
  const config = loopbackConfig(dir);
  const silence = path.join(dir, 'silence.wav');
  await writeWav(silence, new Int16Array(48_000));
  const code = generateJoinCode();
  const procs: JoinProcess[] = [];
  const totalS = o.windowS + 30;
  const join = (args: string[], first: boolean): JoinProcess => {
    // The first member creates the SFU room; the others follow what the server says.
    const p = spawnJoin(code, o.serverUrl, config, [...args, ...(first && o.path === 'sfu' ? ['--sfu'] : [])], o.exec ?? [], {}, o.bindAddress, args.includes('client') ? profileArgs() : []);
    procs.push(p);
    return p;
  };
  try {
    const botProcs: JoinProcess[] = [];
    for (let i = 0; i < o.bots; i++) {
      const input = i < o.talkers ? fixture(`speech-${'abc'[i % 3]}.wav`) : silence;
      const p = join(['--name', `bot${i}`, '--input', input, '--loop', '--output', path.join(dir, `bot${i}.wav`), '--duration', String(totalS)], i === 0);
      botProcs.push(p);
      await p.waitFor((l) => l.event === (o.path === 'sfu' ? 'sfu-publishing' : 'joined'), 20_000);
    }
    const statsFile = path.join(dir, 'client.json');
    // The measured client runs noise suppression as the product does by default (the bots, a load, do not).
    const client = join(['--name', 'client', '--noise-suppression', '--input', o.clientTalks ? fixture('speech-a.wav') : silence, '--loop', '--output', path.join(dir, 'client.wav'), '--stats', statsFile, '--duration', String(totalS)], false);
    const connected = new Set<unknown>();
    await client.waitFor((l) => {
      if (l.event === 'peer-connected' || (l.event === 'sfu-subscription-state' && l.state === 'connected')) connected.add(l.peer);
      return connected.size >= o.bots;
    }, 40_000);
    const connectedAt = performance.now();
    // Let jitter buffers settle, then measure.
    await new Promise((r) => setTimeout(r, 1000));
    const pid = client.proc.pid!;
    const botPids = botProcs.map((p) => p.proc.pid!);
    const t0 = performance.now();
    const c0 = treeCpuTicks(pid);
    const r0 = cpuTicksByRole(pid);
    const b0 = botPids.map(treeCpuTicks);
    await new Promise((r) => setTimeout(r, o.windowS * 1000));
    const c1 = treeCpuTicks(pid);
    const r1 = cpuTicksByRole(pid);
    const b1 = botPids.map(treeCpuTicks);
    const wallS = (performance.now() - t0) / 1000;
    const rss = rssBytes(pid);
    const sentMs = performance.now() - connectedAt;
    for (const p of procs) p.proc.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as { peers: Array<{ packetsReceived: number; bytesSent: number }> };
    const pct = (ticks: number): number => Math.round(((ticks / USER_HZ / wallS) * 100) * 10) / 10;
    // All the call's bytes over the time since the client was connected to everyone: the second or so
    // while its links came up adds a little, so this is at most ~10 % high.
    // The SFU's uplink reports its RTP bytes once, when it stops (media-host 'sfu-stopped'); the mesh's links in --stats.
    const sfuReport = client.lines.find((l) => l.event === 'sfu-stopped' && typeof l.uplinkBytesSent === 'number');
    const sentBytes = o.path === 'mesh' ? stats.peers.reduce((sum, p) => sum + p.bytesSent, 0) : sfuReport === undefined ? null : Number(sfuReport.uplinkBytesSent);
    return {
      path: o.path,
      talkers: o.talkers,
      peers: o.bots + 1,
      windowS: Math.round(wallS * 10) / 10,
      clientCpuPercentOfOneCore: pct(c1 - c0),
      clientCpuByProcess: Object.fromEntries([...r1].map(([role, t]) => [role, pct(t - (r0.get(role) ?? 0))])),
      clientRssMiB: Math.round((rss / 1024 / 1024) * 10) / 10,
      botCpuPercentMean: pct(b1.reduce((s, v, i) => s + v - b0[i]!, 0) / o.bots),
      clientPacketsReceivedPerPeer: stats.peers.map((p) => p.packetsReceived),
      clientUplinkKbps: sentBytes === null ? null : Math.round((sentBytes * 8) / sentMs * 10) / 10,
      clientUpstreams: o.path === 'mesh' ? o.bots : 1,
    };
  } finally {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface MeshVsSfuResult {
  mesh: RoomClientResult;
  sfu: RoomClientResult | { skipped: string };
}

/**
 * The comparison (docs/architecture.md §11): one talking client in
 * a room of `people`, `talkers` of the others talking, first as a full mesh
 * (on loopback), then through Janus (in its namespace, bench/lib/janus.ts),
 * every participant a `roundtable join` process. On 2 cores the room's
 * other processes compete with the client: compare the two rows of one run.
 */
export async function runMeshVsSfu(people = 12, talkers = 2, windowS = 10): Promise<MeshVsSfuResult> {
  // A mesh this size is past the default room limit (8): the comparison needs it anyway.
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0, maxPeersPerRoom: people });
  let mesh: RoomClientResult;
  try {
    mesh = await measureClient({ serverUrl: server.url, windowS, bots: people - 1, talkers, path: 'mesh', clientTalks: true });
  } finally {
    await server.close();
  }
  const missing = janusMissingReason();
  if (missing !== null) return { mesh, sfu: { skipped: missing } };
  const janus = await startJanus();
  const serve = spawnRoundtable(['serve', '--host', '127.0.0.1', '--port', '0', '--json', '--no-web', '--janus', janus.wsUrl, '--max-peers', String(people)], janus.ns.exec);
  try {
    const listening = await serve.waitFor((l) => l.event === 'server-listening', 20_000);
    const sfu = await measureClient({ serverUrl: String(listening.url), windowS, bots: people - 1, talkers, path: 'sfu', clientTalks: true, exec: janus.ns.exec, bindAddress: janus.address });
    return { mesh, sfu };
  } finally {
    serve.proc.kill('SIGTERM');
    await serve.exited;
    await janus.stop();
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const windowS = Number(process.argv[2] ?? 10);
  if (process.argv[3] === 'sfu') {
    runMeshVsSfu(12, 2, windowS > 0 ? windowS : 10).then((r) => console.log(JSON.stringify(r, null, 2)), (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
  } else run(windowS > 0 ? windowS : 10)
    .then((r) => {
      console.log(`one client's CPU in an ${r.peers}-peer room, ${r.peers - 1} talking (window ${r.windowS} s)`);
      for (const [k, v] of Object.entries(r)) console.log(`  ${k.padEnd(30)} ${Array.isArray(v) ? v.join(", ") : typeof v === "object" ? JSON.stringify(v) : v}`);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
