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
 * Run: `npm run build && node dist/bench/mesh-cpu.js [windowSeconds]`, or `run()`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeWav } from '../src/engine/audio/wav-file.js';
import { generateJoinCode } from '../src/protocol/index.js';
import { startSignalingServer } from '../src/server/index.js';
import { fixture } from './lib/paths.js';
import { loopbackConfig, spawnJoin, type JoinProcess } from './p2p-latency.js';

/** Clock ticks per second for /proc/<pid>/stat utime/stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

function cpuTicksOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** `pid` and every process below it: a client is its control process plus its media process (docs/architecture.md §1). */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const tid of readdirSync(`/proc/${out[i]}/task`)) {
        const children = readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim();
        if (children) out.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      /* the process ended meanwhile */
    }
  }
  return out;
}

function cpuTicks(pid: number): number {
  return processTree(pid).reduce((sum, p) => {
    try {
      return sum + cpuTicksOf(p);
    } catch {
      return sum;
    }
  }, 0);
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
  /** Mean CPU of the talking bots over the same window, for comparison. */
  botCpuPercentMean: number;
  clientPacketsReceivedPerPeer: number[];
}

export async function run(windowS = 10, bots = 7): Promise<MeshCpuResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rt-bench-mesh-'));
  const config = loopbackConfig(dir);
  const silence = path.join(dir, 'silence.wav');
  await writeWav(silence, new Int16Array(48_000));
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  const code = generateJoinCode();
  const procs: JoinProcess[] = [];
  const totalS = windowS + 25;
  try {
    const botProcs: JoinProcess[] = [];
    for (let i = 0; i < bots; i++) {
      const input = fixture(`speech-${'abc'[i % 3]}.wav`);
      const p = spawnJoin(code, server.url, config, ['--name', `bot${i}`, '--input', input, '--loop', '--output', path.join(dir, `bot${i}.wav`), '--duration', String(totalS)]);
      procs.push(p);
      botProcs.push(p);
      await p.waitFor((l) => l.event === 'joined', 15_000);
    }
    const statsFile = path.join(dir, 'client.json');
    // The measured client runs noise suppression as the product does by default (the bots, a load, do not).
    const client = spawnJoin(code, server.url, config, ['--name', 'client', '--noise-suppression', '--input', silence, '--loop', '--output', path.join(dir, 'client.wav'), '--stats', statsFile, '--duration', String(totalS)]);
    procs.push(client);
    const connected = new Set<unknown>();
    await client.waitFor((l) => {
      if (l.event === 'peer-connected') connected.add(l.peer);
      return connected.size >= bots;
    }, 20_000);
    // Let jitter buffers settle, then measure.
    await new Promise((r) => setTimeout(r, 1000));
    const pid = client.proc.pid!;
    const botPids = botProcs.map((p) => p.proc.pid!);
    const t0 = performance.now();
    const c0 = cpuTicks(pid);
    const b0 = botPids.map(cpuTicks);
    await new Promise((r) => setTimeout(r, windowS * 1000));
    const c1 = cpuTicks(pid);
    const b1 = botPids.map(cpuTicks);
    const wallS = (performance.now() - t0) / 1000;
    const rss = rssBytes(pid);
    for (const p of procs) p.proc.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as { peers: Array<{ packetsReceived: number }> };
    const pct = (ticks: number): number => Math.round(((ticks / USER_HZ / wallS) * 100) * 10) / 10;
    return {
      peers: bots + 1,
      windowS: Math.round(wallS * 10) / 10,
      clientCpuPercentOfOneCore: pct(c1 - c0),
      clientRssMiB: Math.round((rss / 1024 / 1024) * 10) / 10,
      botCpuPercentMean: pct(b1.reduce((s, v, i) => s + v - b0[i]!, 0) / bots),
      clientPacketsReceivedPerPeer: stats.peers.map((p) => p.packetsReceived),
    };
  } finally {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const windowS = Number(process.argv[2] ?? 10);
  run(windowS > 0 ? windowS : 10)
    .then((r) => {
      console.log(`one client's CPU in an ${r.peers}-peer room, ${r.peers - 1} talking (window ${r.windowS} s)`);
      for (const [k, v] of Object.entries(r)) console.log(`  ${k.padEnd(30)} ${Array.isArray(v) ? v.join(', ') : v}`);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
