import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { FallbackSink, FallbackSource } from '../../../src/engine/audio/fallback-audio.js';
import { NoInputSource, NullSink } from '../../../src/engine/audio/null-audio.js';
import { openAudio, type AudioFallback } from '../../../src/engine/audio/open.js';
import { WavSink } from '../../../src/engine/audio/wav-sink.js';
import { WavSource } from '../../../src/engine/audio/wav-source.js';

const SPEECH = fileURLToPath(new URL('../../../fixtures/speech-a.wav', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'rt-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openAudio', () => {
  it('opens WAV files and "none" as the spec says, with the spec\'s frame sizes', async () => {
    const wav = await openAudio({ input: { kind: 'wav', path: SPEECH, loop: true }, output: { kind: 'wav', path: path.join(dir, 'o.wav') }, frameMs: 20, playbackFrameMs: 10 }, silentLogger);
    expect(wav.source).toBeInstanceOf(WavSource);
    expect(wav.sink).toBeInstanceOf(WavSink);
    expect([wav.source.frameMs, wav.sink.frameMs]).toEqual([20, 10]);
    const none = await openAudio({ input: { kind: 'none' }, output: { kind: 'none' }, frameMs: 10, playbackFrameMs: 10 }, silentLogger);
    expect(none.source).toBeInstanceOf(NoInputSource);
    expect(none.sink).toBeInstanceOf(NullSink);
    // What the UI shows of them, and a switch refused in words.
    expect(wav.control?.state).toEqual({ input: { kind: 'file', name: SPEECH, health: 'ok' }, output: { kind: 'file', name: path.join(dir, 'o.wav'), health: 'ok' }, devices: null });
    expect(none.control?.state.input).toEqual({ kind: 'none', name: '', health: 'ok' });
    await expect(wav.control!.switchDevice('input', 'USB')).rejects.toThrow(`the input is the file ${SPEECH}, not a sound device; to use sound devices, start without --input`);
    await expect(none.control!.switchDevice('output', 'USB')).rejects.toThrow('the output is nothing, not a sound device; to use sound devices, start without --output');
  });

  it('with a fallback path, a device that cannot open gives way to no input and to the WAV file, and says so', async () => {
    const fallbacks: AudioFallback[] = [];
    const out = path.join(dir, 'fallback.wav');
    // A device name that matches nothing: the device process reports it missing, with or without a sound card.
    const ends = await openAudio(
      { input: { kind: 'device', device: 'no-such-device-xyz' }, output: { kind: 'device', device: 'no-such-device-xyz' }, frameMs: 20, playbackFrameMs: 10, fallbackOutputPath: out },
      silentLogger,
      (f) => fallbacks.push(f),
    );
    expect(ends.source).toBeInstanceOf(FallbackSource);
    expect(ends.sink).toBeInstanceOf(FallbackSink);
    await ends.sink.start(() => new Int16Array(480));
    await ends.source.start(() => undefined);
    await ends.source.stop();
    await ends.sink.stop();
    expect(fallbacks.map((f) => f.end).sort()).toEqual(['input', 'output']);
    expect(fallbacks.find((f) => f.end === 'output')?.path).toBe(out);
  }, 20_000);
});
