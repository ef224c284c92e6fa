/** The receive path's public API: one RemoteStream per peer, one Mixer, cues, speaking detection. */
export { JitterBuffer, MAX_OPUS_PACKET_SAMPLES } from './jitter-buffer.js';
export type { InsertOutcome, JitterBufferOptions, JitterBufferStats, PullResult } from './jitter-buffer.js';
export { DelayEstimator } from './delay-estimator.js';
export type { DelayEstimatorOptions } from './delay-estimator.js';
export { RemoteStream, MAX_GAIN_PERCENT } from './remote-stream.js';
export type { RemoteStreamOptions, RemoteStreamStats } from './remote-stream.js';
export { Mixer } from './mixer.js';
export type { MixerInput, MixerOptions } from './mixer.js';
export { CuePlayer, cueSamples, CUE_KINDS } from './cues.js';
export type { CueKind, CuePlayerOptions } from './cues.js';
export { SpeakingDetector } from './speaking.js';
export type { SpeakingOptions } from './speaking.js';
export { softLimit, limitToInt16, DEFAULT_LIMITER_THRESHOLD } from './limiter.js';
