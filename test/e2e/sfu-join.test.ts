/**
 * A room through Janus as the product runs it (docs/architecture.md §11):
 * real processes only. `roundtable serve --janus` and three `roundtable
 * join`s run inside the test's network namespace with a real Janus
 * (bench/lib/janus.ts); the first join asks for the SFU (`--sfu`, what
 * `create --sfu` does), the other two follow the room's mode as the server
 * tells them. Two talk from speech fixtures, one is silent.
 *
 * Checked: every participant is told the room goes through the SFU and
 * builds no mesh link; `ctl status` of the listener says "via SFU" and shows
 * both talkers connected with a level, and a `ctl volume` shows on that
 * peer; each hears the talkers and not itself; all exit 0.
 * That the SFU forwards only SFrame ciphertext is sfu-room.test.ts's check.
 */
import { describe, expect, it } from 'vitest';
import { janusMissingReason, startJanus } from '../helpers/janus.js';
import { janusE2e } from './janus-e2e.js';
import { bestPresence, HEARD, joinArgs, newCode, readWav, runClient, runCtl, silentWav, sleep, speech, startServer, TempDir, writeLoopbackConfig, type Client } from './harness.js';
import type { ControlStatus } from '../../src/control/protocol.js';

const missing = janusMissingReason();
const e2e = janusE2e();
const clients = e2e.clients;

describe.skipIf(missing !== null)(`serve --janus, join --sfu: a room through Janus from the command line${missing === null ? '' : ` (skipped: ${missing})`}`, () => {
  it('3 joins, 2 talking: each hears the talkers and not itself, all through the SFU, all exit 0', async () => {
    const j = await startJanus();
    e2e.janus = j;
    const tmp = new TempDir();
    e2e.dir = tmp;
    const serve = runClient('serve', ['serve', '--host', '127.0.0.1', '--port', '0', '--json', '--no-web', '--janus', j.wsUrl], j.ns.exec);
    clients.push(serve);
    const listening = await serve.waitFor((l) => l.event === 'server-listening', 20_000, 'the server to listen');
    expect(listening.janus).toBe(j.wsUrl);
    const server = String(listening.url);

    const code = newCode();
    const config = writeLoopbackConfig(tmp);
    const names = ['a', 'b', 'c'] as const;
    const inputs = { a: speech('a'), b: speech('b'), c: silentWav(tmp.file('silence.wav')) };
    const join = (x: (typeof names)[number], extra: string[]): Client => {
      const args = joinArgs(x, { code, server, config, input: inputs[x], output: tmp.file(`out-${x}.wav`), durationS: x === 'a' ? 14 : 11, control: x === 'c', extra });
      // ICE on the namespace's own address, where Janus gathers (bench/lib/janus.ts).
      args[args.indexOf('--bind-address') + 1] = j.address;
      const client = runClient(x, args, j.ns.exec);
      clients.push(client);
      return client;
    };
    // The first member creates the room as an SFU room; the others follow what the server says.
    const first = join('a', ['--sfu']);
    await first.waitFor((l) => l.event === 'sfu-publishing', 20_000, 'a to publish to Janus');
    const socket = tmp.file('c.sock');
    const rest = [join('b', []), join('c', ['--control', socket])];
    const participants = [first, ...rest];

    // `ctl status` of the silent listener: the SFU path, both talkers connected (as the SFU's streams) and heard;
    // a per-peer volume set through ctl is what the snapshot shows for that stream.
    await rest[1]!.waitFor((l) => l.event === 'sfu-publishing', 20_000, 'c to publish to Janus');
    let status: ControlStatus | undefined;
    for (let tries = 0; tries < 40; tries++) {
      const r = await runCtl(['status', '--control', socket]);
      if (r.code === 0) {
        status = JSON.parse(r.stdout) as ControlStatus;
        const talkers = status.peers.filter((p) => p.state === 'connected' && p.level > 0);
        if (talkers.length === 2) break;
      }
      await sleep(200);
    }
    expect(status?.media).toEqual({ path: 'sfu', description: 'via SFU — end-to-end encrypted, the SFU cannot hear' });
    expect(status?.peers.map((p) => [p.name, p.state]).sort()).toEqual([['a', 'connected'], ['b', 'connected']]);
    expect(status?.peers.every((p) => p.level > 0), JSON.stringify(status?.peers)).toBe(true);
    const volume = await runCtl(['volume', 'b', '50', '--control', socket]);
    expect(volume.code, volume.stderr).toBe(0);
    const after = JSON.parse((await runCtl(['status', '--control', socket])).stdout) as ControlStatus;
    expect(after.peers.find((p) => p.name === 'b')?.volumePercent).toBe(50);

    const exits = await Promise.all(participants.map((c) => c.exited));
    for (const [i, e] of exits.entries()) expect(e, `${names[i]} stderr: ${participants[i]!.stderr()}\nstdout: ${participants[i]!.stdout().slice(-3000)}`).toEqual({ code: 0, signal: null });

    for (const c of participants) {
      const path = c.lines.filter((l) => l.event === 'media-path');
      expect(path, `${c.name} says once how the media travels`).toHaveLength(1);
      expect(path[0]!.path).toBe('sfu');
      expect(c.lines.some((l) => l.event === 'sfu-publishing'), `${c.name} published`).toBe(true);
      // No mesh: no link was built to anyone.
      expect(c.lines.some((l) => l.event === 'peer-connected')).toBe(false);
      expect(c.lines.some((l) => l.event === 'left')).toBe(true);
    }
    const audio = { a: await readWav(inputs.a), b: await readWav(inputs.b) };
    for (const x of names) {
      const out = await readWav(tmp.file(`out-${x}.wav`));
      expect(out.length).toBeGreaterThan(48_000 * 6);
      for (const talker of ['a', 'b'] as const) {
        const presence = bestPresence(audio[talker], out, talker === x ? {} : HEARD);
        if (talker === x) expect(presence, `${x} hears itself`).toBeLessThan(0.2);
        else expect(presence, `${x} hears ${talker}`).toBeGreaterThan(0.3);
      }
    }
  }, 120_000);
});

describe('create --sfu at a server without --janus', () => {
  it('exits 1 and says to start the server with --janus', async () => {
    const server = await startServer();
    const tmp = new TempDir();
    e2e.dir = tmp;
    try {
      const config = writeLoopbackConfig(tmp);
      const c = runClient('create', ['create', '--sfu', '--server', server.url, '--config', config, '--headless', '--json', '--no-control', '--input', speech('a'), '--output', tmp.file('out.wav')]);
      clients.push(c);
      const exit = await c.exited;
      expect(exit, c.stderr()).toEqual({ code: 1, signal: null });
      expect(c.stderr()).toContain('roundtable serve --janus ws://HOST:PORT');
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('serve: the Janus from the config file', () => {
  it('serve --config with `janus:` coordinates that Janus (says so when it listens)', async () => {
    const tmp = new TempDir();
    e2e.dir = tmp;
    const config = tmp.write('serve.yaml', 'janus: ws://127.0.0.1:8188\n');
    const serve = runClient('serve', ['serve', '--host', '127.0.0.1', '--port', '0', '--json', '--no-web', '--config', config]);
    clients.push(serve);
    const listening = await serve.waitFor((l) => l.event === 'server-listening', 20_000, 'the server to listen');
    expect(listening.janus).toBe('ws://127.0.0.1:8188');
  }, 30_000);
});
