/**
 * The engine entry point (src/engine/index.ts): createParticipant wires a
 * media engine, a signaling client and a session the way the CLI, the demo
 * and the benchmarks use them. Two participants meet through a real
 * in-process signaling server on 127.0.0.1; links are fakes (no ICE), so
 * the test sees exactly what each session asked of its links.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { ManualSink, ManualSource } from '../../src/engine/audio/manual.js';
import { createParticipant, type Participant, type PeerLinkOptions } from '../../src/engine/index.js';
import { generateJoinCode } from '../../src/protocol/index.js';
import { startSignalingServer, type SignalingServer } from '../../src/server/index.js';
import { FakeDecoder } from './receive/fakes.js';
import { fakeEncoder, FakeLink } from './room/fakes.js';

const ICE = [{ urls: 'turn:127.0.0.1:3478', username: 'u', credential: 'p' }];
let server: SignalingServer | undefined;
const participants: Participant[] = [];

afterEach(async () => {
  for (const p of participants.splice(0)) await p.session.leave();
  await server?.close();
  server = undefined;
});

describe('createParticipant', () => {
  it('wires engine, signaling and session: the room, the name, the media settings and the ICE settings all arrive', async () => {
    server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
    const code = generateJoinCode();
    const clock = new ManualClock(0);
    const links: PeerLinkOptions[] = [];
    const join = (name: string): Participant => {
      const p = createParticipant({
        code,
        serverUrl: server!.url,
        name,
        source: new ManualSource(20, clock),
        sink: new ManualSink(10),
        media: { frameMs: 20, encoderFactory: fakeEncoder, decoderFactory: () => new FakeDecoder(), cues: { enabled: false } },
        iceServers: ICE,
        relayOnly: true,
        bindAddress: '127.0.0.1',
        logFile: '/tmp/roundtable-test.log',
        makeLink: (o) => {
          links.push(o);
          return new FakeLink(o, clock);
        },
      });
      participants.push(p);
      return p;
    };

    const alice = join('alice');
    await alice.session.start();
    expect(alice.engine.frameMs).toBe(20);
    expect(alice.session.snapshot()).toMatchObject({
      roomCode: code,
      serverUrl: server.url,
      phase: 'waiting-for-peers',
      self: { name: 'alice' },
      logFile: '/tmp/roundtable-test.log',
    });

    const bob = join('bob');
    await bob.session.start();
    // Bob is the newcomer: he offers to Alice, with the participant's ICE settings and his engine's SSRC.
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ peerId: alice.session.selfId, role: 'offerer', iceServers: ICE, relayOnly: true, bindAddress: '127.0.0.1', ssrc: bob.engine.ssrc });
    expect(bob.session.snapshot().peers.map((p) => p.name)).toEqual(['alice']);
    // Alice hears of Bob by name, and his offer reaches her through the server: she answers.
    await vi.waitFor(() => expect(alice.session.snapshot().peers.map((p) => p.name)).toEqual(['bob']));
    await vi.waitFor(() => expect(links.find((o) => o.role === 'answerer')).toMatchObject({ peerId: bob.session.selfId, ssrc: alice.engine.ssrc }));
  });

  it('without ICE servers or a bind address the links get none', async () => {
    server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
    const code = generateJoinCode();
    const clock = new ManualClock(0);
    const links: PeerLinkOptions[] = [];
    for (const name of ['a', 'b']) {
      const p = createParticipant({
        code,
        serverUrl: server.url,
        name,
        source: new ManualSource(20, clock),
        sink: new ManualSink(10),
        media: { frameMs: 20, encoderFactory: fakeEncoder, decoderFactory: () => new FakeDecoder() },
        makeLink: (o) => {
          links.push(o);
          return new FakeLink(o, clock);
        },
      });
      participants.push(p);
      await p.session.start();
    }
    expect(links[0]!.iceServers).toEqual([]);
    expect(links[0]).not.toHaveProperty('bindAddress');
    expect(links[0]).not.toHaveProperty('relayOnly');
    expect(participants[0]!.session.snapshot()).not.toHaveProperty('logFile');
  });
});
