/**
 * Configuration → media-engine settings: echo cancellation's "auto" follows
 * the audio ends (a microphone that can hear a speaker), the rest is taken
 * as configured.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/schema.js';
import { echoCancellationWanted, mediaSettingsFromConfig } from '../../src/cli/media-options.js';

describe('media settings from the configuration', () => {
  it('echo cancellation "auto" is on only when both ends are sound devices', () => {
    expect(echoCancellationWanted('auto', { input: 'device', output: 'device' })).toBe(true);
    expect(echoCancellationWanted('auto', { input: 'wav', output: 'device' })).toBe(false);
    expect(echoCancellationWanted('auto', { input: 'device', output: 'wav' })).toBe(false);
    expect(echoCancellationWanted('auto', { input: 'device', output: 'none' })).toBe(false);
    // An explicit setting wins over the ends.
    expect(echoCancellationWanted(true, { input: 'wav', output: 'wav' })).toBe(true);
    expect(echoCancellationWanted(false, { input: 'device', output: 'device' })).toBe(false);
  });

  it('the defaults: noise suppression and gain control on, echo cancellation by the ends, the echo settings passed on', () => {
    const devices = mediaSettingsFromConfig(DEFAULTS, { input: 'device', output: 'device' });
    expect(devices).toMatchObject({ echoCancellation: true, noiseSuppression: true, autoGain: true, echo: { tailMs: 200, roundTripMs: 0 } });
    expect(mediaSettingsFromConfig(DEFAULTS, { input: 'wav', output: 'wav' }).echoCancellation).toBe(false);
  });

  it('the codec settings pass on as configured, low delay off by default', () => {
    expect(mediaSettingsFromConfig(DEFAULTS, { input: 'wav', output: 'wav' })).toMatchObject({ bitrate: 32_000, dtx: true, lowDelay: false, complexity: 5 });
    const lowDelay = { ...DEFAULTS, audio: { ...DEFAULTS.audio, lowDelay: true } };
    expect(mediaSettingsFromConfig(lowDelay, { input: 'wav', output: 'wav' }).lowDelay).toBe(true);
  });
});
