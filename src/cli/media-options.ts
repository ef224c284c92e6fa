/**
 * The one mapping from configuration to media-engine settings, shared by
 * every command that runs the engine (join, create, loopback, demo).
 */
import type { Config } from '../config/schema.js';
import type { MediaEngineOptions } from '../engine/index.js';

export type MediaSettings = Pick<MediaEngineOptions, 'bitrate' | 'complexity' | 'dtx' | 'jitter' | 'cues' | 'noiseSuppression' | 'redundancy'>;

export function mediaSettingsFromConfig(config: Config): MediaSettings {
  return {
    bitrate: config.audio.bitrate,
    complexity: config.audio.complexity,
    dtx: config.audio.dtx,
    noiseSuppression: config.audio.noiseSuppression,
    redundancy: config.audio.redundancy,
    jitter: { minDelayMs: config.jitterBuffer.minDelayMs, maxDelayMs: config.jitterBuffer.maxDelayMs },
    cues: { enabled: config.cues.enabled, volumePercent: config.cues.volumePercent },
  };
}
