/**
 * A room through the SFU whose members came through two signaling nodes
 * that share rooms through Redis (docs/architecture.md §5, "SFU rooms
 * across nodes"): `roundtable serve --redis --janus --sfu-threshold 1` twice,
 * a Redis and a real Janus, all inside the test's network namespace
 * (bench/lib/janus.ts), and two `roundtable join`s, a through node 1 and b
 * through node 2. b's join takes the room past one member: node 2's script
 * moves it to the SFU and tells a, on node 1.
 *
 * Checked: both nodes agree (a is told the SFU route, b joins with it; the
 * first to leave takes the room back to the mesh, and the node it left
 * through says so); each hears the other's speech through Janus; every
 * process exits 0 (the nodes after SIGTERM).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { janusMissingReason, startJanus } from '../helpers/janus.js';
import { redisMissingReason } from '../helpers/redis.js';
import { janusE2e } from './janus-e2e.js';
import { bestPresence, HEARD, joinArgs, newCode, readWav, runClient, speech, TempDir, writeLoopbackConfig } from './harness.js';

const missing = janusMissingReason() ?? redisMissingReason();
const e2e = janusE2e();
const clients = e2e.clients;

/** A Redis inside the namespace (the nodes run there); ready once `redis-cli ping` answers there. */
async function redisInNamespace(exec: readonly string[], port: number): Promise<ChildProcess> {
  const proc = spawn(exec[0]!, [...exec.slice(1), 'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
  for (let waited = 0; waited < 10_000; waited += 100) {
    const ping = spawnSync(exec[0]!, [...exec.slice(1), 'redis-cli', '-p', String(port), 'ping'], { encoding: 'utf8' });
    if (ping.stdout.trim() === 'PONG') return proc;
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error('the Redis in the namespace did not answer within 10 s');
}

describe.skipIf(missing !== null)(`an SFU room across two signaling nodes${missing === null ? '' : ` (skipped: ${missing})`}`, () => {
  it('a through node 1 and b through node 2: the room goes to the SFU for both, each hears the other, all exit 0', async () => {
    const j = await startJanus();
    e2e.janus = j;
    const tmp = new TempDir();
    e2e.dir = tmp;
    const redis = await redisInNamespace(j.ns.exec, 6390);
    try {
      const node = async (id: string): Promise<{ client: ReturnType<typeof runClient>; url: string }> => {
        const client = runClient(id, ['serve', '--host', '127.0.0.1', '--port', '0', '--json', '--no-web', '--redis', 'redis://127.0.0.1:6390', '--node-id', id, '--janus', j.wsUrl, '--sfu-threshold', '1', '--mesh-threshold', '1'], j.ns.exec);
        clients.push(client);
        const listening = await client.waitFor((l) => l.event === 'server-listening', 20_000, `${id} to listen`);
        return { client, url: String(listening.url) };
      };
      const [n1, n2] = await Promise.all([node('n1'), node('n2')]);
      const code = newCode();
      const config = writeLoopbackConfig(tmp, 'audio:\n  noiseSuppression: false\n');
      const join = (x: 'a' | 'b', server: string) => {
        const args = joinArgs(x, { code, server, config, input: speech(x), output: tmp.file(`out-${x}.wav`), durationS: 14 });
        args[args.indexOf('--bind-address') + 1] = j.address;
        const client = runClient(x, args, j.ns.exec);
        clients.push(client);
        return client;
      };
      const a = join('a', n1.url);
      await a.waitFor((l) => l.event === 'media-path', 20_000, 'a in the room');
      const b = join('b', n2.url);
      const exits = await Promise.all([a.exited, b.exited]);
      for (const [i, p] of [a, b].entries()) expect(exits[i], `${p.name} stderr: ${p.stderr()}\nstdout: ${p.stdout().slice(-3000)}`).toEqual({ code: 0, signal: null });
      // Both went through the SFU: a was moved there by b's join on the other node, b joined with the route.
      // Whoever leaves first takes the room back to the mesh (1 member, the mesh threshold): the other is told.
      expect(a.lines.filter((l) => l.event === 'media-path').map((l) => l.path).slice(0, 2)).toEqual(['mesh', 'sfu']);
      expect(b.lines.filter((l) => l.event === 'media-path').map((l) => l.path)[0]).toBe('sfu');
      expect(a.lines.some((l) => l.event === 'peer-connected'), 'a built no mesh link to b').toBe(false);
      // The node that ran b's join logged the switch to the SFU, the node of whoever left first the switch back.
      expect(n2.client.lines.filter((l) => l.event === 'media-path').map((l) => [l.path, l.members])[0]).toEqual(['sfu', 2]);
      const back = [...n1.client.lines, ...n2.client.lines].filter((l) => l.event === 'media-path' && l.path === 'mesh');
      expect(back.map((l) => l.members)).toEqual([1]);
      for (const n of [n1, n2]) {
        n.client.proc.kill('SIGTERM');
        expect(await n.client.exited, n.client.stderr()).toEqual({ code: 0, signal: null });
      }
      // Each hears the other through Janus.
      const heardByA = await readWav(tmp.file('out-a.wav'));
      const heardByB = await readWav(tmp.file('out-b.wav'));
      expect(bestPresence(await readWav(speech('b')), heardByA, HEARD), 'a hears b').toBeGreaterThan(0.3);
      expect(bestPresence(await readWav(speech('a')), heardByB, HEARD), 'b hears a').toBeGreaterThan(0.3);
    } finally {
      redis.kill('SIGTERM');
      await new Promise((r) => redis.once('exit', r));
    }
  });
});
