/**
 * Two `roundtable serve` nodes sharing rooms through one Redis (Debian's
 * redis-server, started here on 127.0.0.1), and two headless `join`s, one on
 * each node, that hear each other. Node A is SIGKILLed: its client, given
 * both URLs, fails over to B, rejoins with the same id (resuming its place,
 * so B's client sees no leave), and the call's audio goes on over the same
 * link (checked in both output WAVs after the kill). A light client left on
 * A without a second URL is taken out of its room by its presence expiring
 * (docs/architecture.md §5, "Several nodes").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisMissingReason, startRedis, type RedisServer } from '../helpers/redis.js';
import { RawClient, randomRoom } from '../server/raw-client.js';
import { bestPresence, HEARD, joinArgs, newCode, readJson, readWav, runClient, serveProcess, sessionWorkspace, sleep, speech, writeLoopbackConfig, type Client, type StatsFile } from './harness.js';

const missing = redisMissingReason();
const ws = sessionWorkspace();
const clients = ws.clients;
let redis: RedisServer | undefined;
const raws: RawClient[] = [];

beforeAll(async () => {
  if (missing === null) redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(raws.map((r) => r.close()));
  await redis?.stop();
});

/** serve's default heartbeat (1.5 s): presence lasts 3 s, a dead node's peers are gone within 3.75 s. */
const PRESENCE_LIMIT_MS = 3750;

describe.skipIf(missing !== null)(`two signaling nodes sharing rooms through Redis${missing === null ? '' : ` (skipped: ${missing})`}`, () => {
  it('a client on each node hear each other; node A killed, its client fails over to B and the call goes on; A\'s leftovers expire', async () => {
    const a = await serveProcess(0, ['--redis', redis!.url, '--node-id', 'node-a']);
    const b = await serveProcess(0, ['--redis', redis!.url, '--node-id', 'node-b']);
    clients.push(a.client, b.client);
    const code = newCode();
    const config = writeLoopbackConfig(ws.dir);
    const member = (name: 'ada' | 'bob', x: 'a' | 'b', servers: string): Client =>
      runClient(name, joinArgs(name, { code, server: servers, config, input: speech(x), output: ws.dir.file(`${name}.wav`), stats: ws.dir.file(`${name}.json`), durationS: 14 }));
    const ada = member('ada', 'a', `${a.url},${b.url}`);
    const bob = member('bob', 'b', `${b.url},${a.url}`);
    clients.push(ada, bob);
    await Promise.all([ada, bob].map((c) => c.waitFor((l) => l.event === 'peer-connected', 20_000, 'the other connected')));
    // Each node holds one of them.
    expect((await a.client.waitFor((l) => l.event === 'peer-joined', 5000, 'a join on node A')).node).toBe('node-a');
    expect((await b.client.waitFor((l) => l.event === 'peer-joined', 5000, 'a join on node B')).node).toBe('node-b');

    // A light client on each node in another room; the one on A knows no other node.
    const room = randomRoom();
    const onA = await RawClient.open(a.url);
    const onB = await RawClient.open(b.url);
    raws.push(onA, onB);
    onA.join(room);
    await onA.next('joined');
    onB.join(room);
    await onB.next('joined');
    await onA.next('peer-joined');

    await sleep(2000);
    const adaId = String(ada.lines.find((l) => l.event === 'signaling-joined')!.selfId);
    const killedAtMs = Date.now();
    a.client.proc.kill('SIGKILL');
    await a.client.exited;

    // ada fails over to node B and rejoins there as herself, resuming her place.
    const failover = await ada.waitFor((l) => l.event === 'signaling-failover', 5000, 'ada fails over');
    expect(failover).toMatchObject({ from: a.url, to: b.url });
    const rejoined = await ada.waitFor((l) => l.event === 'signaling-joined' && l.rejoin === true, 10_000, 'ada rejoined through node B');
    expect(rejoined).toMatchObject({ selfId: adaId, resumed: true, url: b.url });
    console.log(`ada rejoined through node B ${rejoined.seenAtMs - killedAtMs} ms after node A was killed`);

    // The light client left on A is taken out of its room when its presence expires.
    const left = await onB.next('peer-left', PRESENCE_LIMIT_MS + 3000);
    const leftAfterMs = Date.now() - killedAtMs;
    expect(left).toMatchObject({ id: onA.peerId, reason: 'timeout' });
    console.log(`the light client on node A left its room ${leftAfterMs} ms after the kill`);
    expect(leftAfterMs).toBeLessThan(PRESENCE_LIMIT_MS + 1500);
    expect(await b.client.waitFor((l) => l.event === 'presence-expired' && l.peer === onA.peerId, 2000, 'node B logs the expiry')).toMatchObject({ node: 'node-b', what: 'member' });

    const [ea, eb] = await Promise.all([ada.exited, bob.exited]);
    expect([ea.code, eb.code]).toEqual([0, 0]);
    // Neither saw the other go until one of them left at the end: ada's place was resumed before it expired.
    for (const c of [ada, bob]) expect(c.lines.filter((l) => l.event === 'peer-left' && l.reason !== 'left')).toEqual([]);

    // The call went on over the link it had before the kill, and each still heard the other afterwards.
    for (const [listener, talker, x] of [[ada, 'bob', 'b'], [bob, 'ada', 'a']] as const) {
      const stats = readJson<StatsFile>(ws.dir.file(`${listener.name}.json`));
      const peer = stats.peers.find((p) => p.name === talker)!;
      expect(peer.linkGenerations).toBe(1);
      const out = await readWav(ws.dir.file(`${listener.name}.wav`));
      const killSample = Math.round(((killedAtMs - listener.lines[0]!.seenAtMs) / 1000 + 1) * 48_000);
      const after = out.subarray(killSample);
      expect(after.length).toBeGreaterThan(48_000 * 4);
      const heard = bestPresence(await readWav(speech(x)), after, HEARD);
      console.log(`${listener.name} hears ${talker} after the kill: ${heard.toFixed(2)}`);
      expect(heard).toBeGreaterThan(0.5);
    }
    b.client.proc.kill('SIGTERM');
    expect((await b.client.exited).code).toBe(0);
  });
});
