/**
 * A 12-person room through Janus with SFrame (docs/architecture.md §11):
 * the participants (test/e2e/sfu-room.child.ts, one process, in the
 * namespace of a Janus this benchmark starts: bench/lib/janus.ts) are real
 * media engines; talker 0 plays a click train (and talker 1 speech, when asked for 2). Prints the room's CPU (all
 * 12 engines in one process, percent of one core, and that divided by 12),
 * a talker's uplink rate (one stream whatever the room's size; in a mesh it
 * would send one per peer), and mouth-to-ear from talker 0 to the last
 * participant through the SFU: click onsets, aligned by the engines'
 * monotonic anchors (docs/architecture.md §8).
 *
 * Needs root (a network namespace) and Debian's `janus`.
 * Run: `npx tsx bench/sfu-room.ts [participants] [seconds] [talkers]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeWav, readWavMono48k } from '../src/engine/audio/wav-file.js';
import { detectOnsets, makeClickTrain, matchOnsets, median, percentile } from './lib/analysis.js';
import { janusMissingReason, startJanus } from './lib/janus.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface SfuRoomResult {
  participants: number;
  talkers: number;
  roomCpuPercent: number;
  uplinkKbps: number;
  mouthToEarMs: { median: number; p95: number; clicks: number; missed: number };
}

/**
 * `talkers`: 1 for the latency figure (a second talker's speech onsets would
 * be taken for clicks in the mix), 2 for the CPU figure of a room with two talkers.
 */
export async function run(participants = 12, seconds = 12, talkers = 1): Promise<SfuRoomResult> {
  const missing = janusMissingReason();
  if (missing !== null) throw new Error(`cannot run the SFU benchmark: ${missing}`);
  const janus = await startJanus();
  const dir = mkdtempSync(path.join(tmpdir(), 'rt-bench-sfu-'));
  try {
    // Clicks from 3 s on (all subscriptions are up well before), 250 ms apart so the voice gate stays open.
    const train = makeClickTrain({ durationMs: seconds * 1000, intervalMs: 250, leadMs: 3000 });
    const clicks = path.join(dir, 'clicks.wav');
    await writeWav(clicks, train.samples);
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const child = path.join(HERE, '../test/e2e/sfu-room.child.ts');
    const r = spawnSync(
      janus.ns.exec[0]!,
      [...janus.ns.exec.slice(1), process.execPath, '--import', tsx, child, janus.wsUrl, janus.address, dir, String(participants), String(talkers), String(seconds), clicks],
      { encoding: 'utf8', timeout: (seconds + 90) * 1000 },
    );
    if (r.status !== 0) throw new Error(`the room failed (${r.status}): ${r.stderr.slice(-2000)}`);
    const room = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as { cpuPercent: number };
    const talker = JSON.parse(readFileSync(path.join(dir, '0.json'), 'utf8')) as { sfu: { uplinkBytesSent: number }; anchors: { firstInputNs: string } };
    const last = participants - 1;
    const listener = JSON.parse(readFileSync(path.join(dir, `${last}.json`), 'utf8')) as { anchors: { firstOutputNs: string } };
    const offsetSamples = (Number(BigInt(listener.anchors.firstOutputNs) - BigInt(talker.anchors.firstInputNs)) / 1e9) * 48_000;
    const heard = await readWavMono48k(path.join(dir, `${last}.wav`));
    const delays = matchOnsets(train.onsets, detectOnsets(heard, { threshold: 0.1 }), { offsetSamples, windowMs: 300 });
    return {
      participants,
      talkers,
      roomCpuPercent: room.cpuPercent,
      uplinkKbps: (talker.sfu.uplinkBytesSent * 8) / seconds / 1000,
      mouthToEarMs: { median: median(delays), p95: percentile(delays, 95), clicks: delays.length, missed: train.onsets.length - delays.length },
    };
  } finally {
    await janus.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await run(Number(process.argv[2] ?? 12), Number(process.argv[3] ?? 12), Number(process.argv[4] ?? 1));
  console.log(`SFU room, ${r.participants} participants (${r.talkers} talking) in one process, through Janus with SFrame:`);
  console.log(`  CPU of the whole room: ${r.roomCpuPercent.toFixed(0)} % of one core (${(r.roomCpuPercent / r.participants).toFixed(1)} % per participant)`);
  console.log(`  a talker's uplink: ${r.uplinkKbps.toFixed(1)} kb/s, one stream (a mesh sends it to each of the ${r.participants - 1} others)`);
  console.log(`  mouth-to-ear talker 0 → participant ${r.participants - 1}${r.talkers > 1 ? ' (not meaningful with 2 talkers)' : ''}: median ${r.mouthToEarMs.median.toFixed(1)} ms, p95 ${r.mouthToEarMs.p95.toFixed(1)} ms (${r.mouthToEarMs.clicks} clicks, ${r.mouthToEarMs.missed} missed)`);
}
