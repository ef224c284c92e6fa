/**
 * `roundtable loopback`: the whole media path in one process, with a
 * simulated network in the middle —
 *
 *   source ─► encode ─► RTP ─► SimulatedNetwork (loss, jitter, reorder) ─► jitter buffer ─► decode ─► mix ─► sink
 *
 * It is the test bed for the receive path and what the latency benchmarks
 * run. With WAV files on both ends, capture and playback are two paced clocks
 * in one process; `playoutPhaseMs` sets how long after a captured frame the
 * playback clock pulls, which is what a real device's clock would leave to
 * chance (up to one frame). The result reports the phase actually achieved.
 */
import { monotonicClock, type Clock } from '../../core/clock.js';
import type { FrameMs } from '../../core/media-format.js';
import type { AudioSink, AudioSource, FramePuller, SinkStartOptions } from '../audio/types.js';
import { underflowsAfterWarmup } from '../audio/types.js';
import { MediaEngine, type MediaAnchors, type MediaEngineOptions, type PeerMediaStats } from './media-engine.js';
import type { ProcessingStates } from './media-port.js';
import { CLEAN_LINK, SimulatedNetwork, type NetworkImpairment, type NetworkStats } from '../sim/network.js';
import { silentLogger, type Logger } from '../../core/logger.js';

const SELF = 'loopback';
/** Time a file sink may take to open before its first pull. */
const SINK_OPEN_ALLOWANCE_MS = 25;

export interface LoopbackOptions {
  source: AudioSource;
  sink: AudioSink;
  frameMs: FrameMs;
  /** Playback pull size (default: the engine's, 10 ms). The sink must use it. */
  playbackFrameMs?: FrameMs;
  network?: Partial<NetworkImpairment>;
  /** Stop after this long; default: when the source ends (a WAV) or on abort. */
  durationMs?: number;
  /**
   * Start the playback clock this long after the first captured frame
   * (files only; default 5 ms). Undefined with devices: they keep their own phase.
   */
  playoutPhaseMs?: number;
  engine?: Omit<MediaEngineOptions, 'frameMs' | 'source' | 'sink' | 'clock' | 'logger'>;
  /** Our noise suppression on the received stream, before the mix (the per-peer suppression). Default off. */
  receiveNoiseSuppression?: boolean;
  clock?: Clock;
  logger?: Logger;
  /** Resolves the run early (Ctrl-C). */
  signal?: AbortSignal;
  /**
   * Called once capture and playback both run. A caller driving a manual
   * clock holds time still until then, so that file I/O during start-up
   * (real time) cannot shift the playback phase.
   */
  onStarted?: () => void;
}

export interface LoopbackResult {
  readonly network: NetworkStats;
  readonly peer: PeerMediaStats;
  readonly capture: MediaEngine['captureStats'];
  readonly anchors: MediaAnchors;
  /** Playback pull phase relative to capture actually achieved, ms (0..playbackFrameMs). */
  readonly measuredPhaseMs: number | null;
  readonly durationMs: number;
  readonly outputUnderflows: number;
  /** Each send-path stage as it ran (on, off, or unavailable where it could not load). */
  readonly processing: ProcessingStates;
}

/** A sink whose start is deferred until `begin()`: lets capture lead playback by a set phase. */
class DeferredSink implements AudioSink {
  private pull: FramePuller | undefined;
  private started: Promise<void> | undefined;
  constructor(private readonly inner: AudioSink) {}
  get frameMs(): FrameMs {
    return this.inner.frameMs;
  }
  get underflows(): number {
    return this.inner.underflows;
  }

  get underflowsAfterWarmup(): number {
    return underflowsAfterWarmup(this.inner);
  }
  async start(pull: FramePuller): Promise<void> {
    this.pull = pull;
  }
  begin(opts: SinkStartOptions = {}): Promise<void> {
    if (this.pull === undefined) return Promise.resolve();
    this.started ??= this.inner.start(this.pull, opts);
    return this.started;
  }
  async stop(): Promise<void> {
    // A sink stopped before it began still gets to finish cleanly (a valid, empty WAV).
    if (this.started === undefined && this.pull !== undefined) await this.begin().catch(() => undefined);
    await this.inner.stop();
  }
}

export async function runLoopback(options: LoopbackOptions): Promise<LoopbackResult> {
  const clock = options.clock ?? monotonicClock;
  const log = options.logger ?? silentLogger;
  const phaseMs = options.playoutPhaseMs;
  const sink = phaseMs === undefined ? options.sink : new DeferredSink(options.sink);
  const engine = new MediaEngine({
    ...options.engine,
    frameMs: options.frameMs,
    ...(options.playbackFrameMs !== undefined ? { playbackFrameMs: options.playbackFrameMs } : {}),
    source: options.source,
    sink,
    clock,
    logger: log,
  });
  const network = new SimulatedNetwork(clock, { ...CLEAN_LINK, ...options.network }, (packet, arrivalMs) =>
    engine.receive(SELF, packet, arrivalMs),
  );
  engine.addPeer(SELF, { sendRtp: (p) => network.send(p), sendRtcp: () => true }, { cue: false });
  if (options.receiveNoiseSuppression === true) await engine.setPeerNoiseSuppression(SELF, true);

  const startedMs = clock.now();
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  // Let the last packets through the network and the jitter buffer before stopping.
  const tailMs = Math.max(200, (options.network?.jitterMs ?? 0) + (options.network?.baseDelayMs ?? 0) + 200);
  engine.onSourceEnd = () => clock.setTimer(finish, tailMs);
  const onAbort = (): void => finish();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) finish();
  const limit = options.durationMs !== undefined ? clock.setTimer(finish, options.durationMs) : undefined;

  let peerStats: PeerMediaStats | undefined;
  let processing: ProcessingStates | undefined;
  try {
    await engine.start();
    if (sink instanceof DeferredSink) {
      const firstInputNs = engine.anchors.firstInputNs;
      // firstInputNs is one frame before the first frame was delivered.
      const firstFrameMs = firstInputNs === null ? clock.now() : Number(firstInputNs) / 1e6 + options.frameMs;
      // The pulls run on a grid of playbackFrameMs: any whole number of pulls
      // later keeps the same phase. Leave the sink time to open its file.
      const pullMs = engine.playbackFrameMs;
      let atMs = firstFrameMs + (phaseMs ?? 0);
      const earliestMs = clock.now() + SINK_OPEN_ALLOWANCE_MS;
      if (atMs < earliestMs) atMs += Math.ceil((earliestMs - atMs) / pullMs) * pullMs;
      await sink.begin({ atMs });
    }
    log.info('loopback-started', { frameMs: options.frameMs, ...options.network });
    options.onStarted?.();
    await finished;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (limit !== undefined) clock.clearTimer(limit);
    network.close();
    // Read before stop(): stopping removes the peer.
    peerStats = engine.peerStats(SELF);
    processing = engine.self.processing;
    await engine.stop();
  }
  const anchors = engine.anchors;
  let measuredPhaseMs: number | null = null;
  if (anchors.firstInputNs !== null && anchors.firstOutputNs !== null) {
    const pullMs = engine.playbackFrameMs;
    const deltaMs = Number(anchors.firstOutputNs - anchors.firstInputNs) / 1e6 - options.frameMs;
    measuredPhaseMs = ((deltaMs % pullMs) + pullMs) % pullMs;
  }
  return {
    network: { ...network.stats },
    peer: peerStats!,
    capture: engine.captureStats,
    anchors,
    measuredPhaseMs,
    durationMs: clock.now() - startedMs,
    outputUnderflows: engine.outputUnderflows,
    processing: processing!,
  };
}
