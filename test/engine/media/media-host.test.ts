import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { samplesPerFrame } from '../../../src/core/media-format.js';
import { ManualSink, ManualSource } from '../../../src/engine/audio/manual.js';
import type { AudioEndsSpec } from '../../../src/engine/audio/open.js';
import { MEDIA_SNAPSHOT_INTERVAL_MS, type FromMedia, type MediaHostConfig } from '../../../src/engine/media/host-protocol.js';
import { MEDIA_STOP_STEP_MS, MediaHost } from '../../../src/engine/media/media-host.js';
import { GOODBYE_FLUSH_MS } from '../../../src/engine/mesh/peer-link.js';
import { buildRtp } from '../../../src/engine/rtp/packet.js';
import { FakeLink } from '../room/fakes.js';
import type { SfuMediaOptions } from '../../../src/engine/sfu/sfu-media.js';

const AUDIO: AudioEndsSpec = { input: { kind: 'none' }, output: { kind: 'none' }, frameMs: 20, playbackFrameMs: 10 };
const CONFIG: MediaHostConfig = { media: { frameMs: 20, cues: { enabled: false }, voiceGate: { enabled: false } }, audio: AUDIO, sendTiming: true };
const loud = (): Int16Array => Int16Array.from({ length: samplesPerFrame(20) }, (_, i) => Math.round(8000 * Math.sin(i / 3)));

/** A stand-in for SfuMedia: the test adds subscriptions and delivers their packets through the engine adapter it was given. */
class FakeSfu {
  started = false;
  stopped = false;
  readonly stats = { framesSealed: 3, framesOpened: 2, framesRefused: 0, subscriptions: 1, malformedJanusFrames: 0, uplinkBytesSent: 321 };
  constructor(readonly opts: SfuMediaOptions) {}
  async start(): Promise<void> {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.stopped = true;
    this.opts.engine.removePeer('p', { cue: false });
  }
}

const opus = (seq: number, ssrc: number): Uint8Array => buildRtp({ payloadType: 111, sequenceNumber: seq, timestamp: seq * 960, ssrc, marker: false, payload: new Uint8Array([0x78, seq & 0xff, 2]) });

function setup() {
  const clock = new ManualClock(1000);
  const sent: FromMedia[] = [];
  const links: FakeLink[] = [];
  const sfus: FakeSfu[] = [];
  const source = new ManualSource(20, clock);
  const sink = new ManualSink(10, clock);
  let stopped = 0;
  const host = new MediaHost({
    send: (m) => sent.push(m),
    clock,
    openAudio: async () => ({ source, sink }),
    makeLink: (o) => {
      const l = new FakeLink(o, clock);
      links.push(l);
      return l;
    },
    onStopped: () => stopped++,
    makeSfu: (o) => (sfus[sfus.length] = new FakeSfu(o)),
  });
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 40; i++) await Promise.resolve();
  };
  const of = <K extends FromMedia['ev']>(ev: K): Array<Extract<FromMedia, { ev: K }>> => sent.filter((m): m is Extract<FromMedia, { ev: K }> => m.ev === ev);
  return { clock, sent, links, sfus, source, sink, host, flush, of, stopped: () => stopped };
}

/** A started host with peer p on an answering mesh link (link id 1): our SSRC and that link. */
async function withMeshPeer(t: ReturnType<typeof setup>): Promise<{ ssrc: number; link: FakeLink }> {
  t.host.handle({ op: 'init', config: CONFIG });
  await t.flush();
  const ssrc = t.of('ready')[0]!.ssrc;
  t.host.handle({ op: 'start' });
  t.host.handle({ op: 'add-peer', peerId: 'p' });
  t.host.handle({ op: 'link-create', linkId: 1, spec: { peerId: 'p', role: 'answerer', iceServers: [], ssrc, cname: 'c' } });
  await t.flush();
  return { ssrc, link: t.links.at(-1)! };
}

describe('MediaHost', () => {
  it('switching a peer mesh → SFU → mesh: one source at a time, moved by the first packet of the preferred path, the stream kept', async () => {
    const t = setup();
    const { ssrc, link: mesh } = await withMeshPeer(t);
    t.host.handle({ op: 'peer-volume', peerId: 'p', percent: 150 });
    await t.flush();
    mesh.setState('connected');
    const received = (): number => {
      t.clock.advance(MEDIA_SNAPSHOT_INTERVAL_MS);
      return new Map(t.of('snapshot').at(-1)!.snapshot.peers).get('p')!.receive.received;
    };
    // Where p's stream plays from, '+sfu' while the SFU brings it too.
    const paths = () => t.of('peer-path').map((m) => `${String(m.path)}${m.sfu ? '+sfu' : ''}`);
    mesh.opts.onRtp(opus(1, 4242), t.clock.now());
    expect(received()).toBe(1);

    t.host.handle({ op: 'sfu-start', spec: { janusUrl: 'ws://x:1', roomId: 'r'.repeat(22), maxPublishers: 8, peerId: 'me', mediaSecret: new Uint8Array(32) } });
    // The Janus room number is WebCrypto's digest, done on libuv's thread pool: wait for the answer.
    await vi.waitFor(() => expect(t.of('sfu-started')).toHaveLength(1));
    await t.flush();
    const sfu = t.sfus[0]!;
    const subRtcp: Uint8Array[] = [];
    sfu.opts.engine.addPeer('p', { sendRtp: () => false, sendRtcp: (x) => subRtcp.push(x) > 0, isOpen: () => true }, { receiveOnly: true, cue: false });
    // Both paths carry p now; its stream still plays the mesh, and the subscription's RTCP is not its.
    mesh.opts.onRtp(opus(2, 4242), t.clock.now());
    expect(received()).toBe(2);
    expect(paths()).toEqual(['mesh', 'mesh+sfu']);
    // The SFU's first packet of p moves the stream there: a new source, the old one's packets ignored.
    sfu.opts.engine.receive('p', opus(500, 77), t.clock.now());
    expect(paths()).toEqual(['mesh', 'mesh+sfu', 'sfu+sfu']);
    mesh.opts.onRtp(opus(3, 4242), t.clock.now());
    sfu.opts.engine.receive('p', opus(501, 77), t.clock.now());
    const stats = new Map((t.clock.advance(MEDIA_SNAPSHOT_INTERVAL_MS), t.of('snapshot').at(-1)!.snapshot.peers)).get('p')!;
    expect(stats.receive).toMatchObject({ received: 4, resets: 1, lost: 0 });
    expect(stats.volumePercent).toBe(150);
    // We still send to p on the mesh while it is open (p may still play us from it).
    const sentBefore = mesh.sentRtp.length;
    t.clock.advance(20);
    t.source.push(loud());
    await t.flush();
    expect(mesh.sentRtp.length).toBe(sentBefore + 1);

    // Control closes p's mesh path: the stream stays (fed by the SFU), nothing more is sent to p's link.
    t.host.handle({ op: 'remove-peer', peerId: 'p' });
    t.host.handle({ op: 'link-close', linkId: 1 });
    await t.flush();
    expect(paths().at(-1)).toBe('sfu+sfu');
    sfu.opts.engine.receive('p', opus(502, 77), t.clock.now());
    expect(received()).toBe(5);

    // Back to the mesh: a new link, preferred; its first packet moves the stream back, then the SFU is left.
    t.host.handle({ op: 'prefer-path', path: 'mesh' });
    t.host.handle({ op: 'add-peer', peerId: 'p' });
    t.host.handle({ op: 'link-create', linkId: 2, spec: { peerId: 'p', role: 'answerer', iceServers: [], ssrc, cname: 'c' } });
    await t.flush();
    const again = t.links[1]!;
    again.setState('connected');
    sfu.opts.engine.receive('p', opus(503, 77), t.clock.now());
    expect(paths().at(-1)).toBe('sfu+sfu');
    again.opts.onRtp(opus(9, 4242), t.clock.now());
    expect(paths().at(-1)).toBe('mesh+sfu');
    t.host.handle({ op: 'sfu-stop' });
    await t.flush();
    expect(sfu.stopped).toBe(true);
    expect(t.of('sfu-stopped')).toHaveLength(1);
    // What went through the SFU is logged once as it is left (the mesh-vs-SFU benchmark reads the uplink's bytes there).
    expect(t.of('log').filter((l) => l.event === 'sfu-stopped').map((l) => l.fields.uplinkBytesSent)).toEqual([321]);
    // The subscription went; the mesh stream did not.
    expect(paths().at(-1)).toBe('mesh');
    expect(received()).toBe(7);
    t.host.handle({ op: 'stop' });
    await t.flush();
  });

  it('a stop that arrives while init is still opening the audio ends closes what init opened and builds nothing (no orphan media process)', async () => {
    const clock = new ManualClock(1000);
    const sent: FromMedia[] = [];
    const source = new ManualSource(20, clock);
    const sink = new ManualSink(10, clock);
    let openAudio!: () => void;
    const host = new MediaHost({
      send: (m) => sent.push(m),
      clock,
      openAudio: () => new Promise((resolve) => (openAudio = () => resolve({ source, sink }))),
    });
    host.handle({ op: 'init', config: CONFIG });
    for (let i = 0; i < 10; i++) await Promise.resolve(); // init is opening the audio ends
    host.handle({ op: 'start' });
    host.handle({ op: 'stop' }); // the control process went away during start-up
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(sent.map((m) => m.ev)).toEqual([]);
    openAudio();
    for (let i = 0; i < 30; i++) await Promise.resolve();
    // Before, init built an engine after 'stopped' that nothing stopped; now it closes the ends it opened.
    expect(sent.filter((m) => m.ev !== 'log').map((m) => m.ev)).toEqual(['stopped']);
    expect(sink.stopped).toBe(true);
  });

  it('audio ends that never open do not hold the stop: after MEDIA_STOP_STEP_MS it goes on, says which step was stuck, and reports stopped', async () => {
    const clock = new ManualClock(1000);
    const sent: FromMedia[] = [];
    let stopped = 0;
    const host = new MediaHost({ send: (m) => sent.push(m), clock, openAudio: () => new Promise(() => undefined), onStopped: () => stopped++ });
    host.handle({ op: 'init', config: CONFIG });
    host.handle({ op: 'start' });
    await Promise.resolve();
    host.handle({ op: 'stop' });
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(sent.some((m) => m.ev === 'stopped')).toBe(false);
    clock.advance(MEDIA_STOP_STEP_MS);
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(sent.some((m) => m.ev === 'stopped')).toBe(true);
    expect(stopped).toBe(1);
    expect(sent).toContainEqual(expect.objectContaining({ ev: 'log', level: 'error', event: 'media-stop-stuck', fields: expect.objectContaining({ step: 'pending-op' }) }));
  });

  it('an engine whose output never finishes stopping is logged and passed, so the process still ends', async () => {
    const t = setup();
    t.sink.stop = () => new Promise(() => undefined);
    t.host.handle({ op: 'init', config: CONFIG });
    t.host.handle({ op: 'start' });
    await t.flush();
    t.host.handle({ op: 'stop' });
    await t.flush();
    expect(t.of('stopped')).toHaveLength(0);
    t.clock.advance(MEDIA_STOP_STEP_MS);
    await t.flush();
    expect(t.of('stopped')).toHaveLength(1);
    expect(t.stopped()).toBe(1);
    expect(t.of('log').map((l) => [l.event, l.fields.step])).toContainEqual(['media-stop-stuck', 'engine']);
  });

  it('initialises (ready with its SSRC), starts, builds links from plain specs and relays their signals and states', async () => {
    const t = setup();
    t.host.handle({ op: 'init', config: CONFIG });
    await t.flush();
    const ready = t.of('ready')[0]!;
    expect(ready).toMatchObject({ frameMs: 20, playbackFrameMs: 10 });
    expect(Number.isInteger(ready.ssrc)).toBe(true);
    t.host.handle({ op: 'start' });
    await t.flush();
    expect(t.of('started')).toHaveLength(1);

    t.host.handle({ op: 'add-peer', peerId: 'p' });
    t.host.handle({ op: 'link-create', linkId: 7, spec: { peerId: 'p', role: 'offerer', iceServers: [], bindAddress: '127.0.0.1', ssrc: ready.ssrc, cname: 'c' } });
    await t.flush();
    expect(t.links).toHaveLength(1);
    expect(t.links[0]!.opts).toMatchObject({ peerId: 'p', role: 'offerer', bindAddress: '127.0.0.1', ssrc: ready.ssrc });
    t.host.handle({ op: 'link-start', linkId: 7 });
    await t.flush();
    expect(t.links[0]!.started).toBe(true);
    expect(t.of('link-signal')).toEqual([{ ev: 'link-signal', linkId: 7, signal: expect.objectContaining({ descType: 'offer' }) }]);
    t.host.handle({ op: 'link-signal', linkId: 7, signal: { type: 'candidate', candidate: 'x', mid: '0' } });
    await t.flush();
    expect(t.links[0]!.handled).toHaveLength(1);

    t.links[0]!.setState('connected');
    const state = t.of('link-state')[0]!;
    expect(state).toMatchObject({ linkId: 7, state: 'connected', status: { isOpen: true, localTypes: ['host'], lastPacketMs: null } });
  });

  it('sends captured audio on the peer\'s current link, takes its packets into the engine, and reports when the last one came', async () => {
    const t = setup();
    const { ssrc, link: first } = await withMeshPeer(t);
    first.setState('connected');
    for (let i = 0; i < 5; i++) {
      t.clock.advance(20);
      t.source.push(loud());
    }
    await t.flush();
    expect(first.sentRtp.length).toBeGreaterThanOrEqual(4);

    // A rebuilt link (generation 2) takes over the peer's send loop; the old one gets nothing more.
    t.host.handle({ op: 'link-create', linkId: 2, spec: { peerId: 'p', role: 'answerer', iceServers: [], ssrc, cname: 'c' } });
    t.host.handle({ op: 'link-close', linkId: 1 });
    await t.flush();
    expect(first.closed).toBe(true);
    const second = t.links[1]!;
    second.setState('connected');
    const before = first.sentRtp.length;
    for (let i = 0; i < 3; i++) {
      t.clock.advance(20);
      t.source.push(loud());
    }
    await t.flush();
    expect(first.sentRtp.length).toBe(before);
    expect(second.sentRtp.length).toBeGreaterThanOrEqual(2);

    // A packet from the peer reaches the engine (its stream counts it) and the snapshot says when.
    const arrivalMs = t.clock.now();
    second.opts.onRtp(buildRtp({ payloadType: 111, sequenceNumber: 1, timestamp: 960, ssrc: 4242, marker: true, payload: new Uint8Array([0x78, 1, 2]) }), arrivalMs);
    t.clock.advance(MEDIA_SNAPSHOT_INTERVAL_MS);
    const snap = t.of('snapshot').at(-1)!.snapshot;
    expect(new Map(snap.peers).get('p')!.receive.received).toBe(1);
    expect(new Map(snap.links).get(2)!.lastPacketMs).toBe(arrivalMs);
    expect(new Map(snap.links).has(1)).toBe(false);
  });

  it('applies actions, and on stop closes links, stops the engine and reports anchors, send timing and its process figures', async () => {
    const t = setup();
    t.host.handle({ op: 'init', config: CONFIG });
    await t.flush();
    t.host.handle({ op: 'start' });
    await t.flush();
    t.host.handle({ op: 'set-self', what: 'muted', value: true });
    t.host.handle({ op: 'set-self', what: 'deafened', value: true });
    t.host.handle({ op: 'add-peer', peerId: 'p' });
    t.host.handle({ op: 'peer-volume', peerId: 'p', percent: 150 });
    t.host.handle({ op: 'peer-muted', peerId: 'p', muted: true });
    t.host.handle({ op: 'link-create', linkId: 3, spec: { peerId: 'p', role: 'offerer', iceServers: [], ssrc: 1, cname: 'c' } });
    await t.flush();
    t.clock.advance(20);
    t.source.push(loud());
    t.clock.advance(MEDIA_SNAPSHOT_INTERVAL_MS);
    const snap = t.of('snapshot').at(-1)!.snapshot;
    expect(snap.self).toMatchObject({ muted: true, deafened: true });
    expect(new Map(snap.peers).get('p')).toMatchObject({ volumePercent: 150, mutedByMe: true });
    // Between whole snapshots, levels alone: four in each snapshot period, with our state and each peer's level.
    const levels = t.of('levels');
    expect(levels.length).toBe(4 * t.of('snapshot').length);
    expect(levels.at(-1)!.levels).toEqual({ self: expect.objectContaining({ muted: true }), peers: [['p', expect.any(Number), false]] });

    t.host.handle({ op: 'stop' });
    await t.flush();
    const stopped = t.of('stopped');
    expect(stopped).toHaveLength(1);
    expect(t.links[0]!.closed).toBe(true);
    expect(t.stopped()).toBe(1);
    const report = stopped[0]!.report;
    expect(report.anchors.firstInputNs).not.toBeNull();
    expect(report.sendTiming?.captureLatenessMs.count).toBe(1);
    expect(report.process.uptimeMs).toBeGreaterThan(0);
    // Stopping twice reports once.
    t.host.handle({ op: 'stop' });
    await t.flush();
    expect(t.of('stopped')).toHaveLength(1);
  });

  it('a link that said goodbye closes natively only GOODBYE_FLUSH_MS later (the BYE leaves first), and stop waits for it', async () => {
    const t = setup();
    const { link } = await withMeshPeer(t);
    link.setState('connected');
    t.host.handle({ op: 'link-goodbye', linkId: 1 });
    expect(link.goodbyes).toHaveLength(1);
    t.host.handle({ op: 'link-close', linkId: 1 });
    t.host.handle({ op: 'stop' });
    await t.flush();
    // Gone for control and the engine at once, but the native link is still up and nothing is stopped yet.
    expect(link.closed).toBe(false);
    expect(t.of('stopped')).toHaveLength(0);
    t.clock.advance(GOODBYE_FLUSH_MS - 1);
    await t.flush();
    expect(link.closed).toBe(false);
    t.clock.advance(1);
    await t.flush();
    expect(link.closed).toBe(true);
    expect(t.of('stopped')).toHaveLength(1);
  });

  it('a link closed without a goodbye closes at once', async () => {
    const t = setup();
    const { link } = await withMeshPeer(t);
    link.setState('connected');
    t.host.handle({ op: 'link-close', linkId: 1 });
    expect(link.closed).toBe(true);
  });

  it('noise suppression: on from the config (RNNoise loaded before capture starts), switched by set-self and per peer', async () => {
    const t = setup();
    t.host.handle({ op: 'init', config: { ...CONFIG, media: { ...CONFIG.media, noiseSuppression: true } } });
    await t.flush();
    t.host.handle({ op: 'start' });
    // start() waits for the wasm to load (real time, not the manual clock).
    for (let i = 0; i < 200 && t.of('started').length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(t.of('started')[0]!.snapshot.self.processing['noise-suppression']).toBe('on');
    t.host.handle({ op: 'add-peer', peerId: 'p' });
    t.host.handle({ op: 'peer-noise-suppression', peerId: 'p', enabled: true });
    t.host.handle({ op: 'set-processing', stage: 'noise-suppression', enabled: false });
    await new Promise((r) => setTimeout(r, 5));
    t.clock.advance(MEDIA_SNAPSHOT_INTERVAL_MS);
    const snap = t.of('snapshot').at(-1)!.snapshot;
    expect(snap.self.processing['noise-suppression']).toBe('off');
    expect(new Map(snap.peers).get('p')).toMatchObject({ noiseSuppression: true });
    t.host.handle({ op: 'stop' });
    await t.flush();
    // Its cost goes into the final report (join's --stats).
    expect(t.of('stopped')[0]!.report.filterCosts).toEqual([expect.objectContaining({ name: 'noise-suppression', enabled: false })]);
  });

  it('reports an audio end that cannot start, a link that cannot be built, and logs through control at the chosen level', async () => {
    const clock = new ManualClock(0);
    const sent: FromMedia[] = [];
    const host = new MediaHost({
      send: (m) => sent.push(m),
      clock,
      openAudio: async () => ({
        source: new ManualSource(20, clock),
        sink: {
          frameMs: 10,
          underflows: 0,
          start: () => Promise.reject(Object.assign(new Error('No default device'), { name: 'AudioDeviceError' })),
          stop: () => Promise.resolve(),
        },
      }),
      makeLink: () => {
        throw new Error('bad ICE server');
      },
    });
    host.handle({ op: 'init', config: { ...CONFIG, logLevel: 'warn' } });
    for (let i = 0; i < 10; i++) await Promise.resolve();
    host.handle({ op: 'start' });
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(sent.find((m) => m.ev === 'start-failed')).toEqual({ ev: 'start-failed', name: 'AudioDeviceError', message: 'No default device' });
    host.handle({ op: 'link-create', linkId: 9, spec: { peerId: 'p', role: 'offerer', iceServers: [], ssrc: 1, cname: 'c' } });
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(sent.find((m) => m.ev === 'link-failed')).toEqual({ ev: 'link-failed', linkId: 9, message: 'bad ICE server' });
    host.logger.info('quiet', {});
    host.logger.warn('loud', { err: new Error('why') });
    const logs = sent.filter((m) => m.ev === 'log');
    expect(logs).toEqual([{ ev: 'log', level: 'warn', event: 'loud', fields: { err: 'why' } }]);
  });
});
