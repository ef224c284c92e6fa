/**
 * Builds the send chain's speexdsp stages (docs/architecture.md §2): echo
 * cancellation (canceller + residual suppressor, fed by a far-end reference
 * on the engine's clock) and automatic gain control. Both throw
 * SpeexDspUnavailableError (./speexdsp.ts) when koffi or libspeexdsp is
 * missing; the engine then reports the stage as unavailable.
 */
import type { Clock } from '../../core/clock.js';
import { AutoGain } from './auto-gain.js';
import { EchoCanceller } from './echo-canceller.js';
import { EchoStage } from './echo-stage.js';
import { FarEndReference } from './far-end-reference.js';

export type SpeexStageName = 'echo-cancellation' | 'auto-gain';

export interface SpeexStageSettings {
  clock: Clock;
  /** Time each block (benchmarks, `--stats`). */
  timed?: boolean;
  /** Playback hand-over → the same sound in a delivered capture block, beyond what the device's times say (default DEFAULT_ECHO_ROUND_TRIP_MS). */
  roundTripMs?: number;
  /** Longest echo modelled, ms (default 200). */
  tailMs?: number;
  /** The echo stage re-aligned its reference to the echo it found (./echo-stage.ts). */
  onEchoAligned?: (roundTripMs: number, correlation: number) => void;
}

/**
 * Round trip assumed when nothing better is known: 0, i.e. the reference
 * leads the echo by whatever the device adds beyond the times it reports.
 * A lead only uses up part of the tail, a lag cannot be cancelled at all
 * (./far-end-reference.ts), so the default errs on the side of leading.
 */
export const DEFAULT_ECHO_ROUND_TRIP_MS = 0;

export type SpeexStageFactory = (stage: SpeexStageName, settings: SpeexStageSettings) => EchoStage | AutoGain;

export const createSpeexStage: SpeexStageFactory = (stage, settings) => {
  const timed = settings.timed ?? false;
  if (stage === 'auto-gain') return new AutoGain({ timed });
  const canceller = new EchoCanceller({ timed, ...(settings.tailMs !== undefined ? { tailMs: settings.tailMs } : {}) });
  try {
    const reference = new FarEndReference({ clock: settings.clock, roundTripMs: settings.roundTripMs ?? DEFAULT_ECHO_ROUND_TRIP_MS });
    return new EchoStage(canceller, reference, settings.onEchoAligned !== undefined ? { onMove: settings.onEchoAligned } : {});
  } catch (err) {
    canceller.close();
    throw err;
  }
};
