/**
 * Two `join` processes relay-only through a real coturn, reached only through
 * the impairment relay (src/engine/sim/udp-relay.ts, docs/architecture.md §10):
 * 5 % random loss, 20 ms base delay and 0–30 ms jitter (which reorders) on
 * every packet a client sends, seeded. Impairing only the client → coturn
 * direction means each end-to-end packet (A → relay → coturn → relay → B)
 * crosses the impairment exactly once.
 *
 * One call: both connect and hear each other; 3 s after both are connected
 * the relay stops forwarding for 3 s in both directions, and the other's
 * speech must be heard again within 2 s of the path's return.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignalingServer } from '../../src/server/index.js';
import { firstAudible, rmsOf } from '../../bench/lib/analysis.js';
import { coturnMissingReason, relayOnlyConfigYaml, startImpairedTurn, type ImpairedTurn } from '../helpers/coturn.js';
import { bestPresence, joinArgs, killAll, newCode, readJson, readWav, runClient, sleep, speech, startServer, TempDir, type Client, type StatsFile, HEARD } from './harness.js';

const missing = coturnMissingReason();
const OUTAGE_MS = 3000;
/** What is required of the product: the other's voice back this soon after the path returns. */
const AUDIO_BACK_WITHIN_MS = 2000;

let server: SignalingServer;
let path: ImpairedTurn | undefined;
let dir: TempDir;
const clients: Client[] = [];
let outage: { startMs: number; endMs: number } | undefined;
let exits: Array<{ code: number | null; signal: NodeJS.Signals | null }> = [];

beforeAll(async () => {
  server = await startServer();
  dir = new TempDir();
  if (missing !== null) return;
  path = await startImpairedTurn({ seed: 7, toTarget: { lossPercent: 5, baseDelayMs: 20, jitterMs: 30 } });
  const config = dir.write('impaired.yaml', relayOnlyConfigYaml({ ...path.turn, url: path.url }));
  const code = newCode();
  for (const x of ['a', 'b'] as const) {
    // --duration only as a safety net: the test ends the call with SIGINT.
    clients.push(runClient(x, joinArgs(x, { code, server: server.url, config, input: speech(x), output: dir.file(`${x}.wav`), stats: dir.file(`${x}.json`), durationS: 40 })));
  }
  await Promise.all(clients.map((c) => c.waitFor((l) => l.event === 'peer-connected', 15_000, 'peer-connected')));
  await sleep(3000);
  outage = path.relay.outage(OUTAGE_MS);
  // The path returns at outage.endMs; leave 5 s after it to look at.
  await sleep(OUTAGE_MS + 5000);
  for (const c of clients) c.proc.kill('SIGINT');
  exits = await Promise.all(clients.map((c) => c.exited));
}, 60_000);
afterAll(async () => {
  killAll(clients);
  await server.close();
  await path?.stop();
  dir.remove();
});

describe.skipIf(missing !== null)('roundtable join through coturn behind the impairment relay', () => {
  it('5 % loss + 20 ms + 0–30 ms jitter: relay-only, both hear each other, exit 0', async () => {
    for (const [i, e] of exits.entries()) expect(e, clients[i]!.stderr() + clients[i]!.stdout().slice(-2000)).toEqual({ code: 0, signal: null });
    const relayStats = path!.relay.stats();
    expect(relayStats.clients).toBe(2);
    // The impairment did happen: random drops on the way in, none on the way back (outage drops apart).
    expect(relayStats.toTarget.droppedBy.random).toBeGreaterThan(20);
    expect(relayStats.toClient.droppedBy.random).toBe(0);
    expect(relayStats.toTarget.reordered).toBeGreaterThan(0);
    for (const [x, other] of [['a', 'b'], ['b', 'a']] as const) {
      const stats = readJson<StatsFile>(dir.file(`${x}.json`));
      const pair = stats.peers[0]?.selectedCandidatePair;
      expect(pair?.local.type).toBe('relay');
      expect(pair?.remote.type).toBe('relay');
      expect(bestPresence(await readWav(speech(other)), await readWav(dir.file(`${x}.wav`)), HEARD), `${x} hears ${other}`).toBeGreaterThan(0.3);
    }
  });

  it('RED (RFC 2198): negotiated, turned on by the 5 % loss the other reports, and most lost packets are played from the copies', () => {
    for (const x of ['a', 'b'] as const) {
      const peer = readJson<StatsFile>(dir.file(`${x}.json`)).peers[0]!;
      const figures = JSON.stringify({ lost: peer.packetsLost, recovered: peer.packetsRecovered, red: peer.redPacketsReceived, distance: peer.redDistance, concealed: peer.framesConcealed });
      console.log(`[join-impaired] ${x}: ${figures}`);
      expect(peer.redDistance, `${x}: RED negotiated and on (${figures})`).toBeGreaterThanOrEqual(1);
      expect(peer.redPacketsReceived, figures).toBeGreaterThan(0);
      expect(peer.redMalformed).toBe(0);
      // The loss figure still counts what the network took; recovery is counted apart. Not all is recoverable:
      // packets lost in the first second (before the first receiver report turned RED on), in the outage, and
      // both a packet and its copies.
      expect(peer.packetsLost, figures).toBeGreaterThan(20);
      expect(peer.packetsRecovered, figures).toBeGreaterThan(0.5 * (peer.packetsLost - 150));
    }
  });

  // Measured 2026-12-05: a 3 s outage equals the link's 3 s inactivity timeout, so the link reports
  // 'disconnected' about when the path returns and a rebuild is scheduled 250 ms later. Mostly the old link
  // hears packets first and stays (voice back 30–80 ms after the return); in 2 of 8 benchmark calls the link was
  // rebuilt (generation 2) and the voice came back after 1.3–1.5 s: within this test's 2 s, not the 1 s goal.
  it(`3 s outage: the other's voice is back within ${AUDIO_BACK_WITHIN_MS} ms of the path's return`, async () => {
    const o = outage!;
    for (const [x, other] of [['a', 'b'], ['b', 'a']] as const) {
      const stats = readJson<StatsFile>(dir.file(`${x}.json`));
      const heard = await readWav(dir.file(`${x}.wav`));
      const firstOutputMs = Number(BigInt(stats.anchors.firstOutputNs!)) / 1e6;
      const at = (ms: number): number => ((ms - firstOutputMs) * 48_000) / 1000;
      // The outage did silence the call (after concealment faded out).
      expect(rmsOf(heard, at(o.startMs + 500), at(o.endMs)), `${x}: silent during the outage`).toBeLessThan(0.003);
      const back = firstAudible(heard, at(o.endMs));
      const backMs = back === null ? Infinity : (back * 1000) / 48_000 + firstOutputMs - o.endMs;
      const log = clients.find((c) => c.name === x)!.lines.filter((l) => l.event.startsWith('peer-') || l.event.startsWith('link')).map((l) => `${l.event} gen ${String(l.gen)}`);
      expect(backMs, `${x} hears ${other} again (${x}'s events: ${log.join(', ')})`).toBeLessThanOrEqual(AUDIO_BACK_WITHIN_MS);
    }
  });
});
