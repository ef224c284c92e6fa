import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordingPaths } from '../../src/cli/recording-paths.js';
import { defaultRecordingName, numberedPath } from '../../src/engine/audio/recording-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rt-recpaths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = new Date(2026, 11, 5, 14, 3, 9); // local time

describe('recording file names', () => {
  it('a dated default name in local time, without the room code', () => {
    expect(defaultRecordingName(at)).toBe('roundtable-2026-12-05-140309.wav');
  });

  it('numbered names go before the extension', () => {
    expect(numberedPath('/a/call.wav', 1)).toBe('/a/call.wav');
    expect(numberedPath('/a/call.wav', 2)).toBe('/a/call-2.wav');
    expect(numberedPath('/a.b/call', 3)).toBe('/a.b/call-3');
  });
});

describe('recordingPaths', () => {
  it('a file name is taken from the directory roundtable runs in', () => {
    const resolve = recordingPaths({ cwd: dir, directory: '/ignored', now: () => at });
    expect(resolve('call.wav')).toBe(path.join(dir, 'call.wav'));
    expect(resolve('/abs/call.wav')).toBe('/abs/call.wav');
  });

  it('a directory gets a dated name', () => {
    mkdirSync(path.join(dir, 'calls'));
    const resolve = recordingPaths({ cwd: dir, now: () => at });
    expect(resolve('calls')).toBe(path.join(dir, 'calls', 'roundtable-2026-12-05-140309.wav'));
    expect(resolve('later/')).toBe(path.join(dir, 'later', 'roundtable-2026-12-05-140309.wav'));
  });

  it('nothing: a dated name in recordDirectory (made if missing), else where roundtable runs', () => {
    expect(recordingPaths({ cwd: dir, now: () => at })(undefined)).toBe(path.join(dir, 'roundtable-2026-12-05-140309.wav'));
    const resolve = recordingPaths({ cwd: dir, directory: 'rec/ordings', now: () => at });
    expect(resolve(undefined)).toBe(path.join(dir, 'rec', 'ordings', 'roundtable-2026-12-05-140309.wav'));
    expect(existsSync(path.join(dir, 'rec', 'ordings'))).toBe(true);
  });

  it('a recordDirectory that cannot be made is an error that names it', () => {
    writeFileSync(path.join(dir, 'a-file'), '');
    const resolve = recordingPaths({ cwd: dir, directory: 'a-file/sub' });
    expect(() => resolve(undefined)).toThrow(`cannot create the recording directory ${path.join(dir, 'a-file', 'sub')} (config recordDirectory): `);
  });
});
