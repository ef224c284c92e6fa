/**
 * `roundtable ctl` against real processes: a `roundtable serve`, two
 * headless `join`s with fixture WAVs and their own control sockets (in a
 * runtime directory of this test's), and `ctl` run as the user would.
 * - `ctl mute` on one silences the other's output (the audio that came out
 *   is checked, and how long the silence took is measured), `ctl unmute`
 *   brings it back;
 * - `ctl status` shows the peer; with two sessions, ctl asks for --pid;
 * - after `ctl lock` a third join knocks and `ctl deny` turns it away (exit
 *   1, "the room said no"), `ctl unlock` lets a newcomer in;
 * - `ctl leave` ends the process with exit 0 and no socket left; SIGTERM
 *   removes the socket too; a join with a control socket still exits by itself.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lastAudibleEnd, rmsOf } from '../../bench/lib/analysis.js';
import {
  bestPresence,
  isolateControlSockets,
  joinArgs,
  killAll,
  newCode,
  readJson,
  readWav,
  runClient,
  runCtl,
  serveProcess,
  sleep,
  speech,
  TempDir,
  writeLoopbackConfig,
  type Client,
  type StatsFile,
  HEARD,
} from './harness.js';

let dir: TempDir;
let runtimeDir: string;
const clients: Client[] = [];

beforeAll(() => {
  dir = new TempDir();
  runtimeDir = isolateControlSockets(dir);
});
afterEach(() => killAll(clients.splice(0)));
afterAll(() => dir.remove());

const socketOf = (c: Client): string => path.join(runtimeDir, 'roundtable', `${c.proc.pid}.sock`);
const RATE = 48_000;

describe('roundtable ctl with real sessions', () => {
  it('mute silences the other side, status shows the peer, lock makes a newcomer knock and ctl deny turns it away, unlock admits, leave exits 0', async () => {
    const serve = await serveProcess();
    clients.push(serve.client);
    const code = newCode();
    const config = writeLoopbackConfig(dir);
    const ada = runClient('ada', joinArgs('ada', { code, server: serve.url, config, input: speech('a'), output: dir.file('ada.wav'), stats: dir.file('ada.json'), control: true, extra: ['--low-delay', '--bitrate', '24000'] }));
    const bob = runClient('bob', joinArgs('bob', { code, server: serve.url, config, input: speech('b'), output: dir.file('bob.wav'), stats: dir.file('bob.json'), control: true }));
    clients.push(ada, bob);
    await Promise.all([ada, bob].map((c) => c.waitFor((l) => l.event === 'peer-connected', 20_000, 'the other connected')));
    for (const c of [ada, bob]) await c.waitFor((l) => l.event === 'control-socket', 5000, 'its control socket');
    expect(existsSync(socketOf(ada)) && existsSync(socketOf(bob))).toBe(true);

    // Two sessions: ctl will not guess.
    const several = await runCtl(['status']);
    expect(several.code).toBe(1);
    expect(several.stderr).toContain(`several roundtable sessions are running (pids ${[ada.proc.pid!, bob.proc.pid!].sort((x, y) => x - y).join(', ')}): choose with --pid`);

    const status = await runCtl(['status', '--pid', String(ada.proc.pid)]);
    expect(status.code).toBe(0);
    const st = JSON.parse(status.stdout) as { room: string; phase: string; locked: boolean; self: { name: string; muted: boolean }; peers: Array<{ name: string; state: string; level: number }> };
    expect(st).toMatchObject({ room: code, phase: 'in-call', locked: false, self: { name: 'ada', muted: false } });
    // How the system schedules ada's audio engine, as the stats panel says it too.
    expect(['realtime', 'raised', 'normal']).toContain((st.self as { priority?: string }).priority);
    // What her encoder sends, from her flags through the media process.
    expect((st.self as { codec?: unknown }).codec).toEqual({ frameMs: 20, bitrateBps: 24_000, lowDelay: true });
    expect(st.peers).toHaveLength(1);
    expect(st.peers[0]).toMatchObject({ name: 'bob', state: 'connected' });

    // Let bob hear ada talk for a while (longer than her 5 s clip), then mute ada from outside.
    await sleep(5000);
    const muteIssuedNs = process.hrtime.bigint();
    const mute = await runCtl(['mute', '--pid', String(ada.proc.pid)]);
    const muteAckedNs = process.hrtime.bigint();
    expect(mute).toMatchObject({ code: 0, stdout: 'muted\n' });
    await sleep(3500);
    const unmuteIssuedNs = process.hrtime.bigint();
    const unmute = await runCtl(['unmute', '--pid', String(ada.proc.pid)]);
    expect(unmute).toMatchObject({ code: 0, stdout: 'unmuted\n' });

    // Lock: the other member sees it, a third join knocks and, turned away through ctl, is told in words with exit 1.
    const lock = await runCtl(['lock', '--pid', String(ada.proc.pid)]);
    expect(lock).toMatchObject({ code: 0, stdout: 'room locked\n' });
    const seen = await runCtl(['status', '--json', '--pid', String(bob.proc.pid)]);
    expect(JSON.parse(seen.stdout)).toMatchObject({ locked: true, self: { name: 'bob' } });
    const refused = runClient('carl', joinArgs('carl', { code, server: serve.url, config, input: speech('c'), output: dir.file('carl.wav') }));
    clients.push(refused);
    await refused.waitFor((l) => l.event === 'knocking' && l.message === 'the room is locked: waiting to be let in', 20_000, 'carl knocking');
    await bob.waitFor((l) => l.event === 'knock' && l.name === 'carl', 10_000, 'bob told carl knocks');
    expect(await runCtl(['deny', 'carl', '--pid', String(ada.proc.pid)])).toMatchObject({ code: 0, stdout: 'you turned carl away\n' });
    expect((await refused.exited).code).toBe(1);
    // --json (joinArgs): the error as a JSON line on stderr.
    const refusal = JSON.parse(refused.stderr().trim().split('\n').at(-1)!) as { error: { message: string; exitCode: number } };
    expect(refusal.error).toMatchObject({ message: 'the room said no', exitCode: 1 });
    await bob.waitFor((l) => l.event === 'knock-end' && l.outcome === 'denied' && l.by === 'ada', 10_000, 'bob told ada turned carl away');

    // Unlock (from the other member): a newcomer gets in and, with a control socket of its own, ends by itself.
    expect(await runCtl(['unlock', '--pid', String(bob.proc.pid)])).toMatchObject({ code: 0, stdout: 'room unlocked\n' });
    const dora = runClient('dora', joinArgs('dora', { code, server: serve.url, config, input: speech('c'), output: dir.file('dora.wav'), durationS: 5, control: true }));
    clients.push(dora);
    await dora.waitFor((l) => l.event === 'peer-connected', 20_000, 'dora connected');
    await dora.waitFor((l) => l.event === 'control-socket', 5000, "dora's control socket");
    const doraSocket = socketOf(dora);
    expect((await dora.exited).code).toBe(0);
    expect(existsSync(doraSocket)).toBe(false);

    // Leave through ctl: it returns once ada has left; ada exits 0 with its socket gone. Bob leaves on SIGTERM.
    const adaSocket = socketOf(ada);
    const leave = await runCtl(['leave', '--pid', String(ada.proc.pid)]);
    expect(leave).toMatchObject({ code: 0, stdout: 'left\n' });
    const adaExit = await Promise.race([ada.exited, sleep(10_000).then(() => ({ code: 'still running' }))]);
    expect(adaExit.code).toBe(0);
    expect(existsSync(adaSocket)).toBe(false);
    const bobSocket = socketOf(bob);
    bob.proc.kill('SIGTERM');
    expect((await bob.exited).code).toBe(0);
    expect(existsSync(bobSocket)).toBe(false);
    const none = await runCtl(['mute']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no roundtable session is running; start one with `roundtable join CODE`');

    // What bob heard: ada before the mute, silence from shortly after it, ada again after the unmute.
    const heard = await readWav(dir.file('bob.wav'));
    const stats = readJson<StatsFile>(dir.file('bob.json'));
    const firstOutputNs = BigInt(stats.anchors.firstOutputNs!);
    const at = (ns: bigint): number => Math.round((Number(ns - firstOutputNs) / 1e9) * RATE);
    const muteAt = at(muteIssuedNs);
    const ackAt = at(muteAckedNs);
    const unmuteAt = at(unmuteIssuedNs);
    const adaVoice = await readWav(speech('a'));
    expect(bestPresence(adaVoice, heard.subarray(0, muteAt), HEARD)).toBeGreaterThan(0.3);
    expect(rmsOf(heard, muteAt - 3 * RATE, muteAt)).toBeGreaterThan(0.01);
    // From one second after the command returned to the unmute: digital silence, near enough.
    expect(rmsOf(heard, ackAt + RATE, unmuteAt)).toBeLessThan(0.001);
    const silentFrom = lastAudibleEnd(heard, muteAt - RATE, unmuteAt) ?? muteAt;
    const fromIssueMs = ((silentFrom - muteAt) / RATE) * 1000;
    const fromAckMs = ((silentFrom - ackAt) / RATE) * 1000;
    // When ada's control server took the command (its log line's wall-clock time, mapped onto the monotonic clock).
    const handled = ada.lines.find((l) => l.event === 'control-command' && l.cmd === 'mute')!;
    const handledNs = process.hrtime.bigint() - BigInt(Math.round((Date.now() - Date.parse(String(handled.time))) * 1e6));
    const fromHandledMs = ((silentFrom - at(handledNs)) / RATE) * 1000;
    console.log(
      `ctl mute: the other side silent for good ${fromIssueMs.toFixed(0)} ms after ctl was started, ${fromHandledMs.toFixed(0)} ms after the session took the command, ` +
        `${fromAckMs.toFixed(0)} ms after ctl returned (ctl mute ran ${mute.ms.toFixed(0)} ms, ctl status ${status.ms.toFixed(0)} ms, mostly Node starting)`,
    );
    expect(fromAckMs).toBeLessThan(500);
    expect(bestPresence(adaVoice, heard.subarray(unmuteAt + RATE), HEARD)).toBeGreaterThan(0.3);
    serve.client.proc.kill('SIGTERM');
    await serve.client.exited;
  });
});
