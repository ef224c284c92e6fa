import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { samplesPerFrame, type FrameMs } from '../../../src/core/media-format.js';
import { ManualSink, ManualSource } from '../../../src/engine/audio/manual.js';
import { MediaEngine } from '../../../src/engine/media/media-engine.js';
import { peakLevel } from '../../../src/engine/audio/level.js';
import { buildReceiverReport, ntpFromUnixMs, ntpMiddle32, parseRtcp } from '../../../src/engine/rtcp/packets.js';
import { pair, tone } from './engine-pair.js';

describe('MediaEngine', () => {
  it('carries audio from A to B through encode, RTP, jitter buffer and decode', async () => {
    const { a, b, step } = await pair();
    const peaks: number[] = [];
    for (let i = 0; i < 30; i++) peaks.push(await step());
    expect(Math.max(...peaks.slice(10))).toBeGreaterThan(0.2);
    const stats = b.engine.peerStats('a')!;
    expect(stats.receive.received).toBe(30);
    expect(stats.receive.lost).toBe(0);
    expect(a.engine.peerStats('b')!.send.sent).toBe(30);
    expect(a.engine.self.micLevel).toBeGreaterThan(0.3);
    expect(b.engine.peerStats('a')!.level).toBeGreaterThan(0.2);
    await a.engine.stop();
    await b.engine.stop();
  });

  it("reports in its receiver reports the same loss the UI shows (one reception tracker)", async () => {
    const { a, b, rtcpFromB, step } = await pair({ dropFromA: (i) => i === 7 || i === 20 || i === 21 });
    for (let i = 0; i < 60; i++) await step(); // 1.2 s: one receiver report from B
    const ui = b.engine.peerStats('a')!.receive;
    expect(ui).toMatchObject({ expected: 60, received: 57, lost: 3 });
    expect(rtcpFromB).toHaveLength(1);
    const rr = parseRtcp(rtcpFromB[0]!);
    if (!rr.ok || rr.packets[0]!.type !== 'rr') throw new Error('not a receiver report');
    const block = rr.packets[0]!.reports[0]!;
    expect(block.ssrc).toBe(a.engine.ssrc);
    expect(block.cumulativeLost).toBe(ui.lost);
    await a.engine.stop();
    await b.engine.stop();
  });

  it('hands RTCP to the peer\'s RTCP session: RTT from a report block about our SSRC', async () => {
    const { b } = await pair();
    expect(b.engine.peerStats('a')!.rttMs).toBeNull();
    // A's report about B's stream echoes an SR B sent 80 ms ago (wallclock), held 30 ms at A.
    const block = { ssrc: b.engine.ssrc, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 0, jitter: 0, lastSr: ntpMiddle32(ntpFromUnixMs(Date.now() - 80)), delaySinceLastSr: Math.round(0.03 * 65536) };
    b.engine.receive('a', buildReceiverReport({ ssrc: 0x5eed, reports: [block] }));
    const stats = b.engine.peerStats('a')!;
    expect(stats.rtcpReceived).toBe(1);
    expect(stats.malformedReceived).toBe(0);
    expect(stats.rttMs).toBeGreaterThan(45);
    expect(stats.rttMs).toBeLessThan(1000);
  });

  it('mute and push-to-talk stop sending while capture goes on', async () => {
    const { a, sentByA, step } = await pair();
    for (let i = 0; i < 5; i++) await step();
    expect(sentByA.length).toBe(5);
    a.engine.setMuted(true);
    for (let i = 0; i < 5; i++) await step();
    expect(sentByA.length).toBe(5);
    expect(a.engine.self.muted).toBe(true);
    a.engine.setMuted(false);
    a.engine.setPushToTalk(true);
    for (let i = 0; i < 5; i++) await step();
    expect(sentByA.length).toBe(5);
    a.engine.setTalking(true);
    for (let i = 0; i < 5; i++) await step();
    expect(sentByA.length).toBe(10);
    expect(a.engine.captureStats.framesCaptured).toBe(20);
    expect(a.engine.captureStats.framesMuted).toBe(10);
  });

  it('deafen silences output but keeps receiving; per-peer volume and mute apply', async () => {
    const { b, step } = await pair();
    for (let i = 0; i < 15; i++) await step();
    const loud = await step();
    expect(loud).toBeGreaterThan(0.2);
    b.engine.setPeerVolume('a', 50);
    let half = 0;
    for (let i = 0; i < 5; i++) half = await step();
    expect(half).toBeLessThan(loud * 0.6);
    expect(half).toBeGreaterThan(loud * 0.4);
    b.engine.setPeerMuted('a', true);
    expect(await step()).toBe(0);
    b.engine.setPeerMuted('a', false);
    b.engine.setDeafened(true);
    const before = b.engine.peerStats('a')!.receive.received;
    expect(await step()).toBe(0);
    expect(b.engine.peerStats('a')!.receive.received).toBe(before + 1);
    expect(b.engine.self.deafened).toBe(true);
  });

  it('skips a peer whose transport is not open, without counting send errors', async () => {
    let open = false;
    const { a, b, sentByA, step } = await pair({ aOpen: () => open });
    for (let i = 0; i < 3; i++) await step();
    expect(sentByA.length).toBe(0);
    expect(a.engine.peerStats('b')!.sendSkippedNotOpen).toBe(3);
    expect(a.engine.peerStats('b')!.send.sendErrors).toBe(0);
    open = true;
    await step();
    expect(sentByA.length).toBe(1);
    // The three packets numbered while the link was not open never went to B: they are not B's loss.
    for (let i = 0; i < 20; i++) await step();
    expect(b.engine.peerStats('a')!.receive).toMatchObject({ expected: 21, received: 21, lost: 0 });
  });

  it('counts malformed input and ignores unknown peers, never throws', async () => {
    const { b } = await pair();
    b.engine.receive('a', new Uint8Array([1, 2, 3]));
    b.engine.receive('a', new Uint8Array(0));
    b.engine.receive('a', Uint8Array.from([0x81, 0xc9, 0, 50])); // RTCP RR with a lying length
    b.engine.receive('nobody', new Uint8Array(40));
    expect(b.engine.peerStats('a')!.malformedReceived).toBe(3);
    b.engine.removePeer('a');
    expect(b.engine.peerStats('a')).toBeUndefined();
    b.engine.receive('a', new Uint8Array(40));
  });

  it('rejects a sink whose frame size is not the playback frame', () => {
    const clock = new ManualClock();
    expect(() => new MediaEngine({ frameMs: 20, source: new ManualSource(20, clock), sink: new ManualSink(20, clock), clock })).toThrow(/sink pulls 20 ms/);
  });
});
