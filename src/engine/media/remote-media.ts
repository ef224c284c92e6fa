/**
 * The control side's handle on a participant's media process
 * (docs/architecture.md §1): a MediaPort and a LinkFactory whose work is
 * done in a child process (media/media-process.ts running a MediaHost).
 *
 * Why a process and not a worker thread: node-datachannel's cleanup() is
 * process-wide and its native threads call back into the JS thread that
 * created each object, and a native fault (libdatachannel, PortAudio) in a
 * worker ends the whole process, terminal UI included. In a child process
 * the UI's event loop, renders and garbage collection cannot reach the
 * audio, and a media crash is reported in words instead of killing the UI.
 *
 * What crosses the boundary is small and rare (host-protocol.ts): actions,
 * link signals and states, and a snapshot every 100 ms. Control states the
 * user sets (mute, deafen, push-to-talk, volumes, noise suppression) are
 * kept here as well, so a snapshot taken right after an action already
 * shows it; only the media process can tell that noise suppression is
 * unavailable, and its snapshot says so. A recording is the media
 * process's (whether its file opened, how long it is, a full disk); until
 * its next snapshot takes up a start or a stop asked here, it shows as
 * 'starting' or 'stopping', so a second key press reads the first.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { siblingEntry } from '../../core/child-entry.js';
import { enginePriority, favourMediaProcess, raiseMediaToRealtime } from './scheduling.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { FrameMs } from '../../core/media-format.js';
import type { AudioFallback } from '../audio/open.js';
import { toNativeIceServers } from '../mesh/ice-servers.js';
import { emptyLinkStats, type CandidatePair, type LinkState, type PeerLinkStats } from '../mesh/peer-link.js';
import type { LinkFactory, SessionLink, SessionLinkOptions } from './media-port.js';
import { emptyCaptureStats, type CapturePipelineStats } from '../send/capture-pipeline.js';
import type { FinalMediaReport, FromMedia, LinkStatus, MediaHostConfig, MediaLevels, MediaSnapshot, SfuSpec, ToMedia } from './host-protocol.js';
import type { AudioEndName } from '../audio/audio-ends.js';
import { RECORDING_OFF, type MediaAnchors, type MediaPort, type EnginePriority, type PeerMediaStats, type PeerTransport, type ProcessingStates, type RecordingState, type SelfMediaState } from './media-port.js';
import type { FilterState } from '../dsp/filter-chain.js';
import type { FilterStageName } from '../dsp/frame-filter.js';
import type { MediaPath } from '../api.js';

const STDERR_TAIL_CHARS = 4000;
/** A media process that has not finished stopping after this long is ended (its output may be incomplete). */
const STOP_TIMEOUT_MS = 15_000;

export interface RemoteMediaOptions {
  readonly config: MediaHostConfig;
  /** Where the media process's log lines go (with component fields of their own). */
  readonly logger?: Logger;
  /** A device could not open and the call goes on without it (the demo's fallback). */
  readonly onAudioFallback?: (fallback: AudioFallback) => void;
  /** How long a running media process may say nothing before it is taken for hung (default MEDIA_UNRESPONSIVE_MS). */
  readonly unresponsiveAfterMs?: number;
  /** Ask for real-time scheduling of the media process (config audio.realtimePriority; scheduling.ts). Default true. */
  readonly realtimePriority?: boolean;
}

/**
 * A running media process sends its levels every 100 ms. One that says
 * nothing for this long is hung, not busy (it runs at a raised priority):
 * seen with libdatachannel 0.24.5 through a TURN relay, a lock-order
 * deadlock between libjuice's poll thread (its state callback starting the
 * DTLS transport, under the agent lock) and a worker sending a DTLS flight
 * through the relay (under the transport's lock, wanting the agent lock);
 * libdatachannel fixed it upstream after 0.24.5 (docs/architecture.md §6).
 * JavaScript cannot reach a thread parked on a native lock, so the control
 * process ends the media process and the session fails with a message
 * that says so, rather than leaving a silent call and, after it, an orphan.
 */
export const MEDIA_UNRESPONSIVE_MS = 10_000;

/** Error raised on the control side for an error the media process reported, keeping its name (e.g. AudioDeviceError). */
class MediaProcessError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export class RemoteMedia implements MediaPort {
  readonly frameMs: FrameMs;
  readonly playbackFrameMs: FrameMs;
  onSourceEnd: (() => void) | undefined;
  onFailure: ((message: string) => void) | undefined;

  private readonly opts: RemoteMediaOptions;
  private readonly log: Logger;
  private child: ChildProcess | undefined;
  private ssrcValue: number | undefined;
  private snap: MediaSnapshot | undefined;
  private peerMap = new Map<string, PeerMediaStats>();
  /** The path each peer's stream plays from, as the media process last said (peer-path). */
  private readonly paths = new Map<string, MediaPath>();
  /** Peers whose SFU subscription is up (peer-path). */
  private readonly sfuStreams = new Set<string>();
  private reportValue: FinalMediaReport | undefined;
  private stderrTail = '';
  private waiters: Array<{ match: (m: FromMedia) => boolean; resolve: (m: FromMedia) => void; reject: (e: Error) => void }> = [];
  private readonly links = new Map<number, RemoteLink>();
  private nextLinkId = 1;
  private exited: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private stoppedCleanly = false;
  private exitMessage: string | undefined;
  /** When the media process last said anything (performance.now()), and the watch over it while it runs. */
  private lastHeardMs = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private unresponsiveMs: number | null = null;
  private failed = false;
  /** How the system schedules the media process (SelfMediaState.priority), once it has started. */
  private priority: EnginePriority | undefined;
  // What the user set, authoritative here (the media process applies it).
  private muted = false;
  private deafened = false;
  private pushToTalk = false;
  private talking = false;
  private readonly processing: Record<FilterStageName, boolean>;
  private readonly volumes = new Map<string, number>();
  private readonly mutedPeers = new Map<string, boolean>();
  private readonly suppressedPeers = new Map<string, boolean>();
  /** A recording start or stop sent, not yet seen in a snapshot (with the count the snapshot had). */
  private recordingAsked: { readonly on: boolean; readonly path: string | null; readonly count: number } | undefined;

  constructor(options: RemoteMediaOptions) {
    this.opts = options;
    this.log = (options.logger ?? silentLogger).child({ component: 'media-process' });
    this.frameMs = options.config.media.frameMs;
    this.playbackFrameMs = options.config.audio.playbackFrameMs;
    const media = options.config.media;
    this.processing = {
      'echo-cancellation': media.echoCancellation ?? false,
      'noise-suppression': media.noiseSuppression ?? false,
      'auto-gain': media.autoGain ?? false,
    };
  }

  get ssrc(): number {
    if (this.ssrcValue === undefined) throw new Error('the media process has not started yet');
    return this.ssrcValue;
  }

  /** The media process's pid while it runs (diagnostics, tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Links built in the media process; the room sees them as SessionLinks. */
  readonly linkFactory: LinkFactory = (options) => new RemoteLink(this, this.nextLinkId++, options);

  /** Spawn the media process, open the audio ends, start capture and playback. */
  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error('media process already started');
    const { script, execArgv } = siblingEntry(import.meta.url, 'media-process');
    const child = fork(script, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child = child;
    // Before 'start': the audio device process it spawns inherits the raised priority.
    const scheduling = child.pid !== undefined ? favourMediaProcess(child.pid, this.log) : undefined;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    child.on('message', (m) => this.onMessage(m as FromMedia));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.onExit(code, signal);
        resolve();
      });
    });
    child.once('error', (err) => this.log.error('media-process-error', { error: err.message }));
    const ready = this.next((m) => m.ev === 'ready');
    this.send({ op: 'init', config: this.opts.config });
    const r = await ready;
    if (r.ev === 'ready') this.ssrcValue = r.ssrc;
    // Real time only once it has loaded: compiling its modules at that priority would hold a core
    // from everything else for a few hundred milliseconds. Before 'start', for the same reason as above.
    const realtime = child.pid !== undefined && this.opts.realtimePriority !== false && (await raiseMediaToRealtime(child.pid, this.log));
    this.priority = enginePriority(realtime, scheduling?.mediaNice ?? null);
    const started = this.next((m) => m.ev === 'started' || m.ev === 'start-failed');
    this.send({ op: 'start' });
    const s = await started;
    if (s.ev === 'start-failed') {
      await this.stop().catch(() => undefined);
      throw new MediaProcessError(s.name, s.message);
    }
    if (s.ev === 'started') this.applySnapshot(s.snapshot);
    this.watch(child);
  }

  /** Take the media process for hung after unresponsiveAfterMs of silence (see MEDIA_UNRESPONSIVE_MS). */
  private watch(child: ChildProcess): void {
    const limitMs = this.opts.unresponsiveAfterMs ?? MEDIA_UNRESPONSIVE_MS;
    this.lastHeardMs = performance.now();
    this.watchdog = setInterval(() => {
      const silentMs = performance.now() - this.lastHeardMs;
      if (this.stopping !== undefined || this.failed || silentMs <= limitMs) return;
      clearInterval(this.watchdog);
      this.unresponsiveMs = silentMs;
      this.log.error('media-process-unresponsive', { silentMs: Math.round(silentMs), pid: child.pid, action: 'killed' });
      child.kill('SIGKILL');
    }, Math.min(1000, limitMs / 4));
    this.watchdog.unref(); // the watch never keeps the process alive
  }

  /** Stop the media (the output file is complete), close its links, and wait for the process to end. Idempotent. */
  stop(): Promise<void> {
    clearInterval(this.watchdog);
    this.stopping ??= (async () => {
      const child = this.child;
      if (child === undefined || this.exited === undefined) return;
      if (child.exitCode === null && child.signalCode === null && child.connected) {
        const stopped = this.next((m) => m.ev === 'stopped').catch(() => undefined);
        this.send({ op: 'stop' });
        const timer = setTimeout(() => {
          this.log.error('media-process-stop-timeout', { afterMs: STOP_TIMEOUT_MS });
          child.kill('SIGKILL');
        }, STOP_TIMEOUT_MS);
        await stopped;
        await this.exited;
        clearTimeout(timer);
      } else {
        await this.exited;
      }
      if (!this.stoppedCleanly && !this.failed) throw new Error(this.exitMessage ?? 'the media process ended before finishing the audio');
    })();
    return this.stopping;
  }

  addPeer(id: string, _transport: PeerTransport): void {
    // The media process binds the peer's send loop to its own current link.
    this.send({ op: 'add-peer', peerId: id });
  }

  removePeer(id: string): void {
    this.volumes.delete(id);
    this.mutedPeers.delete(id);
    this.suppressedPeers.delete(id);
    this.peerMap.delete(id);
    this.send({ op: 'remove-peer', peerId: id });
  }

  /** Our media through the SFU (docs/architecture.md §11): resolves with the Janus room number, rejects with Janus's error. */
  async startSfu(spec: SfuSpec): Promise<number> {
    const outcome = this.next((m) => m.ev === 'sfu-started' || m.ev === 'sfu-failed');
    this.send({ op: 'sfu-start', spec });
    const m = await outcome;
    if (m.ev === 'sfu-failed') throw new Error(`cannot reach the room's SFU at ${spec.janusUrl}: ${m.message}`);
    return m.ev === 'sfu-started' ? m.room : 0;
  }

  async stopSfu(): Promise<void> {
    const stopped = this.next((m) => m.ev === 'sfu-stopped');
    this.send({ op: 'sfu-stop' });
    await stopped;
  }

  preferPath(path: MediaPath): void {
    this.send({ op: 'prefer-path', path });
  }

  peerPath(id: string): MediaPath | undefined {
    return this.paths.get(id);
  }

  hasSfuStream(id: string): boolean {
    return this.sfuStreams.has(id);
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    this.send({ op: 'set-self', what: 'muted', value: muted });
  }

  setDeafened(deafened: boolean): void {
    this.deafened = deafened;
    this.send({ op: 'set-self', what: 'deafened', value: deafened });
  }

  setPushToTalk(enabled: boolean): void {
    this.pushToTalk = enabled;
    this.talking = false;
    this.send({ op: 'set-self', what: 'pushToTalk', value: enabled });
  }

  setTalking(pressed: boolean): void {
    this.talking = pressed;
    this.send({ op: 'set-self', what: 'talking', value: pressed });
  }

  setPeerVolume(id: string, percent: number): void {
    if (!Number.isFinite(percent)) return;
    this.volumes.set(id, Math.round(Math.max(0, Math.min(200, percent))));
    this.send({ op: 'peer-volume', peerId: id, percent });
  }

  setPeerMuted(id: string, muted: boolean): void {
    this.mutedPeers.set(id, muted);
    this.send({ op: 'peer-muted', peerId: id, muted });
  }

  setProcessing(stage: FilterStageName, enabled: boolean): void {
    this.processing[stage] = enabled;
    this.send({ op: 'set-processing', stage, enabled });
  }

  setPeerNoiseSuppression(id: string, enabled: boolean): void {
    this.suppressedPeers.set(id, enabled);
    this.send({ op: 'peer-noise-suppression', peerId: id, enabled });
  }

  setDevice(end: AudioEndName, device: string): void {
    this.send({ op: 'set-device', end, device });
  }

  refreshDevices(): void {
    this.send({ op: 'refresh-devices' });
  }

  /** The media process records (its file, its disk); its snapshot says how that goes. */
  setRecording(recording: boolean, path?: string): void {
    this.recordingAsked = { on: recording, path: path ?? null, count: this.snap?.self.recording.count ?? 0 };
    this.send({ op: 'set-recording', recording, ...(path !== undefined ? { path } : {}) });
  }

  /** The media process's recording, or what was just asked of it until a snapshot shows it taken up. */
  private recordingState(): RecordingState {
    const reported = this.snap?.self.recording ?? RECORDING_OFF;
    const asked = this.recordingAsked;
    if (asked === undefined) return reported;
    if (asked.on ? reported.count > asked.count || reported.state !== 'off' : reported.state === 'off') {
      this.recordingAsked = undefined;
      return reported;
    }
    return asked.on ? { state: 'starting', path: asked.path, seconds: 0, error: null, count: asked.count + 1 } : { ...reported, state: 'stopping' };
  }

  get self(): SelfMediaState {
    const s = this.snap?.self;
    const gateShut = this.muted || (this.pushToTalk && !this.talking);
    return {
      micLevel: s?.micLevel ?? 0,
      speaking: (s?.speaking ?? false) && !gateShut,
      muted: this.muted,
      deafened: this.deafened,
      pushToTalk: this.pushToTalk,
      talking: this.talking,
      processing: this.processingStates(s?.processing),
      ...(s?.audio !== undefined ? { audio: s.audio } : {}),
      recording: this.recordingState(),
      ...(this.priority !== undefined ? { priority: this.priority } : {}),
      ...(s?.codec !== undefined ? { codec: s.codec } : {}),
    };
  }

  /** What was asked here (authoritative: the media process applies it a moment later), unless the media process cannot run it. */
  private processingStates(reported: ProcessingStates | undefined): ProcessingStates {
    const state = (stage: FilterStageName): FilterState => (reported?.[stage] === 'unavailable' ? 'unavailable' : this.processing[stage] ? 'on' : 'off');
    return { 'echo-cancellation': state('echo-cancellation'), 'noise-suppression': state('noise-suppression'), 'auto-gain': state('auto-gain') };
  }

  peerStats(id: string): PeerMediaStats | undefined {
    const s = this.peerMap.get(id);
    if (s === undefined) return undefined;
    const volume = this.volumes.get(id);
    const mutedByMe = this.mutedPeers.get(id);
    const suppressed = this.suppressedPeers.get(id);
    if (volume === undefined && mutedByMe === undefined && suppressed === undefined) return s;
    // Unavailable in the media process wins over what was asked (its snapshot reports false then).
    const unavailable = this.snap?.self.processing['noise-suppression'] === 'unavailable';
    return {
      ...s,
      volumePercent: volume ?? s.volumePercent,
      mutedByMe: mutedByMe ?? s.mutedByMe,
      noiseSuppression: suppressed === undefined || unavailable ? s.noiseSuppression : suppressed,
    };
  }

  get anchors(): MediaAnchors {
    return this.reportValue?.anchors ?? this.snap?.anchors ?? { firstInputNs: null, firstOutputNs: null };
  }

  get captureStats(): CapturePipelineStats {
    return this.reportValue?.captureStats ?? this.snap?.captureStats ?? emptyCaptureStats();
  }

  get outputUnderflows(): number {
    return this.reportValue?.outputUnderflows ?? this.snap?.outputUnderflows ?? 0;
  }

  get outputUnderflowsAfterWarmup(): number {
    return this.reportValue?.outputUnderflowsAfterWarmup ?? this.snap?.outputUnderflowsAfterWarmup ?? 0;
  }

  /** What the media process reported when it stopped (send timing, its CPU and memory); undefined before. */
  get finalReport(): FinalMediaReport | undefined {
    return this.reportValue;
  }

  /** @internal used by RemoteLink. */
  send(message: ToMedia): void {
    const child = this.child;
    if (child === undefined || !child.connected) return;
    try {
      child.send(message);
    } catch (err) {
      this.log.warn('media-process-send-failed', { op: message.op, error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** @internal */
  registerLink(linkId: number, link: RemoteLink): void {
    this.links.set(linkId, link);
  }

  /** @internal */
  unregisterLink(linkId: number): void {
    this.links.delete(linkId);
  }

  private next(match: (m: FromMedia) => boolean): Promise<FromMedia> {
    return new Promise((resolve, reject) => this.waiters.push({ match, resolve, reject }));
  }

  private onMessage(m: FromMedia): void {
    this.lastHeardMs = performance.now();
    for (const w of [...this.waiters]) {
      if (w.match(m)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
    switch (m.ev) {
      case 'snapshot':
        this.applySnapshot(m.snapshot);
        break;
      case 'levels':
        this.applyLevels(m.levels);
        break;
      case 'stopped':
        this.reportValue = m.report;
        this.applySnapshot(m.snapshot);
        this.stoppedCleanly = true;
        break;
      case 'link-signal':
        this.links.get(m.linkId)?.fromHostSignal(m.signal);
        break;
      case 'link-state':
        this.links.get(m.linkId)?.fromHostState(m.state, m.status);
        break;
      case 'link-chat':
        this.links.get(m.linkId)?.fromHostChat(m.text);
        break;
      case 'link-goodbye':
        this.links.get(m.linkId)?.fromHostGoodbye();
        break;
      case 'link-failed':
        this.links.get(m.linkId)?.fromHostFailure(m.message);
        break;
      case 'peer-path':
        if (m.path === null) this.paths.delete(m.peerId);
        else this.paths.set(m.peerId, m.path);
        if (m.sfu) this.sfuStreams.add(m.peerId);
        else this.sfuStreams.delete(m.peerId);
        break;
      case 'source-ended':
        this.onSourceEnd?.();
        break;
      case 'audio-fallback':
        this.opts.onAudioFallback?.(m.fallback);
        break;
      case 'log':
        this.log[m.level](m.event, m.fields);
        break;
      default:
        break;
    }
  }

  private applySnapshot(s: MediaSnapshot): void {
    this.snap = s;
    this.peerMap = new Map(s.peers);
    for (const [linkId, status] of s.links) this.links.get(linkId)?.fromHostStatus(status);
  }

  /** Between full snapshots: our own state, and each peer's level and speaking flag over its last statistics. */
  private applyLevels(l: MediaLevels): void {
    if (this.snap !== undefined) this.snap = { ...this.snap, self: l.self };
    for (const [id, level, speaking] of l.peers) {
      const stats = this.peerMap.get(id);
      if (stats !== undefined) this.peerMap.set(id, { ...stats, level, speaking });
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    clearInterval(this.watchdog);
    const clean = this.stoppedCleanly && code === 0;
    const how = signal !== null ? `signal ${signal}` : `exit code ${String(code)}`;
    const err =
      this.unresponsiveMs !== null
        ? new Error(`the audio engine stopped responding for ${(this.unresponsiveMs / 1000).toFixed(0)} s and was ended (a native deadlock, see the log); join again to continue`)
        : new Error(`the media process ended unexpectedly (${how})${this.stderrTail.trim() ? `: ${lastLine(this.stderrTail)}` : ''}`);
    this.exitMessage = err.message;
    for (const w of this.waiters.splice(0)) w.reject(err);
    if (clean) return;
    if (this.stoppedCleanly) {
      this.log.error('media-process-exit', { code, signal });
      return;
    }
    this.log.error('media-process-died', { code, signal, stderr: this.stderrTail.slice(-1000) });
    if (!this.failed && this.stopping === undefined) {
      this.failed = true;
      this.onFailure?.(err.message);
    }
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1]!.slice(0, 300);
}

/** A link that lives in the media process; the room drives it through messages. */
class RemoteLink implements SessionLink {
  /** Packets never pass here (they stay on the media side, or in libwebrtc): the payload types are not this object's to know. */
  readonly negotiatedAudio = null;
  private status: LinkStatus = { isOpen: false, chatOpen: false, stats: emptyLinkStats(), pair: null, localTypes: [], lastPacketMs: null };
  private lastReportedPacketMs: number | null = null;
  private closed = false;

  constructor(
    private readonly media: RemoteMedia,
    private readonly linkId: number,
    private readonly options: SessionLinkOptions,
  ) {
    // A bad ICE configuration is refused here, synchronously, as PeerLink would refuse it.
    toNativeIceServers(options.iceServers);
    media.registerLink(linkId, this);
    media.send({
      op: 'link-create',
      linkId,
      spec: {
        peerId: options.peerId,
        role: options.role,
        iceServers: options.iceServers,
        ...(options.relayOnly !== undefined ? { relayOnly: options.relayOnly } : {}),
        ...(options.bindAddress !== undefined ? { bindAddress: options.bindAddress } : {}),
        ssrc: options.ssrc,
        cname: options.cname,
        ...(options.keepaliveMs !== undefined ? { keepaliveMs: options.keepaliveMs } : {}),
        ...(options.inactivityTimeoutMs !== undefined ? { inactivityTimeoutMs: options.inactivityTimeoutMs } : {}),
      },
    });
  }

  start(): void {
    this.media.send({ op: 'link-start', linkId: this.linkId });
  }

  handleSignal(signal: unknown): void {
    if (!this.closed) this.media.send({ op: 'link-signal', linkId: this.linkId, signal });
  }

  /** Media never passes through the control side. */
  sendRtp(): boolean {
    return false;
  }

  sendRtcp(): boolean {
    return false;
  }

  /** Chat goes to the media process, which sends it on the link's channel. */
  sendChat(text: string): boolean {
    if (this.closed || !this.status.chatOpen) return false;
    this.media.send({ op: 'link-chat', linkId: this.linkId, text });
    return true;
  }

  /** The BYE goes out from the media process, on the link, ahead of anything sent after it. */
  sayGoodbye(): boolean {
    if (this.closed || !this.status.isOpen) return false;
    this.media.send({ op: 'link-goodbye', linkId: this.linkId });
    return true;
  }

  get isOpen(): boolean {
    return !this.closed && this.status.isOpen;
  }

  get chatOpen(): boolean {
    return !this.closed && this.status.chatOpen;
  }

  stats(): PeerLinkStats {
    return this.status.stats;
  }

  selectedCandidatePair(): CandidatePair | null {
    return this.closed ? null : this.status.pair;
  }

  localCandidateTypes(): string[] {
    return [...this.status.localTypes];
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.media.unregisterLink(this.linkId);
    this.media.send({ op: 'link-close', linkId: this.linkId });
  }

  fromHostSignal(signal: unknown): void {
    if (!this.closed) this.options.onSignal(signal as Parameters<SessionLinkOptions['onSignal']>[0]);
  }

  fromHostState(state: LinkState, status: LinkStatus): void {
    this.fromHostStatus(status);
    if (!this.closed) this.options.onState(state);
  }

  fromHostChat(text: string): void {
    if (!this.closed) this.options.onChat?.(text);
  }

  fromHostGoodbye(): void {
    if (!this.closed) this.options.onGoodbye?.();
  }

  fromHostFailure(message: string): void {
    this.options.logger?.warn('link-failed-in-media-process', { peer: this.options.peerId, error: message });
    if (!this.closed) this.options.onState('failed');
  }

  fromHostStatus(status: LinkStatus): void {
    this.status = status;
    const last = status.lastPacketMs;
    if (last !== null && (this.lastReportedPacketMs === null || last > this.lastReportedPacketMs)) {
      this.lastReportedPacketMs = last;
      if (!this.closed) this.options.onPacket(last);
    }
  }
}
