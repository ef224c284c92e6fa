/**
 * `roundtable test-audio` in-process with files: the text report, the live
 * meter only on a terminal, the duration's range. The noisy-fixture figures
 * and the sound-device run are in test/e2e/test-audio.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main.js';
import { readWavMono48k } from '../../../src/engine/audio/wav-file.js';
import { run } from '../run-helper.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SPEECH = path.join(ROOT, 'fixtures', 'speech-a.wav');
const dir = mkdtempSync(path.join(tmpdir(), 'rt-test-audio-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('roundtable test-audio', () => {
  it('records a file through the path, writes the result and reports in plain text, without control sequences off a terminal', async () => {
    const out = path.join(dir, 'plain.wav');
    const r = await run(['test-audio', '--input', SPEECH, '--output', out, '--duration', '1.5'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Recording 1.5 s from ${SPEECH}`);
    expect(r.stdout).toContain(`Wrote the processed recording to ${out}.`);
    expect(r.stdout).toMatch(/Your microphone \(1\.5 s, as it came in\):\n {2}peak +-\d+\.\d dBFS\n {2}speech level +-\d+\.\d dBFS\n {2}noise floor/);
    expect(r.stdout).toMatch(/After processing \(noise suppression on, gain control (on|unavailable here), Opus\)/);
    expect(r.stdout).toMatch(/Noise suppression removed \d+\.\d dB of background noise/);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).not.toContain('\r');
    // 1.5 s recorded; the result is what came out of the path, less its lead-in.
    const written = await readWavMono48k(out);
    expect(written.length).toBeGreaterThan(48_000 * 1.2);
    expect(written.length).toBeLessThanOrEqual(48_000 * 1.5);
  });

  it('draws a live meter on a terminal, on one line, and clears it before the report', async () => {
    let stdout = '';
    const io = { stdout: { write: (s: string) => ((stdout += s), true), columns: 100, isTTY: true }, stderr: { write: () => true } };
    const code = await runCli(['test-audio', '--input', SPEECH, '--output', path.join(dir, 'tty.wav'), '--duration', '1'], io, { env: {}, cwd: dir });
    expect(code).toBe(0);
    const redraws = stdout.split('\r').filter((s) => s.includes('dBFS') && s.includes('s left'));
    expect(redraws.length).toBeGreaterThanOrEqual(3);
    expect(redraws[0]).toMatch(/^ {2}[█▏▎▍▌▋▊▉·]{30} +(-\d+\.\d dBFS|≤ -100 dBFS) {2}\d\.\d s left\x1b\[K$/);
    // Cleared (carriage return, erase line) before the next line is written.
    expect(stdout).toContain('s left\x1b[K\r\x1b[KWrote the processed recording');
    expect(stdout).toContain('\n\nYour microphone');
  });

  it('takes 1 to 30 seconds', async () => {
    for (const d of ['0.5', '31', 'abc']) {
      const r = await run(['test-audio', '--input', SPEECH, '--output', path.join(dir, 'x.wav'), '--duration', d], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--duration must be a number of seconds from 1 to 30');
    }
  });

  it('an unreadable --input is a usage error', async () => {
    const r = await run(['test-audio', '--input', path.join(dir, 'missing.wav'), '--output', path.join(dir, 'x.wav')], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('file not found');
  });
});
