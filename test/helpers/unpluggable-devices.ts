/**
 * A microphone and a speaker that a test can unplug and plug in again, as
 * with a USB headset: each on a PulseAudio server of its own (bench/lib/pulse.ts),
 * so removing one leaves its server nothing to move the stream to, and the
 * stream dies as it does when hardware goes (on one server PulseAudio would
 * move the stream to another device, and the app would never notice).
 *
 * - The microphone is the ALSA device `rt_mic`: the monitor of a null sink
 *   `mic_feed` on the first server; `feed(clip)` plays a clip into it over
 *   and over (again after each plug-in).
 * - The speaker is the ALSA device `rt_speaker`: a null sink `speaker` on the
 *   second server; `listen()` records what it plays from its monitor.
 * - `unplug(end)` / `plugIn(end)` unload and load that null sink's module.
 *
 * Processes that should see these devices take `env` (ALSA_CONFIG_PATH).
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, type TestContext } from 'vitest';
import path from 'node:path';
import { concat } from '../../bench/lib/analysis.js';
import { pactl, startPulse, type PulseHandle } from '../../bench/lib/pulse.js';
import { DeviceSink, DeviceSource } from '../../src/engine/audio/device.js';

export const MIC_DEVICE = 'rt_mic';
export const SPEAKER_DEVICE = 'rt_speaker';

const KEEPALIVE_SOURCE = 'load-module module-null-source source_name=keepalive rate=48000 channels=1 format=s16le';
const KEEPALIVE_LOOPBACK = 'load-module module-loopback source=keepalive sink=speaker';
const nullSink = (name: string): string => `load-module module-null-sink sink_name=${name} rate=48000 channels=1 format=s16le`;

export interface UnpluggableDevices {
  /** For processes that should use these devices. */
  readonly env: Record<string, string>;
  unplug(end: 'input' | 'output'): Promise<void>;
  plugIn(end: 'input' | 'output'): Promise<void>;
  /** Play `clip` into the microphone, looped, until the returned function is called (or the microphone is unplugged). */
  feed(clip: Int16Array): Promise<() => Promise<void>>;
  /** Record what the speaker plays until the returned function is called; it resolves with the samples. */
  listen(): Promise<() => Promise<Int16Array>>;
  stop(): Promise<void>;
}

/**
 * For a test file: start the devices before its tests, stop them after, and
 * return `require(ctx)`, which gives them or skips the calling test with the
 * reason they could not start (as test/helpers/pulse.ts usePulse).
 */
export function useUnpluggableDevices(): (ctx: TestContext) => UnpluggableDevices {
  let devices: UnpluggableDevices | undefined;
  let skipReason = 'PulseAudio not started';
  beforeAll(async () => {
    const started = await startUnpluggableDevices();
    if ('skipped' in started) skipReason = started.skipped;
    else devices = started;
  }, 40_000);
  afterAll(async () => {
    await devices?.stop();
  });
  return (ctx) => {
    if (devices === undefined) ctx.skip(skipReason);
    return devices!;
  };
}

export async function startUnpluggableDevices(): Promise<UnpluggableDevices | { skipped: string }> {
  const mic = await startPulse({ devices: { script: [nullSink('mic_feed'), 'set-default-sink mic_feed', 'set-default-source mic_feed.monitor'], readySink: 'mic_feed' } });
  if ('skipped' in mic) return mic;
  // The speaker's server keeps its sink busy with a loopback from a silent source, as bench/lib/pulse.ts
  // does: an idle null sink runs with ~2 s latency, and a stream opened on it stalled for 1–2 s and then
  // took its backlog in one gulp (measured while switching devices). The microphone's server has no
  // other source (one would take the capture stream over when the microphone is unplugged); the feed
  // keeps its sink busy.
  const speaker = await startPulse({
    devices: { script: [nullSink('speaker'), KEEPALIVE_SOURCE, KEEPALIVE_LOOPBACK, 'set-default-sink speaker', 'set-default-source speaker.monitor'], readySink: 'speaker' },
  });
  if ('skipped' in speaker) {
    await mic.stop();
    return speaker;
  }
  const server = (p: PulseHandle): string => p.env.PULSE_SERVER!;
  // Both named devices in one ALSA configuration: each names its own server.
  const alsaConf = path.join(path.dirname(mic.env.ALSA_CONFIG_PATH!), 'asound-devices.conf');
  writeFileSync(
    alsaConf,
    [
      `pcm.${MIC_DEVICE} { type pulse server "${server(mic)}" device mic_feed.monitor hint { show on description "Roundtable test microphone" } }`,
      `pcm.${SPEAKER_DEVICE} { type pulse server "${server(speaker)}" device speaker hint { show on description "Roundtable test speaker" } }`,
      `pcm.!default { type pulse server "${server(speaker)}" }`,
      `ctl.!default { type pulse server "${server(speaker)}" }`,
      '',
    ].join('\n'),
  );
  const env = { ALSA_CONFIG_PATH: alsaConf };
  const modules = new Map<'input' | 'output', string>();
  const handle = (end: 'input' | 'output'): PulseHandle => (end === 'input' ? mic : speaker);
  const sinkOf = (end: 'input' | 'output'): string => (end === 'input' ? 'mic_feed' : 'speaker');
  const moduleOf = async (end: 'input' | 'output'): Promise<string> => {
    const known = modules.get(end);
    if (known !== undefined) return known;
    const list = await pactl(handle(end).env, 'list', 'short', 'modules');
    const line = list.split('\n').find((l) => l.includes('module-null-sink') && l.includes(`sink_name=${sinkOf(end)}`));
    if (line === undefined) throw new Error(`no null sink ${sinkOf(end)} loaded`);
    return line.split('\t')[0]!;
  };
  return {
    env,
    async unplug(end) {
      await pactl(handle(end).env, 'unload-module', await moduleOf(end));
      modules.delete(end);
    },
    async plugIn(end) {
      const id = (await pactl(handle(end).env, 'load-module', 'module-null-sink', `sink_name=${sinkOf(end)}`, 'rate=48000', 'channels=1', 'format=s16le')).trim();
      modules.set(end, id);
      // The keep-alive loopback went with the sink it fed.
      if (end === 'output') await pactl(speaker.env, ...KEEPALIVE_LOOPBACK.split(' '));
      await pactl(handle(end).env, 'set-default-sink', sinkOf(end));
      await pactl(handle(end).env, 'set-default-source', `${sinkOf(end)}.monitor`);
    },
    async feed(clip) {
      let pos = 0;
      const player = new DeviceSink({ frameMs: 10, env: mic.env });
      await player.start(() => {
        const frame = new Int16Array(480);
        for (let i = 0; i < frame.length; i++) frame[i] = clip[(pos + i) % clip.length]!;
        pos += 480;
        return frame;
      });
      // A player whose sink was unloaded stalls; killing it is all that is left (stop's grace runs out).
      return () => player.stop();
    },
    async listen() {
      const chunks: Int16Array[] = [];
      const recorder = new DeviceSource({ frameMs: 10, env: speaker.env });
      await recorder.start((pcm) => chunks.push(Int16Array.from(pcm)));
      return async () => {
        await recorder.stop();
        return concat(chunks);
      };
    },
    async stop() {
      await Promise.all([mic.stop(), speaker.stop()]);
    },
  };
}
