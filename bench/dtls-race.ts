/**
 * Reproduction for issue 11 §3 (DTLS certificate failures when peers join at
 * the same moment): rounds of three `roundtable join` processes started at
 * once into a new room each (as bench/exit-stress.ts), keeping every
 * process's JSON log lines, and counting peer links that needed a second
 * generation and the link events that explain why.
 *
 * Run: `npm run build && node dist/bench/dtls-race.js [rounds] [durationS] [logDir]`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateJoinCode } from '../src/protocol/index.js';
import { startSignalingServer } from '../src/server/index.js';
import { fixture } from './lib/paths.js';
import { spawnJoin } from './p2p-latency.js';

export interface DtlsRaceResult {
  rounds: number;
  peerLinks: number;
  rebuiltLinks: number;
  /** Per event name, how many log lines (link-connect-timeout, rebuild-requested, native warnings…). */
  events: Record<string, number>;
  roundsWithRebuild: number[];
  /** Rounds where a first link took over 900 ms from negotiation to track open. */
  roundsWithSlowConnect: number[];
  /** Peer known → first connected (ms) of links whose first generation connected: median, p90, max, and how many took over 900 ms (a lost first DTLS flight waits 1 s, docs/architecture.md §6). */
  timeToConnect: Spread | null;
  /** The link's own negotiation → track open (ms), same links: a lost first DTLS flight shows here as ~1000 ms. */
  connect: Spread | null;
  /** The samples behind `connect`, to pool runs. */
  connectSamples: number[];
}

export interface Spread {
  n: number;
  median: number;
  p90: number;
  max: number;
  over900: number;
}

function spread(values: number[]): Spread | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const q = (f: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))]!);
  return { n: sorted.length, median: q(0.5), p90: q(0.9), max: Math.round(sorted.at(-1)!), over900: sorted.filter((t) => t > 900).length };
}

const COUNTED = new Set(['link-connect-timeout', 'rebuild-requested', 'link-rebuild-scheduled', 'link-silent-too-long', 'peer-reconnected']);

export async function run(rounds = 30, durationS = 3, logDir?: string): Promise<DtlsRaceResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rt-bench-dtls-'));
  const config = path.join(dir, 'dtls-race.yaml');
  writeFileSync(config, 'ice:\n  servers: []\ncues:\n  enabled: false\naudio:\n  noiseSuppression: false\n');
  if (logDir !== undefined) mkdirSync(logDir, { recursive: true });
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  const result: DtlsRaceResult = { rounds, peerLinks: 0, rebuiltLinks: 0, events: {}, roundsWithRebuild: [], roundsWithSlowConnect: [], timeToConnect: null, connect: null, connectSamples: [] };
  const timesToConnect: number[] = [];
  const connectTimes: number[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const code = generateJoinCode();
      const logs: Record<string, string> = {};
      let rebuilt = 0;
      let slow = 0;
      await Promise.all(
        (['a', 'b', 'c'] as const).map(async (name) => {
          const statsFile = path.join(dir, `stats-${round}-${name}.json`);
          const p = spawnJoin(code, server.url, config, ['--name', name, '--input', fixture(`speech-${name}.wav`), '--output', path.join(dir, `out-${name}.wav`), '--stats', statsFile, '--duration', String(durationS)]);
          const killer = setTimeout(() => p.proc.kill('SIGKILL'), (durationS + 30) * 1000);
          await p.exited;
          clearTimeout(killer);
          logs[name] = p.lines.map((l) => JSON.stringify(l)).join('\n');
          for (const l of p.lines) {
            const ev = String(l.event ?? l.msg ?? '');
            if (COUNTED.has(ev)) result.events[ev] = (result.events[ev] ?? 0) + 1;
            if (ev === 'native-log') {
              const key = `native ${String(l.level ?? '')}: ${String(l.message ?? '').replace(/[0-9a-f]{2}(:[0-9a-f]{2}){8,}/gi, 'FP').slice(0, 80)}`;
              result.events[key] = (result.events[key] ?? 0) + 1;
            }
          }
          try {
            const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as { peers: Array<{ linkGenerations: number; timeToConnectMs: number | null; connectMs: number | null }> };
            for (const peer of stats.peers) {
              result.peerLinks++;
              if (peer.linkGenerations > 1) (result.rebuiltLinks++, rebuilt++);
              else {
                if (peer.timeToConnectMs !== null) timesToConnect.push(peer.timeToConnectMs);
                if (peer.connectMs !== null) connectTimes.push(peer.connectMs);
                if (peer.connectMs !== null && peer.connectMs > 900) slow++;
              }
            }
          } catch {
            result.events['no-stats'] = (result.events['no-stats'] ?? 0) + 1;
          }
          rmSync(statsFile, { force: true });
        }),
      );
      if (rebuilt > 0) result.roundsWithRebuild.push(round);
      if (slow > 0) result.roundsWithSlowConnect.push(round);
      if (logDir !== undefined && rebuilt + slow > 0) for (const [name, text] of Object.entries(logs)) writeFileSync(path.join(logDir, `round-${round}-${name}.jsonl`), text + '\n');
      process.stderr.write(`round ${round}: rebuilt ${rebuilt}, slow ${slow} (total ${result.rebuiltLinks}/${result.peerLinks})\n`);
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  result.timeToConnect = spread(timesToConnect);
  result.connect = spread(connectTimes);
  result.connectSamples = connectTimes;
  return result;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  run(Number(process.argv[2] ?? 30), Number(process.argv[3] ?? 3), process.argv[4])
    .then((r) => console.log(JSON.stringify(r, null, 1)))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
