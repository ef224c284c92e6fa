/**
 * Sound devices that go away and come back, for real: a microphone and a
 * speaker on PulseAudio servers of their own (test/helpers/unpluggable-devices.ts)
 * whose modules the test unloads and loads again, as a USB headset is pulled
 * and plugged in. What is checked is what a user would notice: the end says
 * it is lost, nothing throws, and the audio (speech through the microphone,
 * speech out of the speaker) is there again after the device returns.
 * Skipped only where PulseAudio cannot start.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bestPresence, concat, HEARD } from '../../../bench/lib/analysis.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { AudioEndsControl } from '../../../src/engine/audio/audio-ends.js';
import { openAudio } from '../../../src/engine/audio/open.js';
import { readWavMono48k } from '../../../src/engine/audio/wav-file.js';
import { MIC_DEVICE, SPEAKER_DEVICE, useUnpluggableDevices } from '../../helpers/unpluggable-devices.js';

const SPEECH = path.resolve(import.meta.dirname, '../../../fixtures/speech-a.wav');

const requireDevices = useUnpluggableDevices();

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - t0;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('live sound devices', () => {
  it('a microphone that is unplugged is reported lost, and captures speech again once plugged back in', async (ctx) => {
    const d = requireDevices(ctx);
    const speech = await readWavMono48k(SPEECH);
    let stopFeed = await d.feed(speech);
    const opened = await openAudio({ input: { kind: 'device', device: MIC_DEVICE }, output: { kind: 'none' }, frameMs: 20, playbackFrameMs: 10, env: d.env }, silentLogger);
    const control = opened.control as AudioEndsControl;
    let frames: Int16Array[] = [];
    await opened.source.start((pcm) => frames.push(Int16Array.from(pcm)));
    try {
      expect(control.state.input).toEqual({ kind: 'device', name: MIC_DEVICE, health: 'ok' });
      await sleep(6000);
      expect(bestPresence(speech, concat(frames), HEARD)).toBeGreaterThan(0.5);

      await d.unplug('input');
      const lostAfterMs = await until('the microphone to be lost', () => control.state.input.health === 'lost', 5000);
      await stopFeed();
      const duringLoss = frames.length;
      await sleep(1500);
      // Nothing comes from a microphone that is not there (and nothing threw).
      expect(frames.length - duringLoss).toBeLessThanOrEqual(2);

      await d.plugIn('input');
      stopFeed = await d.feed(speech);
      const backAfterMs = await until('the microphone to return', () => control.state.input.health === 'ok', 10_000);
      frames = [];
      await sleep(6000);
      expect(control.state.input).toEqual({ kind: 'device', name: MIC_DEVICE, health: 'ok' });
      // ~50 frames a second once back, and the speech in them.
      expect(frames.length).toBeGreaterThan(250);
      expect(bestPresence(speech, concat(frames), HEARD)).toBeGreaterThan(0.5);
      ctx.annotate(`lost after ${lostAfterMs} ms, back ${backAfterMs} ms after plug-in`);
    } finally {
      await opened.source.stop();
      await stopFeed();
    }
  }, 90_000);

  it('a speaker that is unplugged is reported lost, the mix keeps moving, and it plays again once plugged back in', async (ctx) => {
    const d = requireDevices(ctx);
    const speech = await readWavMono48k(SPEECH);
    const opened = await openAudio({ input: { kind: 'none' }, output: { kind: 'device', device: SPEAKER_DEVICE }, frameMs: 20, playbackFrameMs: 10, env: d.env }, silentLogger);
    const control = opened.control as AudioEndsControl;
    let pos = 0;
    let pulls = 0;
    await opened.sink.start(() => {
      pulls++;
      const frame = new Int16Array(480);
      for (let i = 0; i < frame.length; i++) frame[i] = speech[(pos + i) % speech.length]!;
      pos += 480;
      return frame;
    });
    try {
      expect(control.state.output).toEqual({ kind: 'device', name: SPEAKER_DEVICE, health: 'ok' });
      let stopListening = await d.listen();
      await sleep(6000);
      expect(bestPresence(speech, await stopListening(), HEARD)).toBeGreaterThan(0.5);

      await d.unplug('output');
      const lostAfterMs = await until('the speaker to be lost', () => control.state.output.health === 'lost', 5000);
      const atLoss = pulls;
      await sleep(2000);
      // The stand-in clock pulls in real time (100 a second), so the mix does not fall behind.
      expect(pulls - atLoss).toBeGreaterThan(150);
      expect(pulls - atLoss).toBeLessThan(250);

      await d.plugIn('output');
      const backAfterMs = await until('the speaker to return', () => control.state.output.health === 'ok', 10_000);
      stopListening = await d.listen();
      await sleep(6000);
      expect(bestPresence(speech, await stopListening(), HEARD)).toBeGreaterThan(0.5);
      ctx.annotate(`lost after ${lostAfterMs} ms, back ${backAfterMs} ms after plug-in`);
    } finally {
      await opened.sink.stop();
    }
  }, 90_000);

  it('switches the speaker mid-stream to another device and back, by name', async (ctx) => {
    const d = requireDevices(ctx);
    const opened = await openAudio({ input: { kind: 'none' }, output: { kind: 'device', device: SPEAKER_DEVICE }, frameMs: 20, playbackFrameMs: 10, env: d.env }, silentLogger);
    const control = opened.control as AudioEndsControl;
    await opened.sink.start(() => new Int16Array(480));
    try {
      await control.refreshDevices();
      expect(control.state.devices?.output).toEqual(expect.arrayContaining([MIC_DEVICE, SPEAKER_DEVICE, 'default']));
      await expect(control.switchDevice('output', 'no such speaker')).rejects.toThrow(/cannot switch to "no such speaker": .*no output device matching/);
      expect(control.state.output).toMatchObject({ name: SPEAKER_DEVICE, health: 'ok' });
      await control.switchDevice('output', 'default');
      expect(control.state.output).toEqual({ kind: 'device', name: 'default', health: 'ok' });
      await control.switchDevice('output', SPEAKER_DEVICE);
      expect(control.state.output).toEqual({ kind: 'device', name: SPEAKER_DEVICE, health: 'ok' });
    } finally {
      await opened.sink.stop();
    }
  }, 60_000);
});
