/**
 * A room through a real Janus (Debian's package, started by the test with a
 * configuration it writes, in a network namespace it creates:
 * bench/lib/janus.ts), end-to-end encrypted with SFrame (docs/architecture.md §11).
 * The participants (sfu-room.child.ts, in the same namespace) are real media
 * engines: real Opus, real node-datachannel PeerConnections to Janus.
 *
 * Checked: every participant hears every talker and no talker hears itself;
 * no frame was refused; what Janus forwarded is SFrame, opens with the
 * sender's key into Opus that carries the talker's speech, and without the
 * key does not decode as that speech.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { OpusEncoder } from '@discordjs/opus';
import { bestPresence, HEARD } from '../../bench/lib/analysis.js';
import { janusMissingReason, startJanus, type JanusInstance } from '../helpers/janus.js';
import { readWavMono48k } from '../../src/engine/audio/wav-file.js';
import { readHeader, SFrameReceiver } from '../../src/engine/sfu/sframe.js';
import { senderKeying } from '../../src/engine/sfu/sframe-keys.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(HERE, 'sfu-room.child.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const FIXTURES = ['speech-a.wav', 'speech-b.wav'].map((f) => path.join(HERE, '../../fixtures', f));

const missing = janusMissingReason();
let janus: JanusInstance | undefined;
let out: string | undefined;

afterEach(async () => {
  await janus?.stop();
  janus = undefined;
  if (out !== undefined) rmSync(out, { recursive: true, force: true });
  out = undefined;
});

interface RunFile {
  connectedMs: number;
  room: number;
  listed: { room: number; max_publishers?: number; num_participants?: number } | null;
  peerIds: string[];
  cpuPercent: number;
  mediaSecret: string;
  sealed: string[];
}

/** Runs the room; resolves with its warnings (stderr), shown with the figures. */
function runRoom(j: JanusInstance, dir: string, participants: number, talkers: number, seconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = [...j.ns.exec.slice(1), process.execPath, '--import', TSX, CHILD, j.wsUrl, j.address, dir, String(participants), String(talkers), String(seconds)];
    const proc = spawn(j.ns.exec[0]!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    proc.stdout.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), (seconds + 60) * 1000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(err);
      else reject(new Error(`the room ended with ${code}:\n${err.slice(-3000)}\nJanus:\n${j.output().slice(-2000)}`));
    });
  });
}

describe.skipIf(missing !== null)(`a room through Janus, SFrame end to end${missing === null ? '' : ` (skipped: ${missing})`}`, () => {
  it.each([[3], [10]])('%i participants, 2 talking: everyone hears both talkers, no one hears itself, Janus forwards only ciphertext', async (participants) => {
    janus = await startJanus();
    out = mkdtempSync(path.join(tmpdir(), 'rt-sfu-'));
    const seconds = 8;
    const warnings = await runRoom(janus, out, participants, 2, seconds);
    if (warnings.trim() !== '') console.log(warnings.trim().split('\n').slice(-20).join('\n'));
    const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as RunFile;
    const uplink = JSON.parse(readFileSync(path.join(out, '0.json'), 'utf8')) as { sfu: { uplinkBytesSent: number } };
    console.log(
      `${participants} participants: all subscribed ${run.connectedMs} ms after start; the room's CPU ${run.cpuPercent.toFixed(0)} % of a core; ` +
        `talker 0 sent ${((uplink.sfu.uplinkBytesSent * 8) / seconds / 1000).toFixed(1)} kb/s up (one stream, whatever the room's size)`,
    );

    // Janus lists the room (numeric id), with a publisher slot for everyone.
    expect(run.listed).toMatchObject({ room: run.room, num_participants: participants });
    expect(run.listed!.max_publishers).toBeGreaterThanOrEqual(participants);

    const inputs = await Promise.all(FIXTURES.map((f) => readWavMono48k(f)));
    for (let x = 0; x < participants; x++) {
      const heard = await readWavMono48k(path.join(out, `${x}.wav`));
      const stats = JSON.parse(readFileSync(path.join(out, `${x}.json`), 'utf8')) as { sfu: { framesOpened: number; framesRefused: number; subscriptions: number } };
      expect(stats.sfu.subscriptions, `${x} subscribed to everyone else`).toBe(participants - 1);
      expect(stats.sfu.framesRefused, `${x} refused no frame`).toBe(0);
      for (let talker = 0; talker < 2; talker++) {
        if (talker === x) expect(bestPresence(inputs[talker]!, heard), `${x} hears itself`).toBeLessThan(0.2);
        else expect(bestPresence(inputs[talker]!, heard, HEARD), `${x} hears talker ${talker}`).toBeGreaterThan(0.3);
      }
    }

    // What Janus forwarded from talker 0: SFrame under talker 0's KID.
    const sealed = run.sealed.map((h) => Buffer.from(h, 'hex'));
    expect(sealed.length).toBeGreaterThanOrEqual(80);
    const keying = await senderKeying(Buffer.from(run.mediaSecret, 'hex'), run.peerIds[0]!);
    for (const s of sealed) expect(readHeader(s)?.kid).toBe(keying.kid);
    // With the key: Opus frames carrying the talker's speech. Without: no frame decodes as it.
    const receiver = new SFrameReceiver();
    receiver.addKey(keying.kid, keying.baseKey);
    const withKey = new OpusEncoder(48_000, 1);
    const withoutKey = new OpusEncoder(48_000, 1);
    const opened: Buffer[] = [];
    const blind: Buffer[] = [];
    let refusedByOpus = 0;
    for (const s of sealed) {
      const plain = new Uint8Array(s.length);
      const n = receiver.decrypt(s, plain);
      expect(n).toBeGreaterThan(0);
      opened.push(withKey.decode(Buffer.from(plain.subarray(0, n))));
      try {
        blind.push(withoutKey.decode(s));
      } catch {
        refusedByOpus++;
        blind.push(Buffer.alloc(1920));
      }
    }
    const pcm = (bufs: Buffer[]): Int16Array => {
      const b = Buffer.concat(bufs);
      return new Int16Array(b.buffer, b.byteOffset, b.length / 2);
    };
    // 800 ms probes in 2 s of frames: long enough that random audio scores low (0.08 against 0.2 with 400 ms).
    const openedPresence = bestPresence(inputs[0]!, pcm(opened), { segmentMs: 800 });
    const blindPresence = bestPresence(inputs[0]!, pcm(blind), { segmentMs: 800 });
    console.log(`talker 0's frames as Janus forwarded them: opened with the key, speech presence ${openedPresence.toFixed(2)}; decoded without it ${blindPresence.toFixed(2)} (${refusedByOpus}/${sealed.length} refused by the decoder)`);
    expect(openedPresence).toBeGreaterThan(0.5);
    // Not heard: below what "heard" (HEARD, > 0.3) starts from.
    expect(blindPresence).toBeLessThan(0.3);
  });
});
