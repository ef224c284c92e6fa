/**
 * Knock and chat timings on loopback: how long a newcomer at a locked room
 * waits before the members are asked, how long from a member's admit to the
 * newcomer being in (signaling) and connected to everyone (links), and how
 * long a chat message takes from one member's send to the others' chat logs
 * (peer to peer, on each link's chat data channel).
 *
 * In-process Sessions (createParticipant without a media process: the links
 * live in this process, so chat does not cross the media-process IPC a
 * `join` adds) against an in-process signaling server; silent input, no
 * STUN, ICE bound to 127.0.0.1. Several rounds: each a fresh room of two
 * members who lock it, a newcomer who knocks and is admitted, then chat
 * lines from every member.
 *
 * Run: `npm run build && node dist/bench/knock-chat.js [rounds]`, or
 * `run()` then shutdownMesh() (bench/run.ts does).
 */
import { pathToFileURL } from 'node:url';
import { monotonicClock } from '../src/core/clock.js';
import { NoInputSource, NullSink } from '../src/engine/audio/null-audio.js';
import { createParticipant, shutdownMesh, type Session, type SessionSnapshot } from '../src/engine/index.js';
import { generateJoinCode } from '../src/protocol/index.js';
import { startSignalingServer } from '../src/server/index.js';
import { median, percentile } from './lib/analysis.js';

function participant(code: string, serverUrl: string, name: string): Session {
  return createParticipant({
    code,
    serverUrl,
    name,
    source: new NoInputSource(20),
    sink: new NullSink(10),
    media: { frameMs: 20, cues: { enabled: false } },
    bindAddress: '127.0.0.1',
  }).session;
}

/** Resolves with the time (monotonic ms) the first snapshot of `s` satisfies `pred`. */
function when(s: Session, pred: (snap: SessionSnapshot) => boolean, what: string, timeoutMs = 15_000): Promise<number> {
  return new Promise((resolve, reject) => {
    if (pred(s.snapshot())) return resolve(monotonicClock.now());
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const stop = s.subscribe((snap) => {
      if (!pred(snap)) return;
      clearTimeout(timer);
      stop();
      resolve(monotonicClock.now());
    });
  });
}

const allConnected = (n: number) => (snap: SessionSnapshot) => snap.peers.length === n && snap.peers.every((p) => p.state === 'connected');

export interface Summary {
  count: number;
  medianMs: number;
  p90Ms: number;
  maxMs: number;
}

export interface KnockChatResult {
  rounds: number;
  /** Newcomer told it knocks → the first member's snapshot lists the knock. */
  knockSeen: Summary;
  /** The member who was asked dispatches admit → the newcomer's start() resolves (joined). */
  admitToJoined: Summary;
  /** Member dispatches admit → the newcomer's links to both members connected. */
  admitToConnected: Summary;
  /** send-chat on one member → the line in another's chat log. */
  chatDelivery: Summary;
}

function summary(xs: number[]): Summary {
  const r = (x: number): number => Math.round(x * 10) / 10;
  return { count: xs.length, medianMs: r(median(xs)), p90Ms: r(percentile(xs, 90)), maxMs: r(Math.max(...xs)) };
}

export async function run(rounds = 5, linesPerMember = 10): Promise<KnockChatResult> {
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0, limits: { joinBurstPerIp: rounds * 4 + 10, knockBurstPerIp: rounds + 5 } });
  const knockSeen: number[] = [];
  const admitToJoined: number[] = [];
  const admitToConnected: number[] = [];
  const chatDelivery: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const code = generateJoinCode();
      const ada = participant(code, server.url, 'ada');
      const bob = participant(code, server.url, 'bob');
      const sessions = [ada, bob];
      try {
        await ada.start();
        await bob.start();
        await Promise.all([when(ada, allConnected(1), 'ada connected'), when(bob, allConnected(1), 'bob connected')]);
        ada.dispatch({ type: 'set-lock', locked: true });
        await when(bob, (s) => s.locked, 'the lock');

        const dan = participant(code, server.url, 'dan');
        sessions.push(dan);
        const knocking = when(dan, (s) => s.phase === 'knocking', 'dan knocking');
        const asked = when(ada, (s) => s.knocks.length === 1, 'ada asked');
        const started = dan.start();
        const knockedAt = await knocking;
        knockSeen.push((await asked) - knockedAt);
        const admitAt = monotonicClock.now();
        ada.dispatch({ type: 'answer-knock', peerId: ada.snapshot().knocks[0]!.id, admit: true });
        await started;
        admitToJoined.push(monotonicClock.now() - admitAt);
        admitToConnected.push((await when(dan, allConnected(2), 'dan connected to both')) - admitAt);
        await Promise.all([when(ada, allConnected(2), 'ada sees dan'), when(bob, allConnected(2), 'bob sees dan')]);
        // The chat channels open right after each link.
        await new Promise((r) => setTimeout(r, 300));

        for (const from of sessions) {
          const others = sessions.filter((s) => s !== from);
          for (let i = 0; i < linesPerMember; i++) {
            const text = `${from.snapshot().self.name} ${round}.${i}`;
            const arrivals = others.map((o) => when(o, (s) => s.chat.some((l) => l.kind === 'message' && l.text === text), `line ${text}`, 5000));
            const sentAt = monotonicClock.now();
            from.dispatch({ type: 'send-chat', text });
            for (const at of await Promise.all(arrivals)) chatDelivery.push(at - sentAt);
          }
        }
      } finally {
        for (const s of sessions) await s.leave();
      }
    }
  } finally {
    await server.close();
  }
  return { rounds, knockSeen: summary(knockSeen), admitToJoined: summary(admitToJoined), admitToConnected: summary(admitToConnected), chatDelivery: summary(chatDelivery) };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const rounds = Number(process.argv[2] ?? 5);
  run(Number.isInteger(rounds) && rounds > 0 ? rounds : 5)
    .then((res) => {
      console.log(`knock and chat on loopback (${res.rounds} rounds)`);
      for (const [k, v] of Object.entries(res)) console.log(`  ${k.padEnd(18)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => shutdownMesh());
}
