/**
 * The media side of one participant, answering the control side's messages
 * (media/host-protocol.ts): it owns the MediaEngine, the audio ends and the
 * peer links, so capture → encode → send and receive → decode → mix →
 * playback never wait on the terminal UI's event loop, its renders or its
 * garbage collection (docs/architecture.md §1). Packets go from each link
 * straight into the engine here (media/engine-links.ts); control learns of
 * them only as "last packet at" in the snapshot it gets every 100 ms.
 *
 * The class takes a `send` function, so it runs the same in the media
 * process (media/media-process.ts) and in a unit test.
 */
import { monotonicClock, type Clock, type TimerHandle } from '../../core/clock.js';
import type { LogFields, Logger } from '../../core/logger.js';
import { openAudio, type AudioFallback, type OpenedAudio, type AudioEndsSpec } from '../audio/open.js';
import { GOODBYE_FLUSH_MS, type LinkState } from '../mesh/peer-link.js';
import { PROCESSING_OFF, RECORDING_OFF, type LinkFactory, type SessionLink } from './media-port.js';
import { engineLinkFactory, makePeerLink, type MakeLink } from './engine-links.js';
import type { FromMedia, LinkSpec, LinkStatus, MediaHostConfig, MediaLevels, MediaSnapshot, ToMedia } from './host-protocol.js';
import { MEDIA_LEVELS_INTERVAL_MS, MEDIA_SNAPSHOT_INTERVAL_MS } from './host-protocol.js';
import { MediaEngine } from './media-engine.js';
import { SendTiming } from './send-timing.js';
import { processFigures } from '../../core/process-figures.js';
import { emptyCaptureStats } from '../send/capture-pipeline.js';
import { SfuMedia, type SfuMediaOptions } from '../sfu/sfu-media.js';
import { janusRoomNumber } from '../sfu/janus-room.js';
import { PeerPaths } from './peer-paths.js';
import type { SfuSpec } from './host-protocol.js';
import type { PeerTransport } from './media-port.js';
import type { MediaPath } from '../api.js';
import { isRtcp } from '../rtcp/packets.js';

export interface MediaHostOptions {
  send(message: FromMedia): void;
  /** Default: node-datachannel PeerLinks. */
  makeLink?: MakeLink;
  /** Default: openAudio (WAV files, devices). */
  openAudio?: (spec: AudioEndsSpec, logger: Logger, onFallback: (f: AudioFallback) => void) => Promise<OpenedAudio>;
  clock?: Clock;
  /** Builds our SFU path (default SfuMedia, which talks to Janus); tests give a fake one. */
  makeSfu?: (options: SfuMediaOptions) => Pick<SfuMedia, 'start' | 'stop' | 'stats'>;
  /** Called once everything is stopped and closed (the process then releases the native library and exits). */
  onStopped?: () => void;
}

interface HostedLink {
  readonly peerId: string;
  readonly link: SessionLink;
  lastPacketMs: number | null;
  closed: boolean;
  /** When this link said goodbye (an RTCP BYE, link-goodbye), or null. */
  goodbyeAtMs: number | null;
}

const LEVEL_RANK = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/** How long a stop waits for each of its steps before it goes on without it (see MediaHost.stop). */
export const MEDIA_STOP_STEP_MS = 5000;

export class MediaHost {
  private readonly opts: MediaHostOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private engine: MediaEngine | undefined;
  private timing: SendTiming | undefined;
  /** Builds links whose packets go into the engine (timed when send timing is on); made once with the engine. */
  private linkFactory: LinkFactory | undefined;
  private readonly links = new Map<number, HostedLink>();
  /** The link each peer's send loop uses: the newest one built for it. */
  private readonly currentLink = new Map<string, HostedLink>();
  /** Native closes waiting for a goodbye to leave (closeLink). */
  private readonly closingLinks = new Set<Promise<void>>();
  /** Which path feeds each remote peer's stream (mesh link, SFU subscription, or both while a room switches). */
  private readonly paths = new PeerPaths();
  /** Each peer's SFU subscription, for its receiver reports. */
  private readonly subs = new Map<string, PeerTransport>();
  /** Our media through the SFU instead of links (docs/architecture.md §11), once asked. */
  private sfu: Pick<SfuMedia, 'start' | 'stop' | 'stats'> | undefined;
  private snapshotTimer: TimerHandle | undefined;
  private minLevel: number = LEVEL_RANK.info;
  private stopping: Promise<void> | undefined;
  /**
   * init, start and stop run one after another. A stop that arrived while
   * init was still opening the audio ends (the control process died during
   * start-up, closing the IPC channel) used to find no engine, report
   * 'stopped', and leave init to build an engine afterwards that nothing
   * would ever stop: the media process outlived its participant (found as
   * orphans after a `create` whose output pipe closed early).
   */
  private lifecycle: Promise<void> = Promise.resolve();

  constructor(options: MediaHostOptions) {
    this.opts = options;
    this.clock = options.clock ?? monotonicClock;
    this.log = this.forwardingLogger({});
  }

  /** The host's logger: lines reach the control side's logger. */
  get logger(): Logger {
    return this.log;
  }

  /** One message from control. Never throws: a failure is reported back. */
  handle(message: ToMedia): void {
    void this.dispatch(message).catch((err: unknown) => {
      this.log.error('media-host-failed', { op: message.op, error: err instanceof Error ? err.message : String(err) });
    });
  }

  private async dispatch(m: ToMedia): Promise<void> {
    switch (m.op) {
      case 'init':
        return this.inOrder(() => this.init(m.config));
      case 'start':
        return this.inOrder(() => this.start());
      case 'stop':
        // Not behind a lifecycle op that never ends (audio ends that never open): that stop would
        // never come, and the process would outlive its participant with its native threads running.
        return this.stop(this.lifecycle);
      case 'add-peer':
        return this.addPeer(m.peerId);
      case 'remove-peer':
        return this.removeMeshPeer(m.peerId);
      case 'set-self':
        return this.setSelf(m.what, m.value);
      case 'set-processing':
        this.requireEngine().setProcessing(m.stage, m.enabled);
        return;
      case 'peer-volume':
        this.engine?.setPeerVolume(m.peerId, m.percent);
        return;
      case 'peer-muted':
        this.engine?.setPeerMuted(m.peerId, m.muted);
        return;
      case 'peer-noise-suppression':
        this.engine?.setPeerNoiseSuppression(m.peerId, m.enabled);
        return;
      case 'set-device':
        this.requireEngine().setDevice(m.end, m.device);
        return;
      case 'refresh-devices':
        this.requireEngine().refreshDevices();
        return;
      case 'set-recording':
        this.requireEngine().setRecording(m.recording, m.path);
        return;
      case 'sfu-start':
        return this.startSfu(m.spec);
      case 'sfu-stop':
        return this.stopSfu();
      case 'prefer-path':
        this.paths.preferred = m.path;
        return;
      case 'link-create':
        return this.createLink(m.linkId, m.spec);
      case 'link-start':
        this.links.get(m.linkId)?.link.start();
        return;
      case 'link-signal':
        this.links.get(m.linkId)?.link.handleSignal(m.signal);
        return;
      case 'link-close':
        return this.closeLink(m.linkId);
      case 'link-chat':
        this.links.get(m.linkId)?.link.sendChat(m.text);
        return;
      case 'link-goodbye': {
        const hosted = this.links.get(m.linkId);
        if (hosted?.link.sayGoodbye?.() === true) hosted.goodbyeAtMs = this.clock.now();
        return;
      }
    }
  }

  private inOrder(op: () => Promise<void>): Promise<void> {
    const next = this.lifecycle.then(op);
    this.lifecycle = next.catch(() => undefined);
    return next;
  }

  private async init(config: MediaHostConfig): Promise<void> {
    if (this.stopping !== undefined) return;
    if (this.engine !== undefined) throw new Error('media host already initialised');
    this.minLevel = LEVEL_RANK[config.logLevel ?? 'info'];
    const opened = await (this.opts.openAudio ?? openAudio)(config.audio, this.log, (f) => {
      this.log.warn(f.end === 'input' ? 'no-input-device' : 'no-output-device', { error: f.message, ...(f.path !== undefined ? { output: f.path } : {}) });
      this.opts.send({ ev: 'audio-fallback', fallback: f });
    });
    if (this.stopping !== undefined) {
      // The stop went on without us (opening took longer than it waits): close what we opened, build nothing.
      await Promise.allSettled([opened.source.stop(), opened.sink.stop()]);
      return;
    }
    let source = opened.source;
    if (config.sendTiming === true) {
      this.timing = new SendTiming(config.media.frameMs, this.clock);
      source = this.timing.source(source);
    }
    // With send timing (--stats), the filter stages are timed too.
    const engine = new MediaEngine({
      ...config.media,
      timeFilters: config.sendTiming === true,
      source,
      sink: opened.sink,
      ...(opened.control !== undefined ? { audioEnds: opened.control } : {}),
      clock: this.clock,
      logger: this.log,
    });
    engine.onSourceEnd = () => this.opts.send({ ev: 'source-ended' });
    this.engine = engine;
    const make = this.opts.makeLink ?? makePeerLink;
    // Mesh packets reach a peer's stream only while it plays from the mesh (receiveFrom).
    const meshReceiver = { receive: (id: string, packet: Uint8Array, arrivalMs?: number) => this.receiveFrom('mesh', id, packet, arrivalMs) };
    this.linkFactory = engineLinkFactory(meshReceiver, this.timing !== undefined ? this.timing.makeLink(make) : make);
    this.opts.send({ ev: 'ready', ssrc: engine.ssrc, frameMs: engine.frameMs, playbackFrameMs: engine.playbackFrameMs });
  }

  private async start(): Promise<void> {
    if (this.stopping !== undefined) return;
    const engine = this.requireEngine();
    try {
      await engine.start();
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      this.opts.send({ ev: 'start-failed', name: e.name, message: e.message });
      return;
    }
    this.opts.send({ ev: 'started', snapshot: this.snapshot() });
    this.scheduleSnapshot();
  }

  /**
   * `pending`: the lifecycle op under way (init or start), finished first so
   * that an engine it is building is stopped too. Each step may take up to
   * MEDIA_STOP_STEP_MS; one that takes longer is logged (`media-stop-stuck`,
   * with the step) and the stop goes on without it, so the process still
   * releases the native library and ends.
   */
  private stop(pending: Promise<void> = Promise.resolve()): Promise<void> {
    this.stopping ??= (async () => {
      await this.bounded('pending-op', pending);
      if (this.snapshotTimer !== undefined) this.clock.clearTimer(this.snapshotTimer);
      this.snapshotTimer = undefined;
      // Links first (no more packets into the engine), then the engine (the output file is complete after it).
      const sfu = this.sfu;
      if (sfu !== undefined) {
        await this.bounded('sfu', sfu.stop());
        // What went through the SFU (frames sealed and opened, our uplink's bytes): once, at the end.
        this.log.info('sfu-stopped', { ...sfu.stats });
      }
      for (const id of [...this.links.keys()]) this.closeLink(id);
      // Links that said goodbye close a moment later: all of them before the process may end.
      await this.bounded('links', Promise.all([...this.closingLinks]));
      const engine = this.engine;
      if (engine !== undefined) await this.bounded('engine', engine.stop());
      this.opts.send({
        ev: 'stopped',
        snapshot: this.snapshot(),
        report: {
          anchors: engine?.anchors ?? { firstInputNs: null, firstOutputNs: null },
          captureStats: engine?.captureStats ?? emptyCaptureStats(),
          outputUnderflows: engine?.outputUnderflows ?? 0,
          outputUnderflowsAfterWarmup: engine?.outputUnderflowsAfterWarmup ?? 0,
          sendTiming: this.timing?.summary() ?? null,
          filterCosts: engine?.filterCosts ?? [],
          process: processFigures(),
        },
      });
      this.opts.onStopped?.();
    })();
    return this.stopping;
  }

  /** Wait for `work` for at most MEDIA_STOP_STEP_MS; a failure or a timeout is logged, never thrown. */
  private async bounded(step: string, work: Promise<unknown>): Promise<void> {
    let timer: TimerHandle | undefined;
    const stuck = new Promise<'stuck'>((resolve) => (timer = this.clock.setTimer(() => resolve('stuck'), MEDIA_STOP_STEP_MS)));
    const outcome = await Promise.race([
      work.then(
        () => 'done' as const,
        (err: unknown) => {
          this.log.warn('media-stop-step-failed', { step, error: err instanceof Error ? err.message : String(err) });
          return 'failed' as const;
        },
      ),
      stuck,
    ]);
    if (timer !== undefined) this.clock.clearTimer(timer);
    if (outcome === 'stuck') this.log.error('media-stop-stuck', { step, afterMs: MEDIA_STOP_STEP_MS });
  }

  /** Control's mesh path for a peer: a new stream, or the second path of one the SFU feeds. */
  private addPeer(peerId: string): void {
    const engine = this.requireEngine();
    if (this.paths.add(peerId, 'mesh').kind === 'second') {
      engine.setPeerSending(peerId, true);
      return;
    }
    engine.addPeer(peerId, this.transportOf(peerId));
    this.tellPath(peerId);
  }

  /** Control closed a peer's mesh path (it left, or its stream plays from the SFU now). */
  private removeMeshPeer(peerId: string): void {
    const change = this.paths.remove(peerId, 'mesh');
    if (change.kind === 'gone') return this.dropPeer(peerId);
    if (change.kind === 'none' && !this.paths.has(peerId, 'sfu')) return;
    // It hears us through our uplink now.
    this.engine?.setPeerSending(peerId, false);
    if (change.kind === 'moved') this.moved(peerId, change.to, 'mesh-closed');
  }

  /** An SFU subscription for a peer: a new stream, or the second path of one the mesh feeds. */
  private addSubscription(peerId: string, sub: PeerTransport, options: { cue?: boolean } | undefined): void {
    this.subs.set(peerId, sub);
    // A second path: the stream keeps playing from the mesh until the subscription brings its audio.
    if (this.paths.add(peerId, 'sfu').kind === 'new') this.requireEngine().addPeer(peerId, this.transportOf(peerId), { ...options, receiveOnly: true });
    this.tellPath(peerId);
  }

  private removeSubscription(peerId: string, options: { cue?: boolean } | undefined): void {
    this.subs.delete(peerId);
    const change = this.paths.remove(peerId, 'sfu');
    if (change.kind === 'gone') return this.dropPeer(peerId, options);
    if (change.kind === 'moved') this.moved(peerId, change.to, 'sfu-closed');
    else this.tellPath(peerId);
  }

  private dropPeer(peerId: string, options?: { cue?: boolean }): void {
    this.paths.forget(peerId);
    this.subs.delete(peerId);
    this.engine?.removePeer(peerId, options);
    this.tellPath(peerId);
  }

  /**
   * A packet for a peer's stream from one path (engine/media/peer-paths.ts):
   * packets of the path the stream does not play from never reach it, except
   * that the first RTP packet of the preferred path moves the stream there
   * (an RTCP packet moves nothing: it carries no audio), so the stream
   * changes source between two of its packets rather than after a silence.
   */
  private receiveFrom(path: MediaPath, peerId: string, packet: Uint8Array, arrivalMs?: number): void {
    const engine = this.engine;
    if (engine === undefined) return;
    if (this.paths.from(peerId) !== path && isRtcp(packet)) return;
    const verdict = this.paths.audio(peerId, path);
    if (verdict === 'drop') return;
    if (verdict === 'moved') this.moved(peerId, path, 'audio');
    engine.receive(peerId, packet, arrivalMs);
  }

  private moved(peerId: string, to: MediaPath, reason: 'audio' | 'mesh-closed' | 'sfu-closed'): void {
    this.engine?.newPeerSource(peerId);
    this.log.info('peer-path', { peer: peerId, path: to, reason });
    this.tellPath(peerId);
  }

  /** Control learns where the peer's stream plays from, and whether the SFU brings it (a switch's fallback waits for that). */
  private tellPath(peerId: string): void {
    this.opts.send({ ev: 'peer-path', peerId, path: this.paths.from(peerId) ?? null, sfu: this.paths.has(peerId, 'sfu') });
  }

  /**
   * The engine's transport for one peer, whichever paths it has: our frames go
   * on its current mesh link (none while it hears us through the uplink),
   * receiver reports on the path its stream plays from, and what a packet
   * from the mesh may be (RED) is the mesh link's; the SFU's are plain Opus.
   */
  private transportOf(peerId: string): PeerTransport {
    const meshLink = (): SessionLink | undefined => this.currentLink.get(peerId)?.link;
    const fromSfu = (): boolean => this.paths.from(peerId) === 'sfu';
    return {
      sendRtp: (packet) => meshLink()?.sendRtp(packet) ?? false,
      sendRtcp: (packet) => (fromSfu() ? (this.subs.get(peerId)?.sendRtcp?.(packet) ?? false) : (meshLink()?.sendRtcp(packet) ?? false)),
      isOpen: () => (fromSfu() && meshLink() === undefined ? this.subs.get(peerId)?.isOpen?.() === true : meshLink()?.isOpen === true),
      audioFormat: () => (fromSfu() ? null : (meshLink()?.negotiatedAudio ?? null)),
    };
  }

  /**
   * SfuMedia drives the engine itself; each subscription is a peer under its
   * peer id, listed with the others so snapshots and levels carry it (volume,
   * mute-for-me and speaking work as in the mesh). A peer that also has a
   * mesh path keeps one stream, fed by one path at a time (receiveFrom).
   * Asked again while it runs (a room that came back to the SFU before we
   * left it), it only prefers the SFU again.
   */
  private async startSfu(spec: SfuSpec): Promise<void> {
    const engine = this.requireEngine();
    if (this.stopping !== undefined) return;
    this.paths.preferred = 'sfu';
    if (this.sfu !== undefined) {
      this.opts.send({ ev: 'sfu-started', room: await janusRoomNumber(spec.roomId) });
      return;
    }
    const room = await janusRoomNumber(spec.roomId);
    if (this.stopping !== undefined) return;
    // Another start got in while the number was derived: it answers for both.
    if (this.sfu !== undefined) {
      this.opts.send({ ev: 'sfu-started', room });
      return;
    }
    const sfu = (this.opts.makeSfu ?? ((o: SfuMediaOptions) => new SfuMedia(o)))({
      janusUrl: spec.janusUrl,
      room,
      maxPublishers: spec.maxPublishers,
      peerId: spec.peerId,
      mediaSecret: spec.mediaSecret,
      engine: {
        get ssrc() {
          return engine.ssrc;
        },
        addPeer: (id, transport, options) => this.addSubscription(id, transport, options),
        removePeer: (id, options) => this.removeSubscription(id, options),
        receive: (id, packet, arrivalMs) => this.receiveFrom('sfu', id, packet, arrivalMs),
        addUplink: (id, transport) => engine.addUplink(id, transport),
        removeUplink: (id) => engine.removeUplink(id),
      },
      ...(this.opts.makeLink !== undefined ? { makeLink: this.opts.makeLink } : {}),
      ...(spec.bindAddress !== undefined ? { bindAddress: spec.bindAddress } : {}),
      logger: this.log,
    });
    this.sfu = sfu;
    try {
      await sfu.start();
    } catch (err) {
      await sfu.stop().catch(() => undefined);
      if (this.sfu === sfu) this.sfu = undefined;
      this.paths.preferred = 'mesh';
      this.opts.send({ ev: 'sfu-failed', message: err instanceof Error ? err.message : String(err) });
      return;
    }
    this.log.info('sfu-started', { janus: spec.janusUrl, room });
    this.opts.send({ ev: 'sfu-started', room });
  }

  /** Leave the SFU: every subscription closes (a peer with a mesh path plays from it), then the uplink and the session. */
  private async stopSfu(): Promise<void> {
    const sfu = this.sfu;
    this.sfu = undefined;
    this.paths.preferred = 'mesh';
    await sfu?.stop().catch((err: unknown) => this.log.warn('sfu-stop-failed', { error: err instanceof Error ? err.message : String(err) }));
    if (sfu !== undefined) this.log.info('sfu-stopped', { ...sfu.stats });
    this.opts.send({ ev: 'sfu-stopped' });
  }

  private setSelf(what: 'muted' | 'deafened' | 'pushToTalk' | 'talking', value: boolean): void {
    const engine = this.requireEngine();
    if (what === 'muted') engine.setMuted(value);
    else if (what === 'deafened') engine.setDeafened(value);
    else if (what === 'pushToTalk') engine.setPushToTalk(value);
    else engine.setTalking(value);
  }

  private createLink(linkId: number, spec: LinkSpec): void {
    this.requireEngine();
    const factory = this.linkFactory!;
    let hosted: HostedLink | undefined;
    try {
      const link = factory({
        ...spec,
        clock: this.clock,
        logger: this.log,
        onSignal: (signal) => {
          if (hosted !== undefined && !hosted.closed) this.opts.send({ ev: 'link-signal', linkId, signal });
        },
        onState: (state: LinkState) => {
          if (hosted !== undefined && !hosted.closed) this.opts.send({ ev: 'link-state', linkId, state, status: this.status(hosted) });
        },
        onPacket: (arrivalMs) => {
          if (hosted !== undefined) hosted.lastPacketMs = arrivalMs;
        },
        onChat: (text) => {
          if (hosted !== undefined && !hosted.closed) this.opts.send({ ev: 'link-chat', linkId, text });
        },
        onGoodbye: () => {
          if (hosted !== undefined && !hosted.closed) this.opts.send({ ev: 'link-goodbye', linkId });
        },
      });
      hosted = { peerId: spec.peerId, link, lastPacketMs: null, closed: false, goodbyeAtMs: null };
    } catch (err) {
      this.opts.send({ ev: 'link-failed', linkId, message: err instanceof Error ? err.message : String(err) });
      return;
    }
    this.links.set(linkId, hosted);
    this.currentLink.set(spec.peerId, hosted);
  }

  /** The link is gone for control and the engine at once; its native close waits for a goodbye it just sent (GOODBYE_FLUSH_MS). */
  private closeLink(linkId: number): void {
    const hosted = this.links.get(linkId);
    if (hosted === undefined) return;
    this.links.delete(linkId);
    hosted.closed = true;
    if (this.currentLink.get(hosted.peerId) === hosted) this.currentLink.delete(hosted.peerId);
    const waitMs = hosted.goodbyeAtMs === null ? 0 : GOODBYE_FLUSH_MS - (this.clock.now() - hosted.goodbyeAtMs);
    if (waitMs <= 0) return this.closeNative(hosted);
    const done = new Promise<void>((resolve) =>
      this.clock.setTimer(() => {
        this.closeNative(hosted);
        this.closingLinks.delete(done);
        resolve();
      }, waitMs),
    );
    this.closingLinks.add(done);
  }

  private closeNative(hosted: HostedLink): void {
    try {
      hosted.link.close();
    } catch (err) {
      this.log.warn('link-close-failed', { peer: hosted.peerId, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private status(hosted: HostedLink): LinkStatus {
    return {
      isOpen: hosted.link.isOpen,
      chatOpen: hosted.link.chatOpen,
      stats: hosted.link.stats(),
      pair: hosted.link.selectedCandidatePair(),
      localTypes: hosted.link.localCandidateTypes(),
      lastPacketMs: hosted.lastPacketMs,
    };
  }

  private snapshot(): MediaSnapshot {
    const engine = this.engine;
    const peers: Array<readonly [string, NonNullable<ReturnType<MediaEngine['peerStats']>>]> = [];
    if (engine !== undefined) {
      for (const id of this.paths.ids()) {
        const s = engine.peerStats(id);
        if (s !== undefined) peers.push([id, s]);
      }
    }
    return {
      self: engine?.self ?? { micLevel: 0, speaking: false, muted: false, deafened: false, pushToTalk: false, talking: false, processing: PROCESSING_OFF, recording: RECORDING_OFF },
      peers,
      links: [...this.links].map(([id, hosted]) => [id, this.status(hosted)] as const),
      anchors: engine?.anchors ?? { firstInputNs: null, firstOutputNs: null },
      captureStats: engine?.captureStats ?? emptyCaptureStats(),
      outputUnderflows: engine?.outputUnderflows ?? 0,
          outputUnderflowsAfterWarmup: engine?.outputUnderflowsAfterWarmup ?? 0,
    };
  }

  /** Levels every MEDIA_LEVELS_INTERVAL_MS, and in place of every so many of them the whole snapshot (host-protocol.ts). */
  private scheduleSnapshot(tick = 1): void {
    const fullEvery = Math.max(1, Math.round(MEDIA_SNAPSHOT_INTERVAL_MS / MEDIA_LEVELS_INTERVAL_MS));
    this.snapshotTimer = this.clock.setTimer(() => {
      this.snapshotTimer = undefined;
      if (this.stopping !== undefined) return;
      if (tick % fullEvery === 0) this.opts.send({ ev: 'snapshot', snapshot: this.snapshot() });
      else this.opts.send({ ev: 'levels', levels: this.levels() });
      this.scheduleSnapshot(tick + 1);
    }, MEDIA_LEVELS_INTERVAL_MS);
  }

  private levels(): MediaLevels {
    const engine = this.requireEngine();
    const peers: Array<readonly [string, number, boolean]> = [];
    for (const id of this.paths.ids()) {
      const level = engine.peerLevel(id);
      if (level !== undefined) peers.push([id, level.level, level.speaking]);
    }
    return { self: engine.self, peers };
  }

  private requireEngine(): MediaEngine {
    if (this.engine === undefined) throw new Error('media host not initialised');
    return this.engine;
  }

  /** Log lines go to control's logger (events, never per frame). */
  private forwardingLogger(base: LogFields): Logger {
    const emit = (level: 'debug' | 'info' | 'warn' | 'error', event: string, fields?: LogFields): void => {
      if (LEVEL_RANK[level] < this.minLevel) return;
      this.opts.send({ ev: 'log', level, event, fields: plainFields({ ...base, ...fields }) });
    };
    return {
      debug: (e, f) => emit('debug', e, f),
      info: (e, f) => emit('info', e, f),
      warn: (e, f) => emit('warn', e, f),
      error: (e, f) => emit('error', e, f),
      child: (fields) => this.forwardingLogger({ ...base, ...fields }),
      close: () => Promise.resolve(),
    };
  }
}

/** Errors and other class instances do not survive structured cloning intact: keep their words. */
function plainFields(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error) out[k] = v.message;
    else if (typeof v === 'function' || typeof v === 'symbol') continue;
    else out[k] = v;
  }
  return out;
}

