/**
 * The one mapping from configuration to media-engine settings, shared by
 * every command that runs the engine (join, create, loopback, demo).
 */
import type { Config } from '../config/schema.js';
import type { MediaEngineOptions } from '../engine/index.js';

export type MediaSettings = Pick<
  MediaEngineOptions,
  'bitrate' | 'complexity' | 'dtx' | 'lowDelay' | 'jitter' | 'cues' | 'noiseSuppression' | 'echoCancellation' | 'autoGain' | 'echo' | 'redundancy'
>;

/** What kind of audio end each side is: echo cancellation's "auto" depends on it. */
export interface AudioEndKinds {
  readonly input: 'wav' | 'device' | 'none';
  readonly output: 'wav' | 'device' | 'none';
}

/**
 * `audio.echoCancellation: auto` is on when a microphone can hear a speaker:
 * both ends are sound devices. A WAV input holds no echo, and with a WAV (or
 * no) output nothing is played into the room.
 */
export function echoCancellationWanted(setting: Config['audio']['echoCancellation'], ends: AudioEndKinds): boolean {
  return setting === 'auto' ? ends.input === 'device' && ends.output === 'device' : setting;
}

export function mediaSettingsFromConfig(config: Config, ends: AudioEndKinds): MediaSettings {
  return {
    bitrate: config.audio.bitrate,
    complexity: config.audio.complexity,
    dtx: config.audio.dtx,
    lowDelay: config.audio.lowDelay,
    echoCancellation: echoCancellationWanted(config.audio.echoCancellation, ends),
    noiseSuppression: config.audio.noiseSuppression,
    autoGain: config.audio.autoGain,
    echo: { tailMs: config.audio.echoTailMs, roundTripMs: config.audio.echoDelayMs },
    redundancy: config.audio.redundancy,
    jitter: { minDelayMs: config.jitterBuffer.minDelayMs, maxDelayMs: config.jitterBuffer.maxDelayMs },
    cues: { enabled: config.cues.enabled, volumePercent: config.cues.volumePercent },
  };
}
