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
import type { LinkState } from '../mesh/peer-link.js';
import { PROCESSING_OFF, RECORDING_OFF, type LinkFactory, type SessionLink } from './media-port.js';
import { engineLinkFactory, makePeerLink, type MakeLink } from './engine-links.js';
import type { FromMedia, LinkSpec, LinkStatus, MediaHostConfig, MediaLevels, MediaSnapshot, ToMedia } from './host-protocol.js';
import { MEDIA_LEVELS_INTERVAL_MS, MEDIA_SNAPSHOT_INTERVAL_MS } from './host-protocol.js';
import { MediaEngine } from './media-engine.js';
import { SendTiming } from './send-timing.js';
import { processFigures } from '../../core/process-figures.js';
import { emptyCaptureStats } from '../send/capture-pipeline.js';
import { SfuMedia } from '../sfu/sfu-media.js';
import { janusRoomNumber } from '../sfu/janus-room.js';
import type { SfuSpec } from './host-protocol.js';

export interface MediaHostOptions {
  send(message: FromMedia): void;
  /** Default: node-datachannel PeerLinks. */
  makeLink?: MakeLink;
  /** Default: openAudio (WAV files, devices). */
  openAudio?: (spec: AudioEndsSpec, logger: Logger, onFallback: (f: AudioFallback) => void) => Promise<OpenedAudio>;
  clock?: Clock;
  /** Called once everything is stopped and closed (the process then releases the native library and exits). */
  onStopped?: () => void;
}

interface HostedLink {
  readonly peerId: string;
  readonly link: SessionLink;
  lastPacketMs: number | null;
  closed: boolean;
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
  private readonly peers = new Set<string>();
  /** Our media through the SFU instead of links (docs/architecture.md §11), once asked. */
  private sfu: SfuMedia | undefined;
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
        this.peers.delete(m.peerId);
        this.engine?.removePeer(m.peerId);
        return;
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
    this.linkFactory = engineLinkFactory(engine, this.timing !== undefined ? this.timing.makeLink(make) : make);
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
      if (this.sfu !== undefined) await this.bounded('sfu', this.sfu.stop());
      for (const id of [...this.links.keys()]) this.closeLink(id);
      const engine = this.engine;
      if (engine !== undefined) await this.bounded('engine', engine.stop());
      this.opts.send({
        ev: 'stopped',
        snapshot: this.snapshot(),
        report: {
          anchors: engine?.anchors ?? { firstInputNs: null, firstOutputNs: null },
          captureStats: engine?.captureStats ?? emptyCaptureStats(),
          outputUnderflows: engine?.outputUnderflows ?? 0,
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

  private addPeer(peerId: string): void {
    const engine = this.requireEngine();
    this.peers.add(peerId);
    // The send loop follows whatever link is current, so a rebuilt link keeps the peer's stream and stats.
    engine.addPeer(peerId, {
      sendRtp: (packet) => this.currentLink.get(peerId)?.link.sendRtp(packet) ?? false,
      sendRtcp: (packet) => this.currentLink.get(peerId)?.link.sendRtcp(packet) ?? false,
      isOpen: () => this.currentLink.get(peerId)?.link.isOpen === true,
      audioFormat: () => this.currentLink.get(peerId)?.link.negotiatedAudio ?? null,
    });
  }

  /**
   * SfuMedia drives the engine itself; each subscription is a peer under its
   * peer id, listed with the others so snapshots and levels carry it (volume,
   * mute-for-me and speaking work as in the mesh).
   */
  private async startSfu(spec: SfuSpec): Promise<void> {
    const engine = this.requireEngine();
    if (this.sfu !== undefined || this.stopping !== undefined) return;
    const room = janusRoomNumber(spec.roomId);
    const peers = this.peers;
    const sfu = new SfuMedia({
      janusUrl: spec.janusUrl,
      room,
      maxPublishers: spec.maxPublishers,
      peerId: spec.peerId,
      mediaSecret: spec.mediaSecret,
      engine: {
        get ssrc() {
          return engine.ssrc;
        },
        addPeer: (id, transport, options) => {
          peers.add(id);
          engine.addPeer(id, transport, options);
        },
        removePeer: (id, options) => {
          peers.delete(id);
          engine.removePeer(id, options);
        },
        receive: (id, packet, arrivalMs) => engine.receive(id, packet, arrivalMs),
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
      this.sfu = undefined;
      this.opts.send({ ev: 'sfu-failed', message: err instanceof Error ? err.message : String(err) });
      return;
    }
    this.log.info('sfu-started', { janus: spec.janusUrl, room });
    this.opts.send({ ev: 'sfu-started', room });
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
      });
      hosted = { peerId: spec.peerId, link, lastPacketMs: null, closed: false };
    } catch (err) {
      this.opts.send({ ev: 'link-failed', linkId, message: err instanceof Error ? err.message : String(err) });
      return;
    }
    this.links.set(linkId, hosted);
    this.currentLink.set(spec.peerId, hosted);
  }

  private closeLink(linkId: number): void {
    const hosted = this.links.get(linkId);
    if (hosted === undefined) return;
    this.links.delete(linkId);
    hosted.closed = true;
    if (this.currentLink.get(hosted.peerId) === hosted) this.currentLink.delete(hosted.peerId);
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
      for (const id of this.peers) {
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
    for (const id of this.peers) {
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

