/**
 * The room lock outlives its signaling server: two headless `join`s, the
 * room locked through `roundtable ctl`, `roundtable serve` SIGKILLed and
 * started again on the same port. The members reconnect by themselves
 * (backoff from 250 ms) and rejoin; the first back locks the room again in
 * its join (protocol `relock`), the other is let in as a member it named,
 * their call goes on over the same links, and a newcomer knocks and, turned
 * away through `ctl deny`, exits 1 with the room's no. Unlocking still works afterwards.
 */
import { describe, expect, it } from 'vitest';
import { joinArgs, newCode, readJson, runClient, runCtl, serveProcess, sessionWorkspace, sleep, speech, writeLoopbackConfig, type Client, type StatsFile } from './harness.js';

const ws = sessionWorkspace();
const clients = ws.clients;

interface Status {
  locked: boolean;
  phase: string;
  peers: Array<{ name: string; state: string }>;
}

async function status(c: Client): Promise<Status> {
  const r = await runCtl(['status', '--json', '--pid', String(c.proc.pid)]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

describe('room lock across a signaling-server restart', () => {
  it('members re-lock the room when they rejoin the restarted server; a newcomer must knock, and is refused', async () => {
    const first = await serveProcess();
    clients.push(first.client);
    const code = newCode();
    const config = writeLoopbackConfig(ws.dir);
    const member = (name: 'ada' | 'bob', x: 'a' | 'b'): Client =>
      runClient(name, joinArgs(name, { code, server: first.url, config, input: speech(x), output: ws.dir.file(`${name}.wav`), stats: ws.dir.file(`${name}.json`), control: true }));
    const ada = member('ada', 'a');
    const bob = member('bob', 'b');
    clients.push(ada, bob);
    await Promise.all([ada, bob].map((c) => c.waitFor((l) => l.event === 'peer-connected', 20_000, 'the other connected')));
    for (const c of [ada, bob]) await c.waitFor((l) => l.event === 'control-socket', 5000, 'its control socket');
    expect(await runCtl(['lock', '--pid', String(ada.proc.pid)])).toMatchObject({ code: 0, stdout: 'room locked\n' });
    expect((await status(bob)).locked).toBe(true);

    // The server dies without a word (no shutdown notice), and comes back on the same port a second later.
    first.client.proc.kill('SIGKILL');
    await first.client.exited;
    await Promise.all([ada, bob].map((c) => c.waitFor((l) => l.event === 'signaling-lost', 5000, 'signaling lost')));
    await sleep(1000);
    const second = await serveProcess(first.port);
    clients.push(second.client);
    const rejoinedAtMs = Date.now();
    await Promise.all([ada, bob].map((c) => c.waitFor((l) => l.event === 'signaling-rejoined', 20_000, 'rejoined the restarted server')));
    const relocked = await second.client.waitFor((l) => l.event === 'room-relocked', 5000, 'the room relocked');
    console.log(`both members rejoined within ${Date.now() - rejoinedAtMs} ms of the restart; relocked by ${String(relocked.by) === ada.lines.find((l) => l.event === 'signaling-joined')?.selfId ? 'ada' : 'bob'}`);
    // Exactly one relock (the first member back); the second was admitted as a member the first named.
    await sleep(500);
    expect(second.client.lines.filter((l) => l.event === 'room-relocked')).toHaveLength(1);
    expect(second.client.lines.filter((l) => l.event === 'message-rejected')).toEqual([]);

    for (const c of [ada, bob]) {
      const s = await status(c);
      expect(s).toMatchObject({ locked: true, phase: 'in-call' });
      expect(s.peers).toHaveLength(1);
      expect(s.peers[0]!.state).toBe('connected');
    }
    // A newcomer must knock at the relocked room; turned away, it is told so and exits 1.
    const carl = runClient('carl', joinArgs('carl', { code, server: second.url, config, input: speech('c'), output: ws.dir.file('carl.wav') }));
    clients.push(carl);
    await ada.waitFor((l) => l.event === 'knock' && l.name === 'carl', 20_000, 'ada told carl knocks');
    expect(await runCtl(['deny', 'carl', '--pid', String(ada.proc.pid)])).toMatchObject({ code: 0 });
    expect((await carl.exited).code).toBe(1);
    const refusal = JSON.parse(carl.stderr().trim().split('\n').at(-1)!) as { error: { message: string } };
    expect(refusal.error.message).toBe('the room said no');

    // The lock is an ordinary lock again: unlocked, a newcomer gets in.
    expect(await runCtl(['unlock', '--pid', String(bob.proc.pid)])).toMatchObject({ code: 0, stdout: 'room unlocked\n' });
    const dora = runClient('dora', joinArgs('dora', { code, server: second.url, config, input: speech('c'), output: ws.dir.file('dora.wav'), durationS: 4 }));
    clients.push(dora);
    await dora.waitFor((l) => l.event === 'peer-connected', 20_000, 'dora connected');
    expect((await dora.exited).code).toBe(0);

    for (const c of [ada, bob]) c.proc.kill('SIGTERM');
    const exits = await Promise.all([ada.exited, bob.exited]);
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
    // The call went on over the link it had before the restart.
    const adaStats = readJson<StatsFile>(ws.dir.file('ada.json'));
    expect(adaStats.peers.find((p) => p.name === 'bob')?.linkGenerations).toBe(1);
    second.client.proc.kill('SIGTERM');
    await second.client.exited;
  });
});
