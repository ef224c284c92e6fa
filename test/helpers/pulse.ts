/**
 * PulseAudio for a test file (bench/lib/pulse.ts starts and stops it).
 */
import { afterAll, beforeAll, type TestContext } from 'vitest';
import { startPulse, type PulseHandle } from '../../bench/lib/pulse.js';
import { DeviceSink } from '../../src/engine/audio/device.js';

export { startPulse, PULSE_SINK_NAME, type PulseHandle } from '../../bench/lib/pulse.js';

/**
 * For a test file: start PulseAudio before its tests, stop it after, and
 * return `require(ctx)`, which gives the handle or skips the calling test
 * with the reason PulseAudio could not start.
 */
export function usePulse(): (ctx: TestContext) => PulseHandle {
  let pulse: PulseHandle | undefined;
  let skipReason = 'PulseAudio not started';
  beforeAll(async () => {
    const started = await startPulse();
    if ('skipped' in started) skipReason = started.skipped;
    else pulse = started;
  }, 30_000);
  afterAll(async () => {
    await pulse?.stop();
  });
  return (ctx) => {
    if (pulse === undefined) ctx.skip(skipReason);
    return pulse!;
  };
}

/**
 * Play `clip` over and over into the virtual sound card's sink: its monitor
 * is the default input, so whatever records from the microphone hears it.
 * Stop the returned sink to end it.
 */
export async function playIntoMicrophone(pulse: PulseHandle, clip: Int16Array): Promise<DeviceSink> {
  let pos = 0;
  const player = new DeviceSink({ frameMs: 10, env: pulse.env });
  await player.start(() => {
    const frame = new Int16Array(480);
    for (let i = 0; i < frame.length; i++) frame[i] = clip[(pos + i) % clip.length]!;
    pos += 480;
    return frame;
  });
  return player;
}
