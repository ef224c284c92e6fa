/**
 * A room with a speaker and a microphone, on the private PulseAudio of
 * bench/lib/pulse.ts, for testing echo cancellation between real processes
 * (test and benchmark helper only, never on the media path):
 *
 *   participant's output ─► sink SPEAKER ─► monitor ─┬─ loopback 80 ms, −6 dB ───┐
 *                                                    ├─ loopback 95 ms, −16 dB ──┤
 *                                                    └─ loopback 115 ms, −22 dB ─┼─► sink MIC ─► monitor ─► participant's input
 *                                 the near-end talker (nearEnd.play) ────────────┘
 *
 * The direct sound comes back 80 ms later 6 dB down, and two later
 * reflections make a short reverb; PulseAudio's module-loopback holds each
 * delay (latency_msec, adapted by resampling), and each loopback's volume is
 * its gain. The participant finds its devices through PULSE_SINK and
 * PULSE_SOURCE (libpulse's default device for a client that names none),
 * which `env` carries.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DeviceSink } from '../../src/engine/audio/device.js';
import type { PulseHandle } from './pulse.js';

const run = promisify(execFile);

export interface EchoRoomOptions {
  /** Speaker → microphone paths: delay (ms) and gain (dB); default direct 80 ms −6 dB plus two reflections. */
  paths?: ReadonlyArray<{ delayMs: number; gainDb: number }>;
}

export const DEFAULT_ECHO_PATHS = [
  { delayMs: 80, gainDb: -6 },
  { delayMs: 95, gainDb: -16 },
  { delayMs: 115, gainDb: -22 },
] as const;

export interface EchoRoom {
  /** Environment for the participant in this room (merge over pulse.env). */
  readonly env: Record<string, string>;
  /** Play `pcm` (48 kHz mono) into the room's microphone, as the person in the room talking; resolves when it has been played. */
  talk(pcm: Int16Array): Promise<void>;
  close(): Promise<void>;
}

async function pactl(pulse: PulseHandle, ...args: string[]): Promise<string> {
  const { stdout } = await run('pactl', args, { env: { ...process.env, ...pulse.env }, timeout: 5000 });
  return stdout;
}

let rooms = 0;

export async function startEchoRoom(pulse: PulseHandle, opts: EchoRoomOptions = {}): Promise<EchoRoom> {
  const id = ++rooms;
  const speaker = `room${id}_speaker`;
  const mic = `room${id}_mic`;
  const modules: string[] = [];
  const load = async (...args: string[]): Promise<string> => {
    const index = (await pactl(pulse, 'load-module', ...args)).trim();
    modules.push(index);
    return index;
  };
  try {
    await load('module-null-sink', `sink_name=${speaker}`, 'rate=48000', 'channels=1', 'format=s16le');
    await load('module-null-sink', `sink_name=${mic}`, 'rate=48000', 'channels=1', 'format=s16le');
    for (const path of opts.paths ?? DEFAULT_ECHO_PATHS) {
      const module = await load('module-loopback', `source=${speaker}.monitor`, `sink=${mic}`, `latency_msec=${path.delayMs}`, 'source_dont_move=true', 'sink_dont_move=true', 'adjust_time=0');
      const input = await sinkInputOf(pulse, module);
      // A linear factor: PulseAudio's percentages are on a cubic scale.
      await pactl(pulse, 'set-sink-input-volume', input, (10 ** (path.gainDb / 20)).toFixed(4));
    }
  } catch (err) {
    for (const m of modules.reverse()) await pactl(pulse, 'unload-module', m).catch(() => undefined);
    throw err;
  }
  const env = { ...pulse.env, PULSE_SINK: speaker, PULSE_SOURCE: `${mic}.monitor` };
  // The talker's voice goes through a sink opened now and fed silence until
  // talk(): opening a device process mid-call is a CPU spike that starves the
  // participant's own audio processes on a 2-core machine.
  const voice = new DeviceSink({ frameMs: 10, env: { ...pulse.env, PULSE_SINK: mic } });
  let speech: { pcm: Int16Array; at: number; done: () => void } | undefined;
  try {
    await voice.start(() => {
      const frame = new Int16Array(480);
      if (speech === undefined) return frame;
      frame.set(speech.pcm.subarray(speech.at, Math.min(speech.pcm.length, speech.at + 480)));
      speech.at += 480;
      if (speech.at >= speech.pcm.length) {
        speech.done();
        speech = undefined;
      }
      return frame;
    });
  } catch (err) {
    for (const m of modules.reverse()) await pactl(pulse, 'unload-module', m).catch(() => undefined);
    throw err;
  }
  return {
    env,
    talk: (pcm) => {
      if (speech !== undefined) return Promise.reject(new Error('the talker is already talking'));
      return new Promise<void>((done) => (speech = { pcm, at: 0, done }));
    },
    close: async () => {
      await voice.stop();
      for (const m of modules.reverse()) await pactl(pulse, 'unload-module', m).catch(() => undefined);
    },
  };
}

/** The sink input a loopback module created (its "Owner Module"). */
async function sinkInputOf(pulse: PulseHandle, module: string): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const listing = await pactl(pulse, 'list', 'sink-inputs');
    for (const block of listing.split(/\n(?=Sink Input #)/)) {
      const index = /^Sink Input #(\d+)/.exec(block)?.[1];
      if (index !== undefined && new RegExp(`Owner Module: ${module}\\b`).test(block)) return index;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`module-loopback ${module} made no sink input`);
}
