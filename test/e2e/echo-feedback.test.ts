/**
 * Echo cancellation between two real processes (the "Voice processing"
 * issue's feedback test): B plays through a speaker that leaks into its own
 * microphone (bench/lib/echo-room.ts on the test's PulseAudio: 80 ms, −6 dB,
 * two later reflections), A uses files. A talks the whole time; B talks for
 * 10 s in the middle, so A and B talk at once there. What A heard is
 * checked: its own voice must come back ≥ 25 dB down while B is silent, and
 * B must be found in ≥ 0.8 of its 500 ms windows (B is not muted during
 * double talk). The same call with B's echo cancellation off shows the room
 * really returns A's voice. B runs the product's defaults (echo cancellation
 * "auto" is on with two sound devices, noise suppression and gain control on).
 * Skipped with the reason only where PulseAudio cannot start.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaveFile } from 'wavefile';
import { activeRmsLevel } from '../../src/engine/audio/level.js';
import { atMs, nearWindowsFound } from '../helpers/echo-path.js';
import { startEchoRoom } from '../helpers/echo-room.js';
import { usePulse, type PulseHandle } from '../helpers/pulse.js';
import { concat, presenceOf, rmsOf } from '../../bench/lib/analysis.js';
import { speexDspAvailability } from '../../src/engine/dsp/speexdsp.js';
import type { SignalingServer } from '../../src/server/index.js';
import { TempDir, joinArgs, killAll, newCode, readWav, runClient, sleep, speech, startServer, writeLoopbackConfig, type Client } from './harness.js';

const requirePulse = usePulse();
const speex = speexDspAvailability();
const dir = new TempDir();
let server: SignalingServer;
let aVoice: Int16Array;
let bVoice: Int16Array;
let aInput: string;

beforeAll(async () => {
  server = await startServer();
  // A talks without a break: speech-a and speech-c, looped.
  aVoice = concat([await readWav(speech('a')), await readWav(speech('c'))]);
  bVoice = concat([await readWav(speech('b')), await readWav(speech('b'))]);
  const wav = new WaveFile();
  wav.fromScratch(1, 48_000, '16', aVoice);
  aInput = dir.file('a-talks.wav');
  writeFileSync(aInput, wav.toBuffer());
});

afterAll(async () => {
  await server?.close();
  dir.remove();
});

interface Heard {
  /** What A's output file holds. */
  out: Int16Array;
  /** Where B's voice starts in it, ms. */
  bStartMs: number;
  /** How strongly B's voice was found there. */
  bPresence: number;
}

/** One call: A (files) and B (the room's devices, `bExtra` flags); B talks 7 s after both are connected. */
async function callThroughRoom(pulse: PulseHandle, tag: string, bExtra: string[]): Promise<Heard> {
  const room = await startEchoRoom(pulse);
  const code = newCode();
  const config = writeLoopbackConfig(dir);
  const url = `ws://127.0.0.1:${server.port}`;
  const output = dir.file(`a-heard-${tag}.wav`);
  const clients: Client[] = [];
  try {
    const a = runClient('a', joinArgs('a', { code, server: url, config, input: aInput, output, durationS: 32 }));
    clients.push(a);
    const b = runClient('b', [...joinArgs('b', { code, server: url, config, durationS: 32 }), ...bExtra], [], { ...room.env, RT_DEBUG_AEC: '1' });
    clients.push(b);
    await Promise.all([a, b].map((c) => c.waitFor((l) => l.event === 'peer-connected', 15_000, 'peer-connected')));
    await sleep(7000);
    await room.talk(bVoice);
    const exits = await Promise.all(clients.map((c) => c.exited));
    for (const [i, e] of exits.entries()) expect(e, `${clients[i]!.name}: ${clients[i]!.stderr().slice(-2000)}`).toEqual({ code: 0, signal: null });
    const wantEcho = !bExtra.includes('--no-echo-cancellation');
    expect(b.lines.some((l) => l.event === 'processing' && l.stage === 'echo-cancellation' && l.enabled === true)).toBe(wantEcho);
  } finally {
    killAll(clients);
    await room.close();
  }
  const out = await readWav(output);
  const found = presenceOf(bVoice, out, { fromMs: 500, segmentMs: 3000 });
  console.log('STDERR', clients[1]!.stderr().split('\n').filter((l) => l.includes('AECDBG')).join('\n'));
  console.log('DBG', tag, found, JSON.stringify(clients[1]!.lines.filter((l) => /echo|processing/.test(l.event))));
  return { out, bStartMs: found.lagMs, bPresence: found.value };
}

/** A's voice in A's output where B is silent, relative to A's own speech level, dB. */
function echoReturnDb(heard: Heard, fromMs: number, toMs: number): number {
  const rms = rmsOf(heard.out, atMs(fromMs), atMs(toMs));
  return 20 * Math.log10(Math.max(rms, 1 / 32768) / activeRmsLevel(aVoice));
}

describe.skipIf(!speex.available)('echo cancellation between two processes, a speaker leaking into a microphone', () => {
  it("A hears B, also while both talk, and A's own voice comes back ≥ 25 dB down; without cancellation it comes back", async (ctx) => {
    const pulse = requirePulse(ctx);
    const off = await callThroughRoom(pulse, 'off', ['--no-echo-cancellation', '--no-auto-gain']);
    const on = await callThroughRoom(pulse, 'on', ['--no-auto-gain']);

    for (const h of [off, on]) for (const [from, to] of [[h.bStartMs - 4000, h.bStartMs - 300],[h.bStartMs + 10_500, h.bStartMs + 13_000]]) console.log('DBG echo', echoReturnDb(h, from!, to!));
    for (const heard of [off, on]) {
      expect(heard.bPresence).toBeGreaterThan(0.5);
      // Room for the windows checked below: A alone for 4 s before B and 3 s after.
      expect(heard.bStartMs).toBeGreaterThan(4500);
      expect(heard.out.length).toBeGreaterThan(atMs(heard.bStartMs + 10_000 + 3500));
    }
    const quiet = (h: Heard): Array<[number, number]> => [
      [h.bStartMs - 4000, h.bStartMs - 300],
      [h.bStartMs + 10_000 + 500, h.bStartMs + 10_000 + 3000],
    ];
    // The room returns A's voice: without cancellation A hears itself at most ~12 dB down.
    for (const [from, to] of quiet(off)) expect(echoReturnDb(off, from, to)).toBeGreaterThan(-15);
    for (const [from, to] of quiet(on)) expect(echoReturnDb(on, from, to)).toBeLessThanOrEqual(-25);

    // A hears B through the whole 10 s of double talk.
    const aligned = on.out.subarray(atMs(on.bStartMs));
    const { found, total } = nearWindowsFound(bVoice, aligned, 0, 9500);
    expect(total).toBeGreaterThanOrEqual(12);
    expect(found / total).toBeGreaterThanOrEqual(0.8);
  }, 120_000);
});
