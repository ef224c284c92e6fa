/**
 * Devices that come and go in a real call: ada joins with a microphone and
 * a speaker (test/helpers/unpluggable-devices.ts: each on a PulseAudio
 * server of its own, so unloading one is a device pulled out), bob with
 * fixture WAVs. As a user would check it:
 * - bob hears what ada's microphone picks up;
 * - ada's microphone is pulled: `ctl status` says it is lost, the call goes
 *   on (ada stays, bob still hears nothing from ada but is not dropped),
 *   and once it is plugged back in bob hears ada again, without anyone
 *   doing anything;
 * - `ctl devices` lists the devices, `ctl device output NAME` moves ada's
 *   speaker mid-call and a wrong name is refused in words, the old speaker
 *   playing on;
 * - both leave with exit 0.
 * Skipped only where PulseAudio cannot start.
 */
import { describe, expect, it } from 'vitest';
import { bestPresence, HEARD, joinArgs, newCode, readWav, runClient, runCtl, serveProcess, sessionWorkspace, sleep, speech, writeLoopbackConfig, type Client } from './harness.js';
import { MIC_DEVICE, SPEAKER_DEVICE, useUnpluggableDevices } from '../helpers/unpluggable-devices.js';
import { readWavMono48k } from '../../src/engine/audio/wav-file.js';

const workspace = sessionWorkspace();
const clients = workspace.clients;
const requireDevices = useUnpluggableDevices();

interface AudioStatus {
  input: { kind: string; name: string; health: string; problem?: string };
  output: { kind: string; name: string; health: string; problem?: string };
  devices: { input: string[]; output: string[] } | null;
}

async function audioOf(c: Client): Promise<AudioStatus> {
  const r = await runCtl(['status', '--pid', String(c.proc.pid)]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { audio: AudioStatus }).audio;
}

async function waitForAudio(c: Client, what: string, check: (a: AudioStatus) => boolean, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const audio = await audioOf(c);
    if (check(audio)) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(audio)}`);
    await sleep(200);
  }
}

describe('sound devices in a call', () => {
  it('a pulled microphone is reported and comes back by itself; the speaker switches mid-call', async (ctx) => {
    const d = requireDevices(ctx);
    const speechA = await readWavMono48k(speech('a'));
    let stopFeed = await d.feed(speechA);
    try {
      const serve = await serveProcess();
      clients.push(serve.client);
      const code = newCode();
      const config = writeLoopbackConfig(workspace.dir);
      // ada's process sees the test's devices (the env reaches its device processes).
      const saved = process.env.ALSA_CONFIG_PATH;
      process.env.ALSA_CONFIG_PATH = d.env.ALSA_CONFIG_PATH;
      let ada: Client;
      try {
        ada = runClient('ada', [...joinArgs('ada', { code, server: serve.url, config, control: true }), '--input-device', MIC_DEVICE, '--output-device', SPEAKER_DEVICE]);
      } finally {
        if (saved === undefined) delete process.env.ALSA_CONFIG_PATH;
        else process.env.ALSA_CONFIG_PATH = saved;
      }
      const bobOut = workspace.dir.file('bob-devices.wav');
      const bob = runClient('bob', joinArgs('bob', { code, server: serve.url, config, input: speech('b'), output: bobOut, control: true }));
      clients.push(ada, bob);
      await Promise.all([ada, bob].map((c) => c.waitFor((l) => l.event === 'peer-connected', 20_000, 'the other connected')));
      expect(await audioOf(ada)).toMatchObject({ input: { kind: 'device', name: MIC_DEVICE, health: 'ok' }, output: { kind: 'device', name: SPEAKER_DEVICE, health: 'ok' } });
      await sleep(6000);

      // Pulled out: reported, and the call goes on.
      await d.unplug('input');
      const lostMs = await waitForAudio(ada, 'the microphone lost', (a) => a.input.health === 'lost', 6000);
      await stopFeed();
      await sleep(2000);
      const during = await runCtl(['status', '--pid', String(bob.proc.pid)]);
      expect(JSON.parse(during.stdout)).toMatchObject({ phase: 'in-call', peers: [{ name: 'ada', state: 'connected' }] });
      expect(ada.proc.exitCode).toBeNull();

      // Back in: found again by name, and bob hears ada again.
      await d.plugIn('input');
      stopFeed = await d.feed(speechA);
      const backMs = await waitForAudio(ada, 'the microphone back', (a) => a.input.health === 'ok', 12_000);
      await sleep(7000);

      // The speaker: list, refuse a wrong name, move mid-call and back.
      const list = await runCtl(['devices', '--pid', String(ada.proc.pid)]);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toMatch(new RegExp(`speakers:[\\s\\S]*\\* ${SPEAKER_DEVICE}`));
      const wrong = await runCtl(['device', 'output', 'no such speaker', '--pid', String(ada.proc.pid)]);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('cannot switch to "no such speaker"');
      const moved = await runCtl(['device', 'output', 'default', '--pid', String(ada.proc.pid)]);
      expect(moved.code, moved.stderr).toBe(0);
      expect(moved.stdout.trim()).toBe('speaker: default');
      const movedBack = await runCtl(['device', 'output', SPEAKER_DEVICE, '--pid', String(ada.proc.pid)]);
      expect(movedBack.code, movedBack.stderr).toBe(0);
      expect((await audioOf(ada)).output).toEqual({ kind: 'device', name: SPEAKER_DEVICE, health: 'ok' });

      for (const c of [bob, ada]) {
        const left = await runCtl(['leave', '--pid', String(c.proc.pid)]);
        expect(left.code, left.stderr).toBe(0);
      }
      expect(await ada.exited).toEqual({ code: 0, signal: null });
      expect(await bob.exited).toEqual({ code: 0, signal: null });

      // Bob's last seconds: ada's microphone after it came back (and after the speaker moves, which must not touch it).
      const heard = await readWav(bobOut);
      const tail = heard.subarray(Math.max(0, heard.length - 8 * 48_000));
      const presence = bestPresence(speechA, tail, HEARD);
      expect(presence).toBeGreaterThan(0.3);
      ctx.annotate(`microphone lost reported after ${lostMs} ms; back ${backMs} ms after plug-in; presence after return ${presence.toFixed(2)}`);
    } finally {
      await stopFeed();
    }
  }, 150_000);
});
