/**
 * Three real clients in one room, each talking from a speech fixture: every
 * output WAV carries the other two speakers and not its own voice, and the
 * --stats files carry per-peer counters and the monotonic latency anchors.
 * c talks in Opus's low-delay mode (--low-delay): a room mixes the modes,
 * since any Opus decoder decodes either.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignalingServer } from '../../src/server/index.js';
import { bestPresence, joinArgs, killAll, newCode, readJson, readWav, runClient, speech, startServer, TempDir, writeLoopbackConfig, type Client, type StatsFile, HEARD } from './harness.js';

let server: SignalingServer;
let dir: TempDir;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startServer();
  dir = new TempDir();
});
afterAll(async () => {
  killAll(clients);
  await server.close();
  dir.remove();
});

describe('roundtable join: three peers', () => {
  it('each hears the other two and not itself, c in low-delay mode; stats carry counters and anchors', async () => {
    const code = newCode();
    const config = writeLoopbackConfig(dir);
    const names = ['a', 'b', 'c'] as const;
    for (const x of names) {
      clients.push(
        runClient(x, joinArgs(x, { code, server: server.url, config, input: speech(x), output: dir.file(`out-${x}.wav`), stats: dir.file(`stats-${x}.json`), durationS: 8, ...(x === 'c' ? { extra: ['--low-delay'] } : {}) })),
      );
    }
    const exits = await Promise.all(clients.map((c) => c.exited));
    for (const [i, e] of exits.entries()) expect(e, `${names[i]} stderr: ${clients[i]!.stderr()}`).toEqual({ code: 0, signal: null });

    for (const c of clients) {
      expect(c.lines.filter((l) => l.event === 'peer-connected')).toHaveLength(2);
      expect(c.lines.some((l) => l.event === 'left')).toBe(true);
    }
    const inputs = { a: await readWav(speech('a')), b: await readWav(speech('b')), c: await readWav(speech('c')) };
    for (const x of names) {
      const out = await readWav(dir.file(`out-${x}.wav`));
      // ~8 s of 48 kHz output, complete WAV (header sizes right, or the reader would fail).
      expect(out.length).toBeGreaterThan(48_000 * 6);
      for (const y of names) {
        // What must be heard in 1 s probes (they survive a jitter buffer that stretches playout), what must not in 2 s ones (bench/lib/analysis.ts).
        if (y === x) expect(bestPresence(inputs[y], out), `${x} hears itself`).toBeLessThan(0.2);
        else expect(bestPresence(inputs[y], out, HEARD), `${x} hears ${y}`).toBeGreaterThan(0.3);
      }
      const stats = readJson<StatsFile>(dir.file(`stats-${x}.json`));
      expect(stats.codecLookaheadMs).toBe(x === 'c' ? 2.5 : 6.5);
      expect(BigInt(stats.anchors.firstInputNs!)).toBeGreaterThan(0n);
      expect(BigInt(stats.anchors.firstOutputNs!)).toBeGreaterThan(0n);
      expect(stats.peers).toHaveLength(2);
      for (const p of stats.peers) {
        expect(p.packetsSent).toBeGreaterThan(50);
        expect(p.packetsReceived).toBeGreaterThan(50);
        expect(p.bytesReceived).toBeGreaterThan(p.packetsReceived * 12);
        expect(p.connectMs).not.toBeNull();
        expect(p.selectedCandidatePair?.local.type).toBe('host');
      }
    }
  });
});
