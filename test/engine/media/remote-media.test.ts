/**
 * RemoteMedia with real media processes: two participants' media paths,
 * each in a process of its own, linked directly (this test relays the link
 * signals instead of a signaling server), real node-datachannel on 127.0.0.1
 * and real Opus. Checks the audio that came out, and what happens when a
 * media process dies.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readWavMono48k } from '../../../src/engine/audio/wav-file.js';
import type { AudioEndsSpec } from '../../../src/engine/audio/open.js';
import { RemoteMedia } from '../../../src/engine/media/remote-media.js';
import type { LinkState } from '../../../src/engine/mesh/peer-link.js';
import type { SessionLink, SessionLinkOptions } from '../../../src/engine/room/peer-entry.js';
import { bestPresence, HEARD } from '../../../bench/lib/analysis.js';
import { peakLevel } from '../../../src/engine/audio/level.js';
import { readWavChannels } from '../../helpers/wav-channels.js';

const SPEECH = fileURLToPath(new URL('../../../fixtures/speech-a.wav', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'rt-remote-media-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const media = { frameMs: 20 as const, cues: { enabled: false } };

function audio(input: AudioEndsSpec['input'], outputPath: string): AudioEndsSpec {
  return { input, output: { kind: 'wav', path: outputPath }, frameMs: 20, playbackFrameMs: 10 };
}

function linkOptions(peerId: string, role: 'offerer' | 'answerer', ssrc: number, to: () => SessionLink, states: LinkState[], packets: number[]): SessionLinkOptions {
  return {
    peerId,
    role,
    iceServers: [],
    bindAddress: '127.0.0.1',
    ssrc,
    cname: `c-${peerId}`,
    onSignal: (s) => to().handleSignal(s),
    onState: (s) => states.push(s),
    onPacket: (t) => packets.push(t),
  };
}

describe('RemoteMedia (media in a process of its own)', () => {
  it('two media processes linked directly: B hears what A says, states and link activity reach the control side, both end cleanly', async () => {
    const a = new RemoteMedia({ config: { media, audio: audio({ kind: 'wav', path: SPEECH, loop: true }, path.join(dir, 'a-out.wav')) } });
    const bOut = path.join(dir, 'b-out.wav');
    const b = new RemoteMedia({ config: { media, audio: audio({ kind: 'none' }, bOut) } });
    await Promise.all([a.start(), b.start()]);
    expect(a.ssrc).not.toBe(b.ssrc);
    a.addPeer('b', { sendRtp: () => false });
    b.addPeer('a', { sendRtp: () => false });
    const aStates: LinkState[] = [];
    const bStates: LinkState[] = [];
    const bPackets: number[] = [];
    let linkA: SessionLink | undefined;
    let linkB: SessionLink | undefined;
    linkA = a.linkFactory(linkOptions('b', 'offerer', a.ssrc, () => linkB!, aStates, []));
    linkB = b.linkFactory(linkOptions('a', 'answerer', b.ssrc, () => linkA!, bStates, bPackets));
    linkA.start();
    linkB.start();
    for (let i = 0; i < 100 && !(aStates.includes('connected') && bStates.includes('connected')); i++) await sleep(50);
    expect(aStates).toContain('connected');
    expect(bStates).toContain('connected');
    expect(linkA.isOpen).toBe(true);
    expect(linkA.selectedCandidatePair()?.local.address).toBe('127.0.0.1');

    // An action shows at once in the control side's view, before any snapshot returns.
    b.setMuted(true);
    expect(b.self.muted).toBe(true);
    b.setPeerVolume('a', 250);
    expect(b.peerStats('a')?.volumePercent ?? 200).toBe(200);
    // Noise suppression on both ends (RNNoise loads in each media process): speech still gets through.
    expect(a.self.processing['noise-suppression']).toBe('off');
    a.setProcessing('noise-suppression', true);
    expect(a.self.processing['noise-suppression']).toBe('on');
    b.setPeerNoiseSuppression('a', true);

    await sleep(3500);
    expect(bPackets.length).toBeGreaterThan(0);
    expect(b.peerStats('a')!.receive.received).toBeGreaterThan(100);
    expect(b.peerStats('a')!.noiseSuppression).toBe(true);
    expect(a.self.processing['noise-suppression']).toBe('on');
    linkA.close();
    linkB.close();
    await Promise.all([a.stop(), b.stop()]);
    expect(b.finalReport?.anchors.firstOutputNs).not.toBeNull();
    expect(a.captureStats.packetsSent).toBeGreaterThan(100);

    const heard = await readWavMono48k(bOut);
    const said = await readWavMono48k(SPEECH);
    expect(heard.length).toBeGreaterThan(48_000 * 3);
    expect(bestPresence(said, heard, HEARD)).toBeGreaterThan(0.5);
  }, 30_000);

  it('Ctrl-C in a terminal (SIGINT to the whole process group) leaves the media process to its control side: the output file is finished', async () => {
    const out = path.join(dir, 'sigint.wav');
    const m = new RemoteMedia({ config: { media, audio: audio({ kind: 'wav', path: SPEECH, loop: true }, out) } });
    const failures: string[] = [];
    m.onFailure = (message) => failures.push(message);
    await m.start();
    await sleep(300);
    process.kill(m.pid!, 'SIGINT');
    process.kill(m.pid!, 'SIGTERM');
    await sleep(300);
    expect(isAlive(m.pid!)).toBe(true);
    await m.stop();
    expect(failures).toEqual([]);
    const heard = await readWavMono48k(out);
    // A finished WAV: its header gives the true length (an unfinished one claims ~2^31 samples).
    expect(heard.length).toBeGreaterThan(48_000 * 0.3);
    expect(heard.length).toBeLessThan(48_000 * 5);
  }, 20_000);

  it('a media process that stops answering (frozen: SIGSTOP, as a native deadlock leaves it) is ended and the session told why', async () => {
    const m = new RemoteMedia({ config: { media, audio: audio({ kind: 'wav', path: SPEECH, loop: true }, path.join(dir, 'hung-out.wav')) }, unresponsiveAfterMs: 1500 });
    const failures: string[] = [];
    m.onFailure = (message) => failures.push(message);
    await m.start();
    const pid = m.pid!;
    await sleep(500);
    expect(failures).toEqual([]); // a running process says something every 100 ms
    process.kill(pid, 'SIGSTOP');
    for (let i = 0; i < 200 && failures.length === 0; i++) await sleep(50);
    expect(failures).toEqual([expect.stringMatching(/^the audio engine stopped responding for \d+ s and was ended .*join again to continue$/)]);
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(50);
    expect(isAlive(pid)).toBe(false); // SIGKILL ends a stopped process too: nothing is left behind
    await m.stop().catch(() => undefined);
  }, 30_000);

  it('a media process whose control process is SIGKILLed stops by itself, finishing its output file', async () => {
    const out = path.join(dir, 'orphan.wav');
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const control = spawn(process.execPath, ['--import', pathToFileURL(tsx).href, fileURLToPath(new URL('./orphan-control.child.ts', import.meta.url)), out], { stdio: ['ignore', 'pipe', 'inherit'] });
    const mediaPid = await new Promise<number>((resolve, reject) => {
      control.stdout!.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim())));
      control.once('exit', (code) => reject(new Error(`control exited early (${code})`)));
    });
    expect(isAlive(mediaPid)).toBe(true);
    await sleep(300);
    control.kill('SIGKILL');
    // ~1.3 s on a quiet machine (stop, cleanup of the native library); a loaded 2-core CI runner, with
    // the control process compiled by tsx at start, needs far more of the test's budget than that.
    for (let i = 0; i < 300 && isAlive(mediaPid); i++) await sleep(50);
    expect(isAlive(mediaPid)).toBe(false);
    const heard = await readWavMono48k(out);
    expect(heard.length).toBeLessThan(48_000 * 10);
  }, 60_000);

  it('records in the media process: starting and stopping show at once on the control side, the file is a finished stereo WAV', async () => {
    const m = new RemoteMedia({ config: { media, audio: audio({ kind: 'wav', path: SPEECH, loop: true }, path.join(dir, 'rec-out.wav')) } });
    await m.start();
    const file = path.join(dir, 'remote-rec.wav');
    m.setRecording(true, file);
    expect(m.self.recording).toMatchObject({ state: 'starting', path: file, count: 1 });
    for (let i = 0; i < 100 && m.self.recording.state !== 'recording'; i++) await sleep(20);
    expect(m.self.recording).toMatchObject({ state: 'recording', path: file, count: 1, error: null });
    await sleep(500);
    m.setRecording(false);
    expect(m.self.recording.state).toBe('stopping');
    for (let i = 0; i < 100 && m.self.recording.state !== 'off'; i++) await sleep(20);
    expect(m.self.recording).toMatchObject({ state: 'off', path: file, error: null });
    expect(m.self.recording.seconds).toBeGreaterThan(0.3);
    // A second recording is still recording when the media process stops: its stop finishes that file too.
    m.setRecording(true, file);
    for (let i = 0; i < 100 && m.self.recording.state !== 'recording'; i++) await sleep(20);
    expect(m.self.recording).toMatchObject({ path: path.join(dir, 'remote-rec-2.wav'), count: 2 });
    await sleep(300);
    await m.stop();
    expect(m.self.recording.state).toBe('off');
    for (const f of [file, path.join(dir, 'remote-rec-2.wav')]) {
      const wav = readWavChannels(f);
      expect(wav.channels).toHaveLength(2);
      expect(wav.fileBytes).toBe(44 + wav.dataSize);
      expect(peakLevel(wav.channels[0]!)).toBeGreaterThan(0.05); // the speech clip, on the left
      expect(peakLevel(wav.channels[1]!)).toBe(0); // nobody to hear, on the right
    }
  }, 20_000);

  it('a media process that dies ends the call with a message saying so', async () => {
    const m = new RemoteMedia({ config: { media, audio: audio({ kind: 'none' }, path.join(dir, 'dies.wav')) } });
    const failures: string[] = [];
    m.onFailure = (message) => failures.push(message);
    await m.start();
    process.kill(m.pid!, 'SIGKILL');
    for (let i = 0; i < 100 && failures.length === 0; i++) await sleep(20);
    expect(failures).toEqual([expect.stringMatching(/the media process ended unexpectedly \(signal SIGKILL\)/)]);
    await m.stop();
  }, 20_000);

  it('an audio end that cannot open fails start() with its own error name and message, and leaves no process', async () => {
    const m = new RemoteMedia({ config: { media, audio: audio({ kind: 'wav', path: path.join(dir, 'missing.wav'), loop: false }, path.join(dir, 'x.wav')) } });
    const err = await m.start().catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('AudioFileError');
    expect((err as Error).message).toContain('missing.wav');
    expect(m.pid === undefined || !isAlive(m.pid)).toBe(true);
  }, 20_000);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
