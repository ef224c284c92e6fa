/**
 * The impairment relay on real loopback sockets: per-client upstream sockets
 * and the mapping back, counters, outages, seeded decisions, refusals and
 * closing by itself. The decision logic itself is tested on a ManualClock in
 * network.test.ts.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackIpv4, startUdpRelay, type UdpRelay } from '../../../src/engine/sim/udp-relay.js';

const sockets: Socket[] = [];
const relays: UdpRelay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
  for (const s of sockets.splice(0)) s.close();
});

async function udp(): Promise<Socket> {
  const s = createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

/** A target that answers every packet with "echo:" + the packet, and notes who sent what. */
async function echoTarget(): Promise<{ socket: Socket; port: number; seen: Array<{ from: string; text: string }> }> {
  const socket = await udp();
  const seen: Array<{ from: string; text: string }> = [];
  socket.on('message', (msg, from) => {
    seen.push({ from: `${from.address}:${from.port}`, text: msg.toString() });
    socket.send(Buffer.concat([Buffer.from('echo:'), msg]), from.port, from.address);
  });
  return { socket, port: socket.address().port, seen };
}

function collect(s: Socket): string[] {
  const got: string[] = [];
  s.on('message', (msg) => got.push(msg.toString()));
  return got;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}

async function relayTo(port: number, extra: Partial<Parameters<typeof startUdpRelay>[0]> = {}): Promise<UdpRelay> {
  const r = await startUdpRelay({ target: { address: '127.0.0.1', port }, ...extra });
  relays.push(r);
  return r;
}

describe('startUdpRelay', () => {
  it('gives each client its own upstream address and maps replies back', async () => {
    const target = await echoTarget();
    const relay = await relayTo(target.port);
    const [a, b] = [await udp(), await udp()];
    const gotA = collect(a), gotB = collect(b);
    a.send('from-a', relay.port, '127.0.0.1');
    b.send('from-b', relay.port, '127.0.0.1');
    await until(() => gotA.length === 1 && gotB.length === 1);
    expect(gotA).toEqual(['echo:from-a']);
    expect(gotB).toEqual(['echo:from-b']);
    const froms = new Set(target.seen.map((s) => s.from));
    expect(froms.size).toBe(2);
    for (const c of [a, b]) expect(froms.has(`127.0.0.1:${c.address().port}`)).toBe(false);
    // A second packet from a reuses its path.
    a.send('again', relay.port, '127.0.0.1');
    await until(() => gotA.length === 2);
    expect(new Set(target.seen.map((s) => s.from)).size).toBe(2);
    const stats = relay.stats();
    expect(stats.clients).toBe(2);
    expect(stats.toTarget).toMatchObject({ sent: 3, delivered: 3, dropped: 0 });
    expect(stats.toClient).toMatchObject({ sent: 3, delivered: 3, dropped: 0 });
  });

  it('same seed, same drops; counts them by cause and direction', async () => {
    const received = async (seed: number): Promise<string[]> => {
      const target = await echoTarget();
      const relay = await relayTo(target.port, { seed, toTarget: { lossPercent: 30 } });
      const c = await udp();
      for (let i = 0; i < 200; i++) c.send(String(i), relay.port, '127.0.0.1');
      await until(() => relay.stats().toTarget.sent === 200);
      await sleep(50);
      const s = relay.stats();
      expect(s.toTarget.dropped).toBe(s.toTarget.droppedBy.random);
      expect(s.toTarget.dropped + s.toTarget.delivered).toBe(200);
      expect(s.toClient.dropped).toBe(0);
      return target.seen.map((x) => x.text).sort();
    };
    const [x, y, z] = [await received(5), await received(5), await received(6)];
    expect(x).toEqual(y);
    expect(x.length).toBeGreaterThan(110);
    expect(x.length).toBeLessThan(170);
    expect(z).not.toEqual(x);
  });

  it('delays by base + jitter', async () => {
    const target = await echoTarget();
    const relay = await relayTo(target.port, { toTarget: { baseDelayMs: 40, jitterMs: 20 } });
    const c = await udp();
    const got = collect(c);
    const t0 = performance.now();
    c.send('x', relay.port, '127.0.0.1');
    await until(() => got.length === 1);
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(39);
    expect(ms).toBeLessThan(200);
  });

  it('an outage stops both directions, then forwarding resumes', async () => {
    const target = await echoTarget();
    const relay = await relayTo(target.port);
    const c = await udp();
    const got = collect(c);
    const w = relay.outage(150);
    expect(w.endMs - w.startMs).toBe(150);
    c.send('lost', relay.port, '127.0.0.1');
    await until(() => relay.stats().toTarget.sent === 1);
    expect(relay.stats().toTarget.droppedBy.outage).toBe(1);
    await sleep(170);
    c.send('back', relay.port, '127.0.0.1');
    await until(() => got.length === 1);
    expect(got).toEqual(['echo:back']);
    expect(relay.outages()).toHaveLength(1);
  });

  it('scripted outages are relative to the start', async () => {
    const target = await echoTarget();
    const relay = await relayTo(target.port, { outages: [{ atMs: 0, forMs: 100 }] });
    const c = await udp();
    c.send('early', relay.port, '127.0.0.1');
    await until(() => relay.stats().toTarget.sent === 1);
    expect(relay.stats().toTarget.droppedBy.outage).toBe(1);
    const [o] = relay.outages();
    expect(o!.endMs - o!.startMs).toBe(100);
  });

  it('binds 127.0.0.1 only and forwards to loopback only', async () => {
    await expect(startUdpRelay({ target: { address: '127.0.0.1', port: 9 }, bindAddress: '0.0.0.0' })).rejects.toThrow(/127\.0\.0\.1 only/);
    await expect(startUdpRelay({ target: { address: '10.0.0.1', port: 9 } })).rejects.toThrow(/loopback/);
    await expect(startUdpRelay({ target: { address: 'localhost', port: 9 } })).rejects.toThrow(/loopback/);
    expect(isLoopbackIpv4('127.0.0.2')).toBe(true);
    expect(isLoopbackIpv4('127.0.0.256')).toBe(false);
    expect(isLoopbackIpv4('128.0.0.1')).toBe(false);
  });

  it('closes by itself when idle and when its lifetime is over', async () => {
    const target = await echoTarget();
    const idle = await startUdpRelay({ target: { address: '127.0.0.1', port: target.port }, idleTimeoutMs: 80 });
    const c = await udp();
    c.send('x', idle.port, '127.0.0.1');
    expect(await idle.closed).toBe('idle');
    const old = await startUdpRelay({ target: { address: '127.0.0.1', port: target.port }, maxLifetimeMs: 80 });
    expect(await old.closed).toBe('lifetime');
    // close() after closing is harmless.
    await old.close();
  });
});
