import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWithContext } from '../../src/cli/context.js';
import { loadConfigFromArgv, overridesFromFlags } from '../../src/cli/options.js';

describe('overridesFromFlags', () => {
  it('maps only the flags that were given to config fields', () => {
    expect(overridesFromFlags({})).toEqual({});
    expect(overridesFromFlags({ json: true, config: 'x.yaml' })).toEqual({});
    expect(
      overridesFromFlags({
        server: 'wss://a',
        name: 'ada',
        logLevel: 'debug',
        logFile: '/tmp/x.log',
        relayOnly: true,
        inputDevice: '2',
        outputDevice: 'USB',
        frameMs: 10,
        bitrate: 24000,
      }),
    ).toEqual({
      server: 'wss://a',
      name: 'ada',
      logLevel: 'debug',
      logFile: '/tmp/x.log',
      ice: { relayOnly: true },
      audio: { inputDevice: 2, outputDevice: 'USB', frameMs: 10, bitrate: 24000 },
    });
  });

  it('--relay-only=false is an override too (it can switch off a file setting)', () => {
    expect(overridesFromFlags({ relayOnly: false })).toEqual({ ice: { relayOnly: false } });
  });

  it('--control PATH (made absolute from the working directory) and --no-control set controlSocket', () => {
    const sink = { write: () => true };
    const overrides = runWithContext({ io: { stdout: sink, stderr: sink }, cwd: '/work/here', homeDir: '/h', env: {} }, () => overridesFromFlags({ control: 'rt.sock' }));
    expect(overrides).toEqual({ controlSocket: '/work/here/rt.sock' });
    expect(overridesFromFlags({ control: false })).toEqual({ controlSocket: false });
  });

  it('--[no-]echo-cancellation and --[no-]auto-gain set audio.echoCancellation and audio.autoGain', () => {
    expect(overridesFromFlags({ echoCancellation: false, autoGain: true })).toEqual({ audio: { echoCancellation: false, autoGain: true } });
    expect(overridesFromFlags({ echoCancellation: true })).toEqual({ audio: { echoCancellation: true } });
  });

  it('--low-delay / --no-low-delay set audio.lowDelay', () => {
    expect(overridesFromFlags({ lowDelay: true })).toEqual({ audio: { lowDelay: true } });
    expect(overridesFromFlags({ lowDelay: false })).toEqual({ audio: { lowDelay: false } });
  });

  it('--noise-suppression / --no-noise-suppression set audio.noiseSuppression', () => {
    expect(overridesFromFlags({ noiseSuppression: false })).toEqual({ audio: { noiseSuppression: false } });
    expect(overridesFromFlags({ noiseSuppression: true })).toEqual({ audio: { noiseSuppression: true } });
  });
});

describe('loadConfigFromArgv', () => {
  it('uses the run context for cwd, home and env, and the flags on top', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'rt-opts-'));
    try {
      const cwd = path.join(root, 'p');
      mkdirSync(cwd);
      writeFileSync(path.join(cwd, '.roundtablerc'), 'name: file\nlogLevel: warn\n');
      const sink = { write: () => true };
      const loaded = await runWithContext({ io: { stdout: sink, stderr: sink }, cwd, homeDir: root, env: { ROUNDTABLE_SERVER: 'wss://env' } }, () =>
        loadConfigFromArgv({ logLevel: 'debug' }),
      );
      expect(loaded.source).toBe(path.join(cwd, '.roundtablerc'));
      expect(loaded.config).toMatchObject({ name: 'file', server: 'wss://env', logLevel: 'debug' });
      expect(readFileSync(loaded.source!, 'utf8')).toContain('name: file');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
