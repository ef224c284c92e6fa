/**
 * Load generator for bench/signaling-load.ts, run as a SEPARATE PROCESS
 * (forked with an IPC channel) so that the server's CPU and RSS are its own.
 *
 * Opens `clients` WebSocket connections in rooms of `roomSize`, measures
 * join → joined latency, then lets every room exchange a burst of signal
 * messages (each peer sends `burst` signals to each other peer), with the
 * rooms' bursts spread over `spreadMs`. Relay latency is measured here too:
 * sender and receiver are both in this process, and the send time travels
 * inside the payload.
 *
 * Payloads are random opaque base64url blobs of realistic sizes (candidates
 * ~300 chars, one SDP-sized ~2,000 chars per burst) instead of real
 * AES-GCM seals: the server only relays blobs, and PBKDF2 for 1,000 room
 * codes would make the generator, not the server, the bottleneck.
 */
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { encodeMessage, parseServerMessage, type ServerMessage } from '../src/protocol/index.js';
import { serveRequests } from './lib/bench-child.js';

export interface LoadgenConfig {
  url: string;
  clients: number;
  roomSize: number;
  burst: number;
  spreadMs: number;
  connectConcurrency: number;
}

export interface LoadgenResult {
  joinMs: number[];
  relayMs: number[];
  expectedRelays: number;
  errors: Record<string, number>;
  connectFailures: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  connectPhaseMs: number;
  burstPhaseMs: number;
}

interface Client {
  ws: WebSocket;
  peerId: string;
  room: number;
  joinSentMs: number;
  joined: Promise<void>;
}

const TIME_PREFIX_CHARS = 16; // 12 bytes → 16 base64url chars: float64 send time + uint32 nonce

/**
 * Milliseconds since the epoch at sub-millisecond resolution, the same in
 * every process of the machine (performance.timeOrigin is this process's
 * start on the epoch clock): a signal stamped by one generator process is
 * timed by another (bench/signaling-cluster.ts runs two).
 */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Random filler, made once: the servers relay blobs without reading them, and the stamp's nonce keeps each signal distinct. */
const PAD = randomBytes(1536).toString('base64url');

/** A base64url blob of `sizeChars` carrying its send time (epochMs) and a random nonce. */
export function payload(sizeChars: number): string {
  const head = Buffer.alloc(12);
  head.writeDoubleLE(epochMs(), 0);
  head.writeUInt32LE(Math.floor(Math.random() * 2 ** 32), 8);
  return head.toString('base64url') + PAD.slice(0, Math.max(0, sizeChars - TIME_PREFIX_CHARS));
}

export function sentAtMs(p: string): number {
  return Buffer.from(p.slice(0, TIME_PREFIX_CHARS), 'base64url').readDoubleLE(0);
}

/** One room's burst: who in this process sends, and every member they send to. */
export interface RoomBurst {
  readonly from: ReadonlyArray<{ ws: WebSocket; peerId: string }>;
  readonly to: ReadonlyArray<{ peerId: string }>;
}

/**
 * Each room bursts once: every sender sends `burst` signals (the first
 * SDP-sized, then candidate-sized) to every other member; rooms start
 * spread evenly over `spreadMs`, the first `startDelayMs` from now.
 * Resolves once every burst is sent, with the number of signals sent.
 */
export async function burstRooms(rooms: ReadonlyArray<RoomBurst>, burst: number, spreadMs: number, startDelayMs = 0): Promise<number> {
  let sent = 0;
  for (const r of rooms) sent += r.from.length * (r.to.length - 1) * burst;
  await Promise.all(
    rooms.map(
      (room, r) =>
        new Promise<void>((resolve) => {
          setTimeout(
            () => {
              for (const from of room.from) {
                for (const to of room.to) {
                  if (to.peerId === from.peerId) continue;
                  for (let k = 0; k < burst; k++) from.ws.send(encodeMessage({ type: 'signal', to: to.peerId, payload: payload(k === 0 ? 2000 : 300) }));
                }
              }
              resolve();
            },
            Math.max(0, startDelayMs + (spreadMs * r) / rooms.length),
          );
        }),
    ),
  );
  return sent;
}

/** Close every socket (a normal close) and wait until all are closed. */
export function closeSockets(sockets: readonly WebSocket[]): Promise<void[]> {
  return Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close(1000);
        }),
    ),
  );
}

export async function generateLoad(cfg: LoadgenConfig): Promise<LoadgenResult> {
  const cpu0 = process.cpuUsage();
  const joinMs: number[] = [];
  const relayMs: number[] = [];
  const errors: Record<string, number> = {};
  let connectFailures = 0;
  const roomCount = Math.ceil(cfg.clients / cfg.roomSize);
  const roomIds = Array.from({ length: roomCount }, () => randomBytes(32).toString('base64url'));
  const clients: Client[] = [];

  const openClient = (index: number): Promise<Client> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(cfg.url);
      const peerId = randomBytes(16).toString('base64url');
      let markJoined!: () => void;
      const c: Client = { ws, peerId, room: Math.floor(index / cfg.roomSize), joinSentMs: 0, joined: new Promise((r) => (markJoined = r)) };
      ws.on('error', (err) => reject(err));
      ws.on('message', (data) => {
        const text = String(data);
        // Hot path: relayed signals are only JSON-parsed (the generator must
        // not be the bottleneck); everything else is schema-validated.
        let m: ServerMessage;
        const raw = JSON.parse(text) as ServerMessage;
        if (raw.type === 'signal' && typeof raw.payload === 'string') m = raw;
        else {
          const parsed = parseServerMessage(text);
          if (!parsed.ok) {
            errors['invalid-server-message'] = (errors['invalid-server-message'] ?? 0) + 1;
            return;
          }
          m = parsed.message;
        }
        if (m.type === 'joined') {
          joinMs.push(performance.now() - c.joinSentMs);
          markJoined();
        } else if (m.type === 'signal') {
          relayMs.push(epochMs() - sentAtMs(m.payload));
        } else if (m.type === 'ping') {
          ws.send(encodeMessage({ type: 'pong', ts: m.ts }));
        } else if (m.type === 'error') {
          errors[m.code] = (errors[m.code] ?? 0) + 1;
        }
      });
      ws.on('open', () => {
        c.joinSentMs = performance.now();
        ws.send(encodeMessage({ type: 'join', roomId: roomIds[c.room]!, peerId, token: randomBytes(24).toString('base64url') }));
        resolve(c);
      });
    });

  // Phase 1: connect and join, a bounded number of handshakes in flight.
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: cfg.connectConcurrency }, async () => {
      while (next < cfg.clients) {
        const i = next++;
        try {
          const c = await openClient(i);
          clients.push(c);
          await c.joined;
        } catch {
          connectFailures++;
        }
      }
    }),
  );
  const connectPhaseMs = performance.now() - t0;

  // Phase 2: each room bursts once, rooms spread over spreadMs.
  const byRoom = new Map<number, Client[]>();
  for (const c of clients) {
    const list = byRoom.get(c.room) ?? [];
    list.push(c);
    byRoom.set(c.room, list);
  }
  const t1 = performance.now();
  const expectedRelays = await burstRooms([...byRoom.values()].map((members) => ({ from: members, to: members })), cfg.burst, cfg.spreadMs);
  // Wait for the relays to arrive (or give up after 30 s and report what came).
  const deadline = performance.now() + 30_000;
  while (relayMs.length < expectedRelays && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const burstPhaseMs = performance.now() - t1;

  await closeSockets(clients.map((c) => c.ws));
  const cpu = process.cpuUsage(cpu0);
  return { joinMs, relayMs, expectedRelays, errors, connectFailures, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, connectPhaseMs, burstPhaseMs };
}

// Child-process entry: receive the config over IPC, send the result back.
if (process.send !== undefined && process.env.ROUNDTABLE_LOADGEN === '1') serveRequests(generateLoad);
