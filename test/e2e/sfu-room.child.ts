/**
 * Runs inside the test's network namespace (sfu-room.test.ts): N
 * participants, each a MediaEngine with real Opus and real node-datachannel
 * links, meet in one Janus VideoRoom through SfuMedia. The first `talkers`
 * loop a speech fixture; the others are silent. Each writes what it heard
 * (its sink's recording) to OUT/<i>.wav and its figures to OUT/<i>.json.
 * A tap on the last participant's subscription to participant 0 keeps the first sealed payloads as Janus
 * forwarded them (OUT/sealed.json), for the "Janus cannot hear it" check.
 *
 * argv: wsUrl bindAddress outDir participants talkers seconds [talker0.wav]
 * (bench/sfu-room.ts gives talker 0 a click train, for mouth-to-ear).
 */
import { openNodeSocket } from '../../src/engine/signaling/node-socket.js';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { WavSource } from '../../src/engine/audio/wav-source.js';
import { MemorySink } from '../../src/engine/audio/memory-audio.js';
import { NoInputSource } from '../../src/engine/audio/null-audio.js';
import { writeWav } from '../../src/engine/audio/wav-file.js';
import { MediaEngine } from '../../src/engine/media/media-engine.js';
import { makePeerLink } from '../../src/engine/media/engine-links.js';
import { shutdownMesh } from '../../src/engine/mesh/native.js';
import { SfuMedia } from '../../src/engine/sfu/sfu-media.js';
import { JanusSession } from '../../src/engine/sfu/janus-client.js';
import { deriveRoomSecrets, generateJoinCode } from '../../src/protocol/index.js';
import { parseRtp } from '../../src/engine/rtp/packet.js';
import type { Logger } from '../../src/core/logger.js';

const [wsUrl, bindAddress, outDir, nText, talkersText, secondsText, talker0File] = process.argv.slice(2);
const n = Number(nText);
const talkers = Number(talkersText);
const seconds = Number(secondsText);
const fixtures = ['speech-a.wav', 'speech-b.wav', 'speech-c.wav'].map((f) => path.resolve(import.meta.dirname, '../../fixtures', f));
// The room's media secret as every member derives it from the join code (src/protocol/room-crypto.ts).
const { mediaSecret: secretBytes } = await deriveRoomSecrets(generateJoinCode());
const mediaSecret = Buffer.from(secretBytes);
const room = 1_000_000 + Math.floor(Math.random() * 1_000_000);
const sealed: string[] = [];
/** Warnings and errors go to stderr, which the test shows when the room fails. */
const stderrLogger = (bound: Record<string, unknown>): Logger => {
  const line = (level: string) => (event: string, fields?: Record<string, unknown>) =>
    process.stderr.write(`${level} ${event} ${JSON.stringify({ ...bound, ...fields }, (_k, v: unknown) => (v instanceof Error ? v.message : v))}\n`);
  return { debug: () => {}, info: () => {}, warn: line('warn'), error: line('error'), child: (f) => stderrLogger({ ...bound, ...f }), close: async () => {} };
};

const people = Array.from({ length: n }, (_, i) => {
  const source =
    i === 0 && talker0File !== undefined
      ? new WavSource({ path: talker0File, frameMs: 20 })
      : i < talkers
        ? new WavSource({ path: fixtures[i % fixtures.length]!, frameMs: 20, loop: true })
        : new NoInputSource(20);
  const sink = new MemorySink({ frameMs: 10 });
  const engine = new MediaEngine({ frameMs: 20, source, sink, cues: { enabled: false } });
  const peerId = `p${i}-${randomBytes(4).toString('hex')}`;
  const sfu = new SfuMedia({
    janusUrl: wsUrl!,
    room,
    maxPublishers: Math.max(n, 8),
    peerId,
    mediaSecret,
    engine,
    bindAddress,
    logger: stderrLogger({ participant: i }),
    // The last participant's link keeps the first 100 payloads (2 s) it got from Janus, before opening them.
    makeLink: (o) =>
      makePeerLink(
        i !== n - 1
          ? o
          : {
              ...o,
              onRtp: (packet, at) => {
                if (sealed.length < 100 && o.peerId === people[0]?.peerId) {
                  const p = parseRtp(packet);
                  if (p.ok) sealed.push(Buffer.from(packet.subarray(p.packet.headerBytes)).toString('hex'));
                }
                o.onRtp(packet, at);
              },
            },
      ),
  });
  return { i, peerId, engine, sink, sfu };
});

const t0 = Date.now();
for (const p of people) await p.engine.start();
await Promise.all(people.map((p) => p.sfu.start()));
const startMs = Date.now() - t0;
// Everyone subscribed to everyone: n - 1 subscriptions each.
const deadline = Date.now() + 20_000;
while (people.some((p) => p.sfu.stats.subscriptions < n - 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
const connectedMs = Date.now() - t0;
// The room as Janus lists it to anyone: listable, with room for every participant as a publisher.
const lister = await JanusSession.connect(wsUrl!, { openSocket: openNodeSocket });
const listed = (await lister.message(await lister.attach(), { request: 'list' })).data.list?.find((r) => r.room === room) ?? null;
await lister.close();
for (const p of people) {
  if (p.sfu.stats.subscriptions < n - 1) process.stderr.write(`participant ${p.i} has ${p.sfu.stats.subscriptions} of ${n - 1} subscriptions\n`);
  if (!p.sfu.publishing) process.stderr.write(`participant ${p.i} is not publishing (Janus never reported its PeerConnection up)\n`);
}
const cpu0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, seconds * 1000));
const cpu = process.cpuUsage(cpu0);
const stats = people.map((p) => p.sfu.stats);
for (const p of people) await p.sfu.stop();
for (const p of people) await p.engine.stop();
for (const p of people) {
  await writeWav(path.join(outDir!, `${p.i}.wav`), p.sink.recording);
  const { firstInputNs, firstOutputNs } = p.engine.anchors;
  writeFileSync(
    path.join(outDir!, `${p.i}.json`),
    JSON.stringify({ peerId: p.peerId, sfu: stats[p.i], anchors: { firstInputNs: firstInputNs?.toString() ?? null, firstOutputNs: firstOutputNs?.toString() ?? null } }),
  );
}
writeFileSync(
  path.join(outDir!, 'run.json'),
  JSON.stringify({
    startMs,
    connectedMs,
    room,
    listed,
    peerIds: people.map((p) => p.peerId),
    // The whole room's CPU (all participants in this one process), percent of one core.
    cpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
    // The test opens the sealed frames with the key to show they are the real ones.
    mediaSecret: mediaSecret.toString('hex'),
    sealed,
  }),
);
shutdownMesh();
process.exit(0);
