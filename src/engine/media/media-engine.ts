/**
 * The media path of one participant, independent of how packets travel
 * (docs/architecture.md §2):
 *
 *   source ─► CapturePipeline (filters → gate → encode once → RTP once) ─┬─► SendLoop ─► transport (peer A)
 *                                                                        └─► SendLoop ─► transport (peer B)
 *   transport ─► receive(): RTP → RemoteStream (reception tracker → jitter buffer → decode/PLC → [NS] → gain) ─┐
 *                           RTCP → RtcpSession (RTT; our receiver reports, on a ReportSchedule)      ├─► Mixer ─► sink
 *                                                                                notification cues ─┘
 *
 * This class only wires: RTP and RTCP are told apart (RFC 5761 §4) and
 * handed to the peer's RemoteStream and RtcpSession; the RTCP state itself
 * lives in rtcp/ (docs/architecture.md §3).
 *
 * Redundancy (RFC 2198 RED, docs/architecture.md §2): a peer whose link
 * negotiated RED (PeerTransport.audioFormat) gets packets repeating the 0–2
 * frames before, as many as its RedundancyPolicy asks for from the loss
 * that peer reports about us; its RED packets are unpacked into its stream.
 * Any other peer gets plain Opus, and what it sends is read as Opus.
 *
 * Push to send (the source's clock drives capture), pull to play (the sink's
 * clock pulls the mixer). Both `roundtable loopback` (a simulated network as
 * transport) and the P2P session (node-datachannel tracks as transport) use
 * this class, so the benchmarks measure the same code the product runs.
 *
 * Voice processing (dsp/): echo cancellation → noise suppression → gain
 * control before the gate, and noise suppression per peer on request. Each
 * stage is built on first need (at start when it is on): RNNoise's wasm
 * loads asynchronously, speexdsp (echo, gain) synchronously through koffi.
 * A stage that cannot be built is "unavailable" and the call goes on
 * without it. The echo canceller's far-end reference is tapped where the
 * sink pulls the mix: exactly what is played, stamped with when the sink
 * says it is heard (dsp/far-end-reference.ts explains the alignment).
 *
 * Recording (audio/call-recorder.ts, docs/architecture.md §2): while on,
 * each captured frame after processing and each block the sink pulls go to
 * the recorder too, which aligns the two clocks and writes a stereo WAV.
 */
import { monotonicClock, type Clock, type TimerHandle } from '../../core/clock.js';
import { assertFrameMs, samplesPerFrame, type FrameMs } from '../../core/media-format.js';
import { PeakMeter, peakLevel, rmsLevel } from '../audio/level.js';
import type { AudioSink, AudioSource } from '../audio/types.js';
import { underflowsAfterWarmup } from '../audio/types.js';
import type { FrameDecoder, FrameEncoder } from '../codec/types.js';
import { createOpusDecoder, createOpusEncoder } from '../codec/opus.js';
import { CapturePipeline } from '../send/capture-pipeline.js';
import { RtpTimeline } from '../send/rtp-timeline.js';
import { SendLoop, type SendLoopStats } from '../send/send-loop.js';
import { RedundancyPolicy, type RedDistance, type RedundancyPolicyOptions } from '../send/redundancy-policy.js';
import { TalkState } from '../send/talk-state.js';
import { VoiceGate } from '../send/voice-gate.js';
import { CuePlayer, Mixer, RemoteStream, SpeakingDetector, type CueKind, type RemoteStreamStats } from '../receive/index.js';
import { parseRtp } from '../rtp/packet.js';
import { isRtcp } from '../rtcp/packets.js';
import { ReportSchedule } from '../rtcp/report-schedule.js';
import { RtcpSession } from '../rtcp/rtcp-session.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { FilterChain, type FilterState } from '../dsp/filter-chain.js';
import { SEND_ORDER, type FilterCost, type FilterStageName, type FrameFilter } from '../dsp/frame-filter.js';
import { loadRnnoiseFactory, type SuppressorFactory } from '../dsp/rnnoise.js';
import { createSpeexStage, type SpeexStageFactory, type SpeexStageName } from '../dsp/speex-stages.js';
import { FAR_END_ACTIVE_DBFS } from '../dsp/stage.js';
import type { EchoStage } from '../dsp/echo-stage.js';
import type { AudioEndName, AudioEndsControl } from '../audio/audio-ends.js';
import { CallRecorder } from '../audio/call-recorder.js';
import type { WavFileWriter } from '../audio/wav-file.js';
import { RECORDING_OFF, type MediaAnchors, type MediaPort, type PeerMediaStats, type PeerTransport, type ProcessingStates, type RecordingState, type SelfMediaState, type SendCodec } from './media-port.js';

export type { MediaAnchors, PeerMediaStats, PeerTransport, SelfMediaState } from './media-port.js';

export interface MediaEngineOptions {
  /** Capture and network frame: one Opus packet per `frameMs`. */
  frameMs: FrameMs;
  /**
   * Playback pull size (default 10 ms, whatever `frameMs` is). A packet that
   * arrives waits for the next pull of the playback clock; pulling in 10 ms
   * steps bounds that wait to 10 ms instead of a whole 20/40 ms frame. The
   * remote streams cut packets of any duration into these pulls.
   */
  playbackFrameMs?: FrameMs;
  source: AudioSource;
  sink: AudioSink;
  clock?: Clock;
  /** Opus bitrate in bits/s (default 32000). */
  bitrate?: number;
  /** Opus complexity 0–10 (default 5). */
  complexity?: number;
  /** Opus DTX: silence becomes tiny packets, which are not sent (default true). */
  dtx?: boolean;
  /** Opus's low-delay (CELT-only) mode: 4 ms less latency, no SILK (codec/opus.ts; default false). */
  lowDelay?: boolean;
  /** Level gate before the encoder: send only while someone talks (default on, −45 dBFS, 300 ms hangover). */
  voiceGate?: { enabled?: boolean; thresholdDbfs?: number; hangoverMs?: number };
  jitter?: { minDelayMs?: number; maxDelayMs?: number; marginMs?: number };
  cues?: { enabled?: boolean; volumePercent?: number };
  /** Frames a peer's send queue holds before dropping its oldest (default 4). */
  sendQueueFrames?: number;
  /** Interval of our RTCP receiver reports (default 1000 ms; RFC 3550 §6.2 allows small sessions to go below 5 s). */
  rtcpIntervalMs?: number;
  /**
   * Suppress noise in our microphone before the gate (RNNoise, adds 20 ms of
   * delay). Default false here; the configuration's default is on.
   */
  noiseSuppression?: boolean;
  /** Cancel the echo of what we play from our microphone (speexdsp, adds 10 ms). Default false. */
  echoCancellation?: boolean;
  /** Bring our microphone to a steady level (speexdsp's AGC as a side chain, no delay). Default false. */
  autoGain?: boolean;
  /** Echo canceller alignment and length (dsp/far-end-reference.ts, dsp/echo-canceller.ts). */
  echo?: { roundTripMs?: number; tailMs?: number };
  /**
   * Send RED (RFC 2198) to peers that negotiated it, repeating as many
   * earlier frames as their reported loss calls for (default true). Off,
   * every peer gets plain Opus; RED that peers send is still read.
   */
  redundancy?: boolean;
  /** Thresholds of the redundancy policy (tests; defaults in send/redundancy-policy.ts). */
  redundancyPolicy?: RedundancyPolicyOptions;
  /** Factories for tests; default native libopus. */
  encoderFactory?: () => FrameEncoder;
  decoderFactory?: () => FrameDecoder;
  /** Noise suppressors for tests; default RNNoise (dsp/rnnoise.ts), loaded on first need. */
  suppressorFactory?: SuppressorFactory;
  /** What the source and sink are, and switching devices (audio/open.ts builds it with them). */
  audioEnds?: AudioEndsControl;
  /** Echo and gain stages for tests; default speexdsp (dsp/speex-stages.ts). */
  speexStageFactory?: SpeexStageFactory;
  /** Time every filter stage per frame for the cost figures (allocates a little per frame: `--stats`, benchmarks). Default false. */
  timeFilters?: boolean;
  /** Opens a recording's file (tests: a full disk); default audio/recording-file.ts. */
  openRecordingFile?: (path: string) => Promise<WavFileWriter>;
  logger?: Logger;
}

/** A played block whose peak reaches FAR_END_ACTIVE_DBFS means others are heard: gain control holds (dsp/auto-gain.ts). */
const PLAYING_PEAK = 10 ** (FAR_END_ACTIVE_DBFS / 20);
/** … for this long after such a block: the echo's tail and a room's reverb. */
const PLAYING_HOLD_MS = 300;

/** Jitter-buffer target margin above the delay percentile (see addPeer). */
export const DEFAULT_JITTER_MARGIN_MS = 2;

/** See MediaEngineOptions.playbackFrameMs. */
export const DEFAULT_PLAYBACK_FRAME_MS: FrameMs = 10;

interface PeerState {
  readonly id: string;
  readonly transport: PeerTransport;
  readonly stream: RemoteStream;
  readonly loop: SendLoop<Uint8Array>;
  readonly rtcp: RtcpSession;
  skippedNotOpen: number;
  bytesReceived: number;
  rtcpReceived: number;
  malformed: number;
  /** The user asked for our noise suppression on this peer's audio. */
  noiseSuppression: boolean;
  /** How much redundancy this peer's loss calls for (used only if its link negotiated RED). */
  readonly redundancy: RedundancyPolicy;
}

export class MediaEngine implements MediaPort {
  readonly frameMs: FrameMs;
  readonly playbackFrameMs: FrameMs;
  /** What our encoder sends (SelfMediaState.codec). */
  private readonly sendCodec: SendCodec;
  private readonly source: AudioSource;
  private readonly sink: AudioSink;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly capture: CapturePipeline;
  private readonly gate: VoiceGate;
  private readonly mixer: Mixer;
  private readonly cuePlayer: CuePlayer;
  private readonly decoderFactory: () => FrameDecoder;
  private readonly jitter: MediaEngineOptions['jitter'];
  private readonly sendQueueFrames: number;
  private readonly rtcpIntervalMs: number;
  private readonly redundancy: boolean;
  private readonly redundancyPolicy: RedundancyPolicyOptions | undefined;
  private readonly peers = new Map<string, PeerState>();
  private readonly micMeter = new PeakMeter(0.8);
  private readonly micSpeaking: SpeakingDetector;
  /** Send-path processing before the gate: AEC → NS → AGC. */
  private readonly filters: FilterChain;
  private readonly timeFilters: boolean;
  /** What the user asked for, per stage (a stage may still be loading, or unavailable). */
  private readonly wanted: Record<FilterStageName, boolean>;
  /** Why a stage cannot run here, once building it failed. */
  private readonly unavailable = new Map<FilterStageName, string>();
  private suppressorFactory: SuppressorFactory | undefined;
  private suppressorLoad: Promise<SuppressorFactory | undefined> | undefined;
  private readonly speexStageFactory: SpeexStageFactory;
  private readonly echoSettings: { roundTripMs?: number; tailMs?: number };
  /** The echo stage once built: the playback side feeds it what is played. */
  private echoStage: EchoStage | undefined;
  private readonly audioEnds: AudioEndsControl | undefined;
  /** Until when something counts as being played (gain control holds meanwhile, dsp/auto-gain.ts). */
  private playingUntilMs = -Infinity;
  /** Mute / push-to-talk / talk key → the voice gate's mute (send/talk-state.ts). */
  private readonly talk = new TalkState((transmitting) => {
    this.gate.muted = !transmitting;
  });
  /** The current call recording, or the last one (its file, length, error); undefined before any. */
  private recorder: CallRecorder | undefined;
  private recordingCount = 0;
  private readonly openRecordingFile: ((path: string) => Promise<WavFileWriter>) | undefined;
  private firstInputNs: bigint | null = null;
  private firstOutputNs: bigint | null = null;
  private rtcpTimer: TimerHandle | undefined;
  private reportSchedule: ReportSchedule | undefined;
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private stopping: Promise<void> | undefined;
  private sourceEnded = false;
  /** Called once when a finite source (a WAV without loop) has delivered its last frame. */
  onSourceEnd: (() => void) | undefined;

  constructor(options: MediaEngineOptions) {
    this.frameMs = assertFrameMs(options.frameMs);
    this.playbackFrameMs = assertFrameMs(options.playbackFrameMs ?? DEFAULT_PLAYBACK_FRAME_MS);
    if (options.source.frameMs !== this.frameMs) {
      throw new RangeError(`the source delivers ${options.source.frameMs} ms frames; the engine captures ${this.frameMs} ms frames`);
    }
    if (options.sink.frameMs !== this.playbackFrameMs) {
      throw new RangeError(`the sink pulls ${options.sink.frameMs} ms frames; the engine plays ${this.playbackFrameMs} ms frames`);
    }
    this.source = options.source;
    this.sink = options.sink;
    this.clock = options.clock ?? monotonicClock;
    this.log = options.logger ?? silentLogger;
    this.jitter = options.jitter;
    this.sendQueueFrames = options.sendQueueFrames ?? 4;
    this.rtcpIntervalMs = options.rtcpIntervalMs ?? 1000;
    this.redundancy = options.redundancy ?? true;
    this.redundancyPolicy = options.redundancyPolicy;
    this.decoderFactory = options.decoderFactory ?? createOpusDecoder;
    this.sendCodec = { frameMs: this.frameMs, bitrateBps: options.bitrate ?? 32_000, lowDelay: options.lowDelay ?? false };
    const encoder =
      options.encoderFactory?.() ??
      createOpusEncoder({ frameMs: this.frameMs, bitrate: this.sendCodec.bitrateBps, complexity: options.complexity ?? 5, dtx: options.dtx ?? true, lowDelay: this.sendCodec.lowDelay });
    this.gate = new VoiceGate({
      frameMs: this.frameMs,
      enabled: options.voiceGate?.enabled ?? true,
      openThresholdDbfs: options.voiceGate?.thresholdDbfs ?? -45,
      hangoverMs: options.voiceGate?.hangoverMs ?? 300,
    });
    this.timeFilters = options.timeFilters ?? false;
    this.filters = new FilterChain({ timed: this.timeFilters });
    this.capture = new CapturePipeline({
      encoder,
      gate: this.gate,
      timeline: new RtpTimeline({ frameMs: this.frameMs }),
      filters: this.filters,
      // A packet must outlive the longest a send loop holds it: its queue and the one in flight.
      packetSlots: this.sendQueueFrames + 2,
      logger: this.log,
    });
    this.wanted = {
      'echo-cancellation': options.echoCancellation ?? false,
      'noise-suppression': options.noiseSuppression ?? false,
      'auto-gain': options.autoGain ?? false,
    };
    this.suppressorFactory = options.suppressorFactory;
    this.audioEnds = options.audioEnds;
    this.speexStageFactory = options.speexStageFactory ?? createSpeexStage;
    this.echoSettings = options.echo ?? {};
    this.cuePlayer = new CuePlayer({ enabled: options.cues?.enabled ?? true, volume: (options.cues?.volumePercent ?? 50) / 100 });
    this.mixer = new Mixer({ frameMs: this.playbackFrameMs, cues: this.cuePlayer, cuesWhileDeafened: false });
    this.micSpeaking = new SpeakingDetector({ frameMs: this.frameMs });
    this.openRecordingFile = options.openRecordingFile;
  }

  /** Our RTP SSRC: the mesh announces it in the SDP. */
  get ssrc(): number {
    return this.capture.ssrc;
  }

  /**
   * Start playback first (so the first packets find a running clock), then
   * capture. `playbackAtMs` asks a paced sink for its first pull at that time.
   */
  async start(opts: { playbackAtMs?: number } = {}): Promise<void> {
    if (this.state !== 'idle') throw new Error('MediaEngine already started');
    this.state = 'running';
    // Build the stages before the clocks run, so loading one never stalls a frame.
    for (const stage of SEND_ORDER) if (this.wanted[stage]) await this.ensureStage(stage);
    await this.sink.start(
      (playTimeNs) => {
        if (this.firstOutputNs === null) this.firstOutputNs = playTimeNs;
        const block = this.mixer.mix();
        // The far-end reference: exactly what the sink plays, and when it says it is heard.
        this.echoStage?.played(block, Number(playTimeNs) / 1e6);
        // The recording's right channel is the same block; its left, what was captured meanwhile.
        this.recorder?.played(block);
        if (peakLevel(block) >= PLAYING_PEAK) this.playingUntilMs = this.clock.now() + PLAYING_HOLD_MS;
        return block;
      },
      opts.playbackAtMs !== undefined ? { atMs: opts.playbackAtMs } : {},
    );
    this.source.onEnd = () => {
      this.sourceEnded = true;
      try {
        this.onSourceEnd?.();
      } catch (err) {
        this.log.warn('source-end-callback-failed', { err });
      }
    };
    try {
      await this.source.start((pcm, captureTimeNs) => this.onCapturedFrame(pcm, captureTimeNs));
    } catch (err) {
      await this.sink.stop().catch(() => undefined);
      this.state = 'stopped';
      throw err;
    }
    this.scheduleRtcp();
  }

  /** Stop capture and playback; an output file is complete once this resolves. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.state = 'stopped';
      if (this.rtcpTimer !== undefined) this.clock.clearTimer(this.rtcpTimer);
      await this.source.stop().catch((err) => this.log.warn('source-stop-failed', { err }));
      for (const id of [...this.peers.keys()]) this.removePeer(id, { cue: false });
      await this.sink.stop();
      // No frame comes any more: finish the recording's file too.
      await this.recorder?.stop();
      if (this.echoStage !== undefined) this.log.info('echo-report', { ...this.echoStage.figures });
      this.filters.close();
    })();
    return this.stopping;
  }

  get sourceHasEnded(): boolean {
    return this.sourceEnded;
  }

  /**
   * `receiveOnly`: the peer's stream joins the mix but nothing is sent to it
   * (a subscription through the SFU, docs/architecture.md §11: what we say
   * reaches everyone through our one uplink). Receiver reports still go.
   */
  addPeer(id: string, transport: PeerTransport, opts: { cue?: boolean; receiveOnly?: boolean } = {}): void {
    if (this.peers.has(id)) this.removePeer(id, { cue: false });
    const stream = new RemoteStream({
      frameMs: this.playbackFrameMs,
      decoderFactory: this.decoderFactory,
      clock: this.clock,
      // 2 ms above the 97th percentile of measured arrival delay: the
      // percentile already covers network and timer jitter, and every ms of
      // margin is a ms of mouth-to-ear latency.
      jitter: { marginMs: DEFAULT_JITTER_MARGIN_MS, ...this.jitter },
    });
    const redundancy = new RedundancyPolicy(this.redundancyPolicy);
    const peer: PeerState = {
      id,
      transport,
      stream,
      loop: this.sendLoop(transport, () => peer.skippedNotOpen++),
      // Our report blocks read the stream's own tracker: the UI's loss and our receiver reports are one number.
      rtcp: new RtcpSession({
        localSsrc: this.ssrc,
        reception: stream.reception,
        onReportAboutUs: (block, arrivalMs) => redundancy.onReport(block.fractionLost, block.extendedHighestSeq, arrivalMs),
      }),
      redundancy,
      skippedNotOpen: 0,
      bytesReceived: 0,
      rtcpReceived: 0,
      malformed: 0,
      noiseSuppression: false,
    };
    this.peers.set(id, peer);
    if (opts.receiveOnly !== true) this.startSending(peer);
    this.mixer.add(id, stream);
    if (opts.cue !== false) this.mixer.playCue('peer-joined');
  }

  /** A bounded send loop to one transport; `notOpen` counts frames skipped while it is not open. */
  private sendLoop(transport: PeerTransport, notOpen: () => void): SendLoop<Uint8Array> {
    return new SendLoop<Uint8Array>({
      clock: this.clock,
      maxQueue: this.sendQueueFrames,
      logger: this.log,
      send: (packet) => {
        if (transport.isOpen !== undefined && !transport.isOpen()) {
          notOpen();
          return;
        }
        if (transport.sendRtp(packet) === false) throw new Error('transport refused the packet');
      },
    });
  }

  private startSending(peer: PeerState): void {
    this.capture.addPeer(peer.id, peer.loop, () => this.redDistanceOf(peer));
  }

  /**
   * Whether our frames go to this peer's own transport: off while it hears us
   * through the SFU uplink only, on again when a mesh link to it comes back
   * (docs/architecture.md §11). A loop closed by `off` cannot be reopened, so
   * `on` starts a new one (its send figures start over).
   */
  setPeerSending(id: string, sending: boolean): void {
    const peer = this.peers.get(id);
    if (peer === undefined || this.capture.hasPeer(id) === sending) return;
    if (!sending) {
      this.capture.removePeer(id);
      return;
    }
    (peer as { loop: SendLoop<Uint8Array> }).loop = this.sendLoop(peer.transport, () => peer.skippedNotOpen++);
    this.startSending(peer);
  }

  /**
   * Peer `id`'s packets come from another path from now on (mesh ↔ SFU, §11):
   * its stream starts over at the next packet (jitter buffer, decoder,
   * reception counts of a new source), keeping its gain, mute and meters.
   */
  newPeerSource(id: string): void {
    this.peers.get(id)?.stream.newSource();
  }

  removePeer(id: string, opts: { cue?: boolean } = {}): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    this.capture.removePeer(id);
    this.mixer.remove(id);
    this.peers.delete(id);
    peer.stream.closeSuppressor();
    if (opts.cue !== false) this.mixer.playCue('peer-left');
  }

  /**
   * A send-only path for our packets (the SFU uplink, docs/architecture.md
   * §11): a bounded send loop like a peer's, no stream, nothing in the mix.
   * Always plain Opus. `removeUplink` (or stop) closes it.
   */
  addUplink(id: string, transport: PeerTransport): void {
    this.capture.addPeer(`uplink:${id}`, this.sendLoop(transport, () => undefined));
  }

  removeUplink(id: string): void {
    this.capture.removePeer(`uplink:${id}`);
  }

  /** What this peer's packets carry: 0 for plain Opus (RED not negotiated, or our redundancy off). */
  private redDistanceOf(peer: PeerState): RedDistance {
    if (!this.redundancy) return 0;
    const format = peer.transport.audioFormat?.();
    return format === undefined || format === null || format.red === null ? 0 : peer.redundancy.distance;
  }

  hasPeer(id: string): boolean {
    return this.peers.has(id);
  }

  /** A packet from peer `id`'s transport: RTP or RTCP (RFC 5761 demultiplexing). Never throws. */
  receive(id: string, bytes: Uint8Array, arrivalMs: number = this.clock.now()): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    try {
      peer.bytesReceived += bytes.length;
      if (isRtcp(bytes)) {
        peer.rtcpReceived++;
        // RTT needs the arrival on the wallclock our sender reports are stamped with (rtcp-session.ts).
        if (!peer.rtcp.receive(bytes, arrivalMs, Date.now())) peer.malformed++;
        return;
      }
      const parsed = parseRtp(bytes);
      if (!parsed.ok) {
        peer.malformed++;
        return;
      }
      const format = peer.transport.audioFormat?.();
      const pt = parsed.packet.payloadType;
      if (format === undefined || format === null || pt === format.opus) {
        peer.stream.insert(parsed.packet, arrivalMs);
      } else if (pt === format.red) {
        peer.stream.insertRed(parsed.packet, format.opus, arrivalMs);
      } else {
        // A payload type the link did not agree on: decoding it as Opus would only play noise.
        peer.malformed++;
      }
    } catch (err) {
      peer.malformed++;
      this.log.warn('receive-failed', { peer: id, err });
    }
  }

  private scheduleRtcp(): void {
    if (this.state !== 'running') return;
    const schedule = (this.reportSchedule ??= new ReportSchedule(this.rtcpIntervalMs, this.clock.now()));
    this.rtcpTimer = this.clock.setTimer(() => {
      const now = this.clock.now();
      if (schedule.takeDue(now)) this.sendReceiverReports(now);
      this.scheduleRtcp();
    }, schedule.delayMs(this.clock.now()));
  }

  private sendReceiverReports(now: number): void {
    for (const peer of this.peers.values()) {
      if (peer.transport.sendRtcp === undefined) continue;
      if (peer.transport.isOpen !== undefined && !peer.transport.isOpen()) continue;
      const report = peer.rtcp.buildReport(now);
      if (report === null) continue;
      try {
        peer.transport.sendRtcp(report);
      } catch (err) {
        this.log.debug('rtcp-send-failed', { peer: peer.id, err });
      }
    }
  }

  private onCapturedFrame(pcm: Int16Array, captureTimeNs: bigint): void {
    if (this.firstInputNs === null) {
      // A frame is delivered when its last sample has been captured; its
      // first sample entered one frame earlier (docs/architecture.md §8 counts that frame).
      this.firstInputNs = captureTimeNs - BigInt(this.frameMs) * 1_000_000n;
    }
    // Meters read what is sent (after noise suppression), so a fan does not light our speaking dot.
    const sent = this.capture.pushFrame(pcm, captureTimeNs);
    this.recorder?.mic(sent, this.talk.transmitting);
    this.micMeter.update(peakLevel(sent));
    this.micSpeaking.update(rmsLevel(sent));
  }

  /** One stage of our send-path processing on or off (built the first time it is switched on). */
  setProcessing(stage: FilterStageName, enabled: boolean): void {
    this.wanted[stage] = enabled;
    if (this.filters.setEnabled(stage, enabled)) {
      this.log.info('processing', { stage, enabled });
      return;
    }
    if (enabled && this.state !== 'stopped') void this.ensureStage(stage);
  }

  /**
   * Our noise suppression on one peer's audio, before the mix. Resolves once
   * it is applied (the first time, RNNoise may have to load).
   */
  setPeerNoiseSuppression(id: string, enabled: boolean): Promise<void> {
    const peer = this.peers.get(id);
    if (peer === undefined) return Promise.resolve();
    peer.noiseSuppression = enabled;
    if (peer.stream.setSuppression(enabled) || !enabled) {
      this.log.info('peer-noise-suppression', { peer: id, enabled });
      return Promise.resolve();
    }
    return this.loadSuppressorFactory().then((factory) => {
      // The peer may have left, or the user changed their mind, while RNNoise loaded.
      if (factory === undefined || this.peers.get(id) !== peer || !peer.noiseSuppression || peer.stream.hasSuppressor) return;
      try {
        peer.stream.attachSuppressor(factory(), true, this.timeFilters);
        this.log.info('peer-noise-suppression', { peer: id, enabled: true });
      } catch (err) {
        this.markUnavailable('noise-suppression', err);
      }
    });
  }

  /**
   * Start recording the call to `path` (a numbered name beside it if it
   * exists), or stop and finish the file. Starting while a recording runs,
   * or stopping when none does, changes nothing. The file is created
   * asynchronously; `self.recording` says when it records, or why it could not.
   */
  setRecording(recording: boolean, path?: string): void {
    const current = this.recorder;
    if (!recording) {
      if (current !== undefined) void current.stop();
      return;
    }
    if ((current !== undefined && current.active) || this.state === 'stopped') return;
    if (path === undefined) throw new Error('a recording needs a file path');
    const recorder = new CallRecorder({
      path,
      captureFrameSamples: samplesPerFrame(this.frameMs),
      playbackFrameSamples: samplesPerFrame(this.playbackFrameMs),
      ...(this.openRecordingFile !== undefined ? { open: this.openRecordingFile } : {}),
      logger: this.log,
    });
    this.recorder = recorder;
    this.recordingCount++;
    void recorder.start();
  }

  get recording(): RecordingState {
    const r = this.recorder;
    return r === undefined ? RECORDING_OFF : { ...r.state, count: this.recordingCount };
  }

  /** Time per stage of the send path's filters (for statistics and the benchmark). */
  get filterCosts(): FilterCost[] {
    return this.filters.costs();
  }

  /** Time spent suppressing a peer's noise, or undefined if never switched on. */
  peerSuppressionCost(id: string): FilterCost | undefined {
    return this.peers.get(id)?.stream.suppressionCost;
  }

  private stageState(stage: FilterStageName): FilterState {
    if (this.unavailable.has(stage)) return 'unavailable';
    const registered = this.filters.state(stage);
    if (registered !== 'unavailable') return registered;
    // Not registered yet: loading (reported as what was asked) or never asked for.
    return this.wanted[stage] ? 'on' : 'off';
  }

  private get processingStates(): ProcessingStates {
    return {
      'echo-cancellation': this.stageState('echo-cancellation'),
      'noise-suppression': this.stageState('noise-suppression'),
      'auto-gain': this.stageState('auto-gain'),
    };
  }

  /** Build and register a send-path stage once; "unavailable" (with the reason logged) if it cannot be built. */
  private async ensureStage(stage: FilterStageName): Promise<void> {
    if (this.filters.has(stage) || this.unavailable.has(stage)) return;
    let filter: FrameFilter;
    try {
      if (stage === 'noise-suppression') {
        const factory = await this.loadSuppressorFactory();
        if (factory === undefined) return;
        filter = factory();
      } else {
        filter = this.buildSpeexStage(stage);
      }
    } catch (err) {
      this.markUnavailable(stage, err);
      return;
    }
    // Stopped, or built meanwhile by another toggle, while loading.
    if (this.state === 'stopped' || this.filters.has(stage)) {
      filter.close();
      return;
    }
    // Every frame size (10/20/40 ms) is whole 10 ms blocks; a stage with another block would skip samples.
    if (samplesPerFrame(this.frameMs) % filter.blockSamples !== 0) {
      filter.close();
      this.markUnavailable(stage, new Error(`${filter.name} works in blocks of ${filter.blockSamples} samples; ${this.frameMs} ms frames are not whole blocks`));
      return;
    }
    this.filters.register(filter, this.wanted[stage]);
    this.log.info('processing', { stage, enabled: this.wanted[stage], delayMs: filter.delayMs });
  }

  private buildSpeexStage(stage: SpeexStageName): FrameFilter {
    const built = this.speexStageFactory(stage, {
      clock: this.clock,
      timed: this.timeFilters,
      ...this.echoSettings,
      onEchoAligned: (roundTripMs, correlation) => this.log.info('echo-aligned', { roundTripMs, correlation: Math.round(correlation * 100) / 100 }),
    });
    if (built.name === 'echo-cancellation') this.echoStage = built;
    else built.holdWhen = () => this.clock.now() < this.playingUntilMs;
    return built;
  }

  /** RNNoise, loaded once; undefined (and "unavailable" from then on) if it cannot load. */
  private loadSuppressorFactory(): Promise<SuppressorFactory | undefined> {
    if (this.suppressorFactory !== undefined) return Promise.resolve(this.suppressorFactory);
    if (this.unavailable.has('noise-suppression')) return Promise.resolve(undefined);
    this.suppressorLoad ??= loadRnnoiseFactory().then(
      (factory) => (this.suppressorFactory = factory),
      (err: unknown) => {
        this.markUnavailable('noise-suppression', err);
        return undefined;
      },
    );
    return this.suppressorLoad;
  }

  private markUnavailable(stage: FilterStageName, err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.unavailable.set(stage, reason);
    this.log.warn('processing-unavailable', { stage, error: reason });
  }

  setMuted(muted: boolean): void {
    this.talk.setMuted(muted);
  }

  setDeafened(deafened: boolean): void {
    this.mixer.setDeafened(deafened);
  }

  setPushToTalk(enabled: boolean): void {
    this.talk.setPushToTalk(enabled);
  }

  setTalking(pressed: boolean): void {
    this.talk.setTalking(pressed);
  }

  setPeerVolume(id: string, percent: number): void {
    this.peers.get(id)?.stream.setGain(percent);
  }

  setPeerMuted(id: string, muted: boolean): void {
    this.peers.get(id)?.stream.setMuted(muted);
  }

  playCue(kind: CueKind): void {
    this.mixer.playCue(kind);
  }

  get self(): SelfMediaState {
    return {
      micLevel: this.micMeter.level,
      speaking: this.micSpeaking.speaking && !this.gate.muted,
      muted: this.talk.muted,
      deafened: this.mixer.deafened,
      pushToTalk: this.talk.pushToTalk,
      talking: this.talk.talking,
      processing: this.processingStates,
      ...(this.audioEnds !== undefined ? { audio: this.audioEnds.state } : {}),
      recording: this.recording,
      codec: this.sendCodec,
    };
  }

  /** Another sound device for one end; a failure shows as the end's `problem` (and in the log). */
  setDevice(end: AudioEndName, device: string): void {
    if (this.audioEnds === undefined) {
      this.log.warn('device-switch-unsupported', { end, device });
      return;
    }
    this.audioEnds.switchDevice(end, device).catch((err: unknown) => {
      this.log.warn('device-switch-refused', { end, device, error: err instanceof Error ? err.message : String(err) });
    });
  }

  refreshDevices(): void {
    this.audioEnds?.refreshDevices().catch((err: unknown) => {
      this.log.warn('device-list-failed', { error: err instanceof Error ? err.message : String(err) });
    });
  }

  peerStats(id: string): PeerMediaStats | undefined {
    const peer = this.peers.get(id);
    if (peer === undefined) return undefined;
    return {
      receive: peer.stream.stats(),
      send: peer.loop.stats,
      sendSkippedNotOpen: peer.skippedNotOpen,
      bytesReceived: peer.bytesReceived,
      rtcpReceived: peer.rtcpReceived,
      malformedReceived: peer.malformed,
      rttMs: peer.rtcp.rttMs,
      level: peer.stream.level,
      speaking: peer.stream.speaking,
      volumePercent: peer.stream.gainPercent,
      mutedByMe: peer.stream.mutedForMe,
      noiseSuppression: peer.noiseSuppression && !this.unavailable.has('noise-suppression'),
      redDistance: peer.transport.audioFormat?.()?.red != null ? this.redDistanceOf(peer) : null,
    };
  }

  /** A peer's output level and speaking flag alone (what a UI redraws between full statistics). */
  peerLevel(id: string): { level: number; speaking: boolean } | undefined {
    const peer = this.peers.get(id);
    return peer === undefined ? undefined : { level: peer.stream.level, speaking: peer.stream.speaking };
  }

  get captureStats(): CapturePipeline['stats'] {
    return this.capture.stats;
  }

  get anchors(): MediaAnchors {
    return { firstInputNs: this.firstInputNs, firstOutputNs: this.firstOutputNs };
  }

  get outputUnderflows(): number {
    return this.sink.underflows;
  }

  /** Output underflows after the device's first second (AudioSink.underflowsAfterWarmup). */
  get outputUnderflowsAfterWarmup(): number {
    return underflowsAfterWarmup(this.sink);
  }
}
