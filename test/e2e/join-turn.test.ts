/**
 * TURN with a real coturn on 127.0.0.1 and the relay-only policy set in a
 * config file (--config): the call works and both sides use relayed candidates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignalingServer } from '../../src/server/index.js';
import { coturnMissingReason, relayOnlyConfigYaml, startCoturn, type Coturn } from '../helpers/coturn.js';
import { bestPresence, joinArgs, killAll, newCode, readJson, readWav, runClient, speech, startServer, TempDir, type Client, type StatsFile, HEARD } from './harness.js';

const missing = coturnMissingReason();
let server: SignalingServer;

let turn: Coturn | undefined;
let dir: TempDir;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startServer();
  dir = new TempDir();
  // The helper relays from 127.0.0.2, so only relay↔relay paths exist (see bench/lib/coturn.ts).
  if (missing === null) turn = await startCoturn();
});
afterAll(async () => {
  killAll(clients);
  await server.close();
  await turn?.stop();
  dir.remove();
});

describe.skipIf(missing !== null)('roundtable join through TURN', () => {
  it('relay-only from the config file: audio flows and the selected candidates are relay', async () => {
    const t = turn!;
    const config = dir.write('turn.yaml', relayOnlyConfigYaml(t));
    const code = newCode();
    for (const x of ['a', 'b'] as const) {
      clients.push(runClient(x, joinArgs(x, { code, server: server.url, config, input: speech(x), output: dir.file(`turn-${x}.wav`), stats: dir.file(`turn-${x}.json`), durationS: 7 })));
    }
    const exits = await Promise.all(clients.map((c) => c.exited));
    for (const [i, e] of exits.entries()) expect(e.code, clients[i]!.stderr() + clients[i]!.stdout().slice(-2000)).toBe(0);
    for (const [x, other] of [['a', 'b'], ['b', 'a']] as const) {
      const stats = readJson<StatsFile>(dir.file(`turn-${x}.json`));
      const pair = stats.peers[0]?.selectedCandidatePair;
      expect(pair?.local.type).toBe('relay');
      expect(pair?.remote.type).toBe('relay');
      // coturn's relayed transport addresses (RFC 8656 §2), on its relay IP.
      expect(pair?.local.address).toBe(turn!.relayIp);
      expect(pair?.remote.address).toBe(turn!.relayIp);
      expect(stats.peers[0]!.packetsReceived).toBeGreaterThan(50);
      const connected = clients.find((c) => c.name === x)!.lines.find((l) => l.event === 'peer-connected');
      expect(connected?.localCandidate).toBe('relay');
      expect(bestPresence(await readWav(speech(other)), await readWav(dir.file(`turn-${x}.wav`)), HEARD)).toBeGreaterThan(0.3);
    }
  });
});
