/**
 * A room that switches mesh → SFU → mesh by its size, as the product runs it
 * (docs/architecture.md §11, "Switching at a size"): `roundtable serve
 * --janus --sfu-threshold 2 --mesh-threshold 2` and three `roundtable join`s
 * inside the test's network namespace with a real Janus (bench/lib/janus.ts).
 * a talks (speech), b talks without a pause (a voiced tone, so that any gap
 * in it is a gap the switch made, not a pause of the talker), c listens. a
 * and b start on the mesh; c's join makes the room go through the SFU; when
 * c leaves it comes back to the mesh.
 *
 * Checked: every process exits 0 (serve after SIGTERM); the server logs both switches; a and b log the three paths (mesh, sfu, mesh)
 * and finish both switches, leaving Janus at the end; a's `ctl status`
 * follows (mesh, via SFU, mesh); c was on the SFU only; a chat line a says
 * while the room goes through the SFU reaches b and c (through the relay);
 * b hears a in each of the three phases, c hears both; and the longest
 * silence in b's continuous tone as a plays it, over the whole call with both
 * switches, stays short (the issue's goal: 200 ms; the figure is printed).
 */
import { describe, expect, it } from 'vitest';
import { writeWav } from '../../src/engine/audio/wav-file.js';
import { janusMissingReason, startJanus } from '../helpers/janus.js';
import { janusE2e } from './janus-e2e.js';
import { bestPresence, HEARD, joinArgs, newCode, readJson, readWav, runClient, runCtl, speech, TempDir, writeLoopbackConfig, type Client, type StatsFile } from './harness.js';
import type { ControlStatus } from '../../src/control/protocol.js';

const missing = janusMissingReason();
const e2e = janusE2e();
const clients = e2e.clients;

const RATE = 48_000;
const WINDOW = RATE / 100; // 10 ms

/** `seconds` of a voiced sound that never pauses: 140 Hz and its harmonics, a slow vibrato, about −14 dBFS. */
function voicedTone(seconds: number): Int16Array {
  const out = new Int16Array(RATE * seconds);
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    const f0 = 140 * (1 + 0.03 * Math.sin((2 * Math.PI * 4 * i) / RATE));
    phase += (2 * Math.PI * f0) / RATE;
    let v = 0;
    for (let h = 1; h <= 6; h++) v += Math.sin(h * phase) / h;
    out[i] = Math.round(4000 * v);
  }
  return out;
}

/** Seconds of silence. */
const silence = (seconds: number): Int16Array => new Int16Array(RATE * seconds);

/** RMS of each 10 ms window. */
function windowRms(samples: Int16Array): Float64Array {
  const n = Math.floor(samples.length / WINDOW);
  const out = new Float64Array(n);
  for (let w = 0; w < n; w++) {
    let sum = 0;
    for (let i = w * WINDOW; i < (w + 1) * WINDOW; i++) sum += samples[i]! * samples[i]!;
    out[w] = Math.sqrt(sum / WINDOW);
  }
  return out;
}

/**
 * The longest run of 10 ms windows below a tenth (−20 dB) of the median
 * level, between 1 s after the sound first appears and 0.5 s before it last
 * does (the talker arriving and leaving are not gaps), or within
 * [fromMs, toMs] of the output. Milliseconds, and where the run starts (ms
 * into the output).
 */
function longestGap(samples: Int16Array, within?: { fromMs: number; toMs: number }): { gapMs: number; atMs: number; fromMs: number; toMs: number } {
  const rms = windowRms(samples);
  const sorted = [...rms].filter((v) => v > 50).sort((x, y) => x - y);
  const floor = (sorted[Math.floor(sorted.length / 2)] ?? 0) / 10;
  let first = rms.findIndex((v) => v >= floor);
  let last = rms.length - 1;
  while (last > 0 && rms[last]! < floor) last--;
  first += 100;
  last -= 50;
  if (within !== undefined) {
    first = Math.max(first, Math.round(within.fromMs / 10));
    last = Math.min(last, Math.round(within.toMs / 10));
  }
  let best = 0;
  let bestAt = first;
  let run = 0;
  for (let w = first; w <= last; w++) {
    run = rms[w]! < floor ? run + 1 : 0;
    if (run > best) {
      best = run;
      bestAt = w - run + 1;
    }
  }
  return { gapMs: best * 10, atMs: bestAt * 10, fromMs: first * 10, toMs: last * 10 };
}

describe.skipIf(missing !== null)(`serve --janus --sfu-threshold: a room switches mesh → SFU → mesh by its size${missing === null ? '' : ` (skipped: ${missing})`}`, () => {
  it('the third join moves the room to the SFU, its leaving moves it back; everyone is heard across both switches, all exit 0', async () => {
    const j = await startJanus();
    e2e.janus = j;
    const tmp = new TempDir();
    e2e.dir = tmp;
    const serve = runClient('serve', ['serve', '--host', '127.0.0.1', '--port', '0', '--json', '--no-web', '--janus', j.wsUrl, '--sfu-threshold', '2', '--mesh-threshold', '2'], j.ns.exec);
    clients.push(serve);
    const listening = await serve.waitFor((l) => l.event === 'server-listening', 20_000, 'the server to listen');
    expect(listening).toMatchObject({ janus: j.wsUrl, sfuThreshold: 2, meshThreshold: 2 });
    const server = String(listening.url);

    const code = newCode();
    // Noise suppression off: RNNoise would take the tone for noise.
    const config = writeLoopbackConfig(tmp, 'audio:\n  noiseSuppression: false\n');
    const tone = tmp.file('tone.wav');
    await writeWav(tone, voicedTone(5));
    const quiet = tmp.file('silence.wav');
    await writeWav(quiet, silence(1));
    const inputs = { a: speech('a'), b: tone, c: quiet };
    const durations = { a: 34, b: 32, c: 14 };
    // a answers `roundtable ctl status` on this socket.
    const socket = tmp.file('a.sock');
    const join = (x: 'a' | 'b' | 'c'): Client => {
      const args = joinArgs(x, {
        code,
        server,
        config,
        input: inputs[x],
        output: tmp.file(`out-${x}.wav`),
        stats: tmp.file(`stats-${x}.json`),
        durationS: durations[x],
        control: x === 'a',
        extra: x === 'a' ? ['--control', socket] : [],
      });
      // ICE on the namespace's own address, where Janus gathers (bench/lib/janus.ts).
      args[args.indexOf('--bind-address') + 1] = j.address;
      const client = runClient(x, args, j.ns.exec);
      clients.push(client);
      return client;
    };
    const a = join('a');
    await a.waitFor((l) => l.event === 'media-path', 20_000, 'a in the room');
    const b = join('b');
    await b.waitFor((l) => l.event === 'peer-connected', 20_000, 'b connected to a (mesh)');
    // A few seconds of mesh before the room grows.
    await new Promise((r) => setTimeout(r, 3000));
    const mediaOfA = async (): Promise<unknown> => {
      const r = await runCtl(['status', '--control', socket]);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as ControlStatus).media;
    };
    expect(await mediaOfA()).toEqual({ path: 'mesh', description: 'mesh' });
    const c = join('c');
    const toSfu = await a.waitFor((l) => l.event === 'media-path-switched' && l.path === 'sfu', 30_000, "a's switch to the SFU to finish");
    // What `ctl status` (and the TUI's header, from the same snapshot) says follows the room.
    expect(await mediaOfA()).toEqual({ path: 'sfu', description: 'via SFU — end-to-end encrypted, the SFU cannot hear' });
    // Chat through the SFU room: no data channel there, so through the relay, sealed (§4 "Chat").
    // c never had a mesh link: what it shows came that way.
    expect(await runCtl(['say', 'hello through the SFU', '--control', socket])).toMatchObject({ code: 0, stdout: 'sent\n' });
    for (const p of [b, c]) await p.waitFor((l) => l.event === 'chat' && l.text === 'hello through the SFU' && l.self !== true, 10_000, `${p.name} to show a's chat line`);
    const toMesh = await a.waitFor((l) => l.event === 'media-path-switched' && l.path === 'mesh', 40_000, "a's switch back to the mesh to finish");
    expect(await mediaOfA()).toEqual({ path: 'mesh', description: 'mesh' });
    const participants = [a, b, c];
    const exits = await Promise.all(participants.map((p) => p.exited));
    for (const [i, e] of exits.entries()) expect(e, `${participants[i]!.name} stderr: ${participants[i]!.stderr()}\nstdout: ${participants[i]!.stdout().slice(-3000)}`).toEqual({ code: 0, signal: null });
    // The server switched the room twice, and ends cleanly too.
    expect(serve.lines.filter((l) => l.event === 'media-path').map((l) => [l.path, l.members])).toEqual([
      ['sfu', 3],
      ['mesh', 2],
    ]);
    serve.proc.kill('SIGTERM');
    expect(await serve.exited, serve.stderr()).toEqual({ code: 0, signal: null });

    for (const p of [a, b]) {
      expect(p.lines.filter((l) => l.event === 'media-path').map((l) => l.path), `${p.name}'s paths`).toEqual(['mesh', 'sfu', 'mesh']);
      expect(p.lines.filter((l) => l.event === 'media-path-switched').map((l) => l.path)).toEqual(['sfu', 'mesh']);
      expect(p.lines.filter((l) => l.event === 'sfu-left'), `${p.name} left Janus once back on the mesh`).toHaveLength(1);
      expect(p.lines.some((l) => l.event === 'left')).toBe(true);
    }
    expect(c.lines.filter((l) => l.event === 'media-path').map((l) => l.path)).toEqual(['sfu']);
    expect(c.lines.some((l) => l.event === 'peer-connected'), 'c built no mesh link').toBe(false);
    // Where the switches fall in a's and b's output (the stats file's monotonic anchor, machine-wide: §8).
    const epochOfOutput = (p: 'a' | 'b'): number => {
      const ns = readJson<StatsFile>(tmp.file(`stats-${p}.json`)).anchors.firstOutputNs;
      return Number(BigInt(ns!) / 1_000_000n) + (Date.now() - Number(process.hrtime.bigint() / 1_000_000n));
    };
    const switchAt = (p: Client, path: 'sfu' | 'mesh'): number => p.lines.find((l) => l.event === 'media-path' && l.path === path && l.reason === 'server')!.seenAtMs as number;

    const aStart = epochOfOutput('a');
    // How each switch went at a: which peer's stream moved when (seconds into a's output) and why; which mesh links closed why.
    const moves = a.lines
      .filter((l) => l.event === 'peer-path' || l.event === 'mesh-link-closed')
      .map((l) => `${((Number(l.seenAtMs) - aStart) / 1000).toFixed(2)} s ${String(l.event)} ${String(l.peer).slice(0, 6)} ${String(l.path ?? '')} ${String(l.reason)}`);
    console.log(`a: switched to the SFU after ${String(toSfu.afterMs)} ms, back to the mesh after ${String(toMesh.afterMs)} ms\n  ${moves.join('\n  ')}`);
    const out = { a: await readWav(tmp.file('out-a.wav')), b: await readWav(tmp.file('out-b.wav')), c: await readWav(tmp.file('out-c.wav')) };
    const gap = longestGap(out.a);
    const switches = (['sfu', 'mesh'] as const).map((path) => switchAt(a, path) - aStart);
    // Around each switch: from the server's message (nothing changes for a before it; 100 ms for reading
    // a's log late) to 1 s after a finished the switch (its old path closed).
    const around = switches.map((ms, i) => longestGap(out.a, { fromMs: ms - 100, toMs: ms + Number((i === 0 ? toSfu : toMesh).afterMs) + 1000 }));
    const s = (ms: number): string => (ms / 1000).toFixed(2);
    console.log(
      `longest silence in b's continuous sound as a played it: ${gap.gapMs} ms at ${s(gap.atMs)} s over ${s(gap.fromMs)}–${s(gap.toMs)} s; ` +
        `around the switch to the SFU (${s(switches[0]!)} s): ${around[0]!.gapMs} ms; around the switch back (${s(switches[1]!)} s): ${around[1]!.gapMs} ms`,
    );
    // The measured span covers both switches.
    expect(gap.fromMs).toBeLessThan(switches[0]!);
    expect(gap.toMs).toBeGreaterThan(switches[1]! + 5000);
    // The goal is 200 ms at a switch; the bound leaves room for a loaded 2-core machine, and is far
    // below what breaking first costs (a new path takes 0.5–1.5 s to carry audio).
    for (const g of around) expect(g.gapMs).toBeLessThanOrEqual(300);
    // Over the whole call a stall of the loaded machine (c's processes starting) may cost more, never a broken path's seconds.
    expect(gap.gapMs).toBeLessThanOrEqual(1000);

    // b hears a in each phase: mesh, SFU, mesh again.
    const bStart = epochOfOutput('b');
    const at = (epochMs: number): number => Math.max(0, Math.round(((epochMs - bStart) * RATE) / 1000));
    const phases = [
      ['mesh', out.b.subarray(0, at(switchAt(b, 'sfu')))],
      ['sfu', out.b.subarray(at(switchAt(b, 'sfu')), at(switchAt(b, 'mesh')))],
      ['mesh again', out.b.subarray(at(switchAt(b, 'mesh')))],
    ] as const;
    const speechA = await readWav(inputs.a);
    for (const [phase, slice] of phases) {
      expect(slice.length, `b's output during ${phase}`).toBeGreaterThan(RATE * 4);
      expect(bestPresence(speechA, slice, HEARD), `b hears a during ${phase}`).toBeGreaterThan(0.3);
    }
    // c, on the SFU only, hears both.
    expect(bestPresence(speechA, out.c, HEARD), 'c hears a').toBeGreaterThan(0.3);
    expect(bestPresence(await readWav(tone), out.c, HEARD), 'c hears b').toBeGreaterThan(0.3);
  }, 150_000);
});
