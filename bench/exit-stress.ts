/**
 * Exit stress: rounds of three simultaneous headless `roundtable join`
 * processes, each round in a new room (in-process signaling server, ICE on
 * 127.0.0.1, WAV in and WAV out, --duration). The config is the default but
 * for STUN (none: nothing leaves the machine); join/leave cues stay on, as
 * for a user: without them the exit crash did not show (0 in 300 before the
 * fix, against 8 in 300 with them). Every process must leave by itself with
 * exit code 0 and no signal, and leave a complete output WAV.
 * Crashes are counted by signal (SIGSEGV, SIGABRT, SIGBUS, …); a process
 * still running `durationS + 30` s after it started is killed and counted
 * as hung. Goal: 0 failures in 300 joins (issue "clean native lifecycle").
 *
 * Run: `npm run build && node dist/bench/exit-stress.js [rounds] [durationS]`, or `run()`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readWavMono48k } from '../src/engine/audio/wav-file.js';
import { generateJoinCode } from '../src/protocol/index.js';
import { startSignalingServer } from '../src/server/index.js';
import { fixture } from './lib/paths.js';
import { spawnJoin } from './p2p-latency.js';

export interface JoinFailure {
  round: number;
  name: string;
  code: number | null;
  signal: string | null;
  hung: boolean;
  /** Why the output WAV is not acceptable, if it is not. */
  output: string | null;
  stderrTail: string;
}

export interface ExitStressResult {
  rounds: number;
  joins: number;
  /** Exit 0, no signal, complete output WAV. */
  clean: number;
  /** Processes killed by a signal they did not get from us, by signal name. */
  crashesBySignal: Record<string, number>;
  /** Exits with a non-zero code, by code. */
  exitCodes: Record<string, number>;
  hung: number;
  badOutputs: number;
  failures: JoinFailure[];
  wallS: number;
  /** Peer links seen in the clean joins' --stats, and how many needed more than one generation (a failed first link: DTLS, timeout). */
  peerLinks: number;
  rebuiltLinks: number;
}

/** Null when `file` is a complete WAV (RIFF size matches the file) of at least `minSeconds`. */
async function checkOutput(file: string, minSeconds: number): Promise<string | null> {
  try {
    const bytes = readFileSync(file);
    if (bytes.length < 44 || bytes.readUInt32LE(4) !== bytes.length - 8) return `RIFF size ${bytes.length >= 8 ? bytes.readUInt32LE(4) : '?'} for ${bytes.length} bytes: header not finalised`;
    const samples = (await readWavMono48k(file)).length;
    return samples >= minSeconds * 48_000 ? null : `only ${(samples / 48_000).toFixed(2)} s of audio`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export async function run(rounds = 100, durationS = 3): Promise<ExitStressResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rt-bench-exit-'));
  const config = path.join(dir, 'exit-stress.yaml');
  writeFileSync(config, 'ice:\n  servers: []\n');
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  const result: ExitStressResult = { rounds, joins: 0, clean: 0, crashesBySignal: {}, exitCodes: {}, hung: 0, badOutputs: 0, failures: [], wallS: 0, peerLinks: 0, rebuiltLinks: 0 };
  const t0 = performance.now();
  try {
    for (let round = 1; round <= rounds; round++) {
      const code = generateJoinCode();
      const joins = (['a', 'b', 'c'] as const).map(async (name) => {
        const output = path.join(dir, `out-${round}-${name}.wav`);
        const statsFile = path.join(dir, `stats-${round}-${name}.json`);
        const p = spawnJoin(code, server.url, config, ['--name', name, '--input', fixture(`speech-${name}.wav`), '--output', output, '--stats', statsFile, '--duration', String(durationS)]);
        let stderr = '';
        p.proc.stderr!.on('data', (c: string) => (stderr = (stderr + c).slice(-2000)));
        let hung = false;
        const killer = setTimeout(() => {
          hung = true;
          p.proc.kill('SIGKILL');
        }, (durationS + 30) * 1000);
        const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) => p.proc.once('exit', (c, s) => resolve({ code: c, signal: s })));
        clearTimeout(killer);
        const bad = exit.code === 0 ? await checkOutput(output, durationS - 1) : null;
        result.joins++;
        if (hung) result.hung++;
        else if (exit.signal !== null) result.crashesBySignal[exit.signal] = (result.crashesBySignal[exit.signal] ?? 0) + 1;
        else if (exit.code !== 0) result.exitCodes[String(exit.code)] = (result.exitCodes[String(exit.code)] ?? 0) + 1;
        if (bad !== null) result.badOutputs++;
        if (!hung && exit.code === 0 && exit.signal === null && bad === null) {
          result.clean++;
          try {
            const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as { peers: Array<{ linkGenerations: number }> };
            for (const peer of stats.peers) {
              result.peerLinks++;
              if (peer.linkGenerations > 1) result.rebuiltLinks++;
            }
          } catch {
            /* no stats: counted as clean, links unknown */
          }
        }
        else result.failures.push({ round, name, code: exit.code, signal: exit.signal, hung, output: bad, stderrTail: stderr.slice(-500) });
        rmSync(output, { force: true });
        rmSync(statsFile, { force: true });
      });
      await Promise.all(joins);
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  result.wallS = Math.round((performance.now() - t0) / 100) / 10;
  return result;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const rounds = Number(process.argv[2] ?? 100);
  const durationS = Number(process.argv[3] ?? 3);
  run(Number.isInteger(rounds) && rounds > 0 ? rounds : 100, durationS > 1 ? durationS : 3)
    .then((r) => {
      console.log(`${r.joins} joins in ${r.rounds} rounds of 3: ${r.clean} clean (${r.wallS} s)`);
      console.log(`  crashes by signal ${JSON.stringify(r.crashesBySignal)}, exit codes ${JSON.stringify(r.exitCodes)}, hung ${r.hung}, bad outputs ${r.badOutputs}`);
      console.log(`  peer links ${r.peerLinks}, of which rebuilt (first generation failed) ${r.rebuiltLinks}`);
      for (const f of r.failures) console.log(`  round ${f.round} ${f.name}: code ${f.code} signal ${f.signal}${f.hung ? ' (hung)' : ''}${f.output ? ` output: ${f.output}` : ''}`);
      if (r.clean !== r.joins) process.exitCode = 1;
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
