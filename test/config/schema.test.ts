import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, buildConfigSchema, currentUsername, defaultLogFile, defaultsFor, hostContext } from '../../src/config/schema.js';

const host = hostContext({ homeDir: '/home/ada', username: 'ada', env: {} });

describe('config schema defaults', () => {
  it('has every default from the spec in one place', () => {
    expect(defaultsFor(host)).toEqual({
      server: 'ws://127.0.0.1:8787',
      name: 'ada',
      ice: { servers: [{ urls: 'stun:stun.l.google.com:19302' }], relayOnly: false },
      audio: { frameMs: 20, bitrate: 32000, dtx: true, lowDelay: false, complexity: 5, echoCancellation: 'auto', noiseSuppression: true, autoGain: true, echoTailMs: 200, echoDelayMs: 0, redundancy: true, realtimePriority: true },
      jitterBuffer: { minDelayMs: 0, maxDelayMs: 400 },
      cues: { enabled: true, volumePercent: 50 },
      keys: { mute: 'm', deafen: 'd', pushToTalk: 'p', talk: 'space', echoCancellation: 'e', noiseSuppression: 'n', autoGain: 'g', lock: 'L', devices: 'i', record: 'R', stats: 's', help: '?', quit: 'q' },
      controlSocket: true,
      logFile: '/home/ada/.local/state/roundtable/roundtable.log',
      logLevel: 'info',
    });
  });

  it('controlSocket: true, false, or an absolute path (~ expanded); a relative path is refused', () => {
    const schema = buildConfigSchema(host);
    expect(schema.parse({ controlSocket: false }).controlSocket).toBe(false);
    expect(schema.parse({ controlSocket: '/run/rt.sock' }).controlSocket).toBe('/run/rt.sock');
    expect(schema.parse({ controlSocket: '~/rt.sock' }).controlSocket).toBe('/home/ada/rt.sock');
    expect(schema.safeParse({ controlSocket: 'rt.sock' }).success).toBe(false);
    expect(schema.safeParse({ controlSocket: 3 }).success).toBe(false);
  });

  it('recordDirectory: absent by default (the directory roundtable runs in), ~ expanded, never empty', () => {
    const schema = buildConfigSchema(host);
    expect(schema.parse({}).recordDirectory).toBeUndefined();
    expect(schema.parse({ recordDirectory: '~/Recordings' }).recordDirectory).toBe('/home/ada/Recordings');
    expect(schema.parse({ recordDirectory: 'calls' }).recordDirectory).toBe('calls');
    expect(schema.safeParse({ recordDirectory: '' }).success).toBe(false);
  });

  it('DEFAULTS uses the current user and a log file under the home directory', () => {
    expect(DEFAULTS.name).toBe(currentUsername().slice(0, 32));
    expect(path.isAbsolute(DEFAULTS.logFile)).toBe(true);
  });

  it('fills in nested defaults around partial sections', () => {
    const config = buildConfigSchema(host).parse({ audio: { bitrate: 16000 }, keys: { mute: 'x' } });
    expect(config.audio).toEqual({ frameMs: 20, bitrate: 16000, dtx: true, lowDelay: false, complexity: 5, echoCancellation: 'auto', noiseSuppression: true, autoGain: true, echoTailMs: 200, echoDelayMs: 0, redundancy: true, realtimePriority: true });
    expect(config.keys.mute).toBe('x');
    expect(config.keys.quit).toBe('q');
  });

  it('the log file follows XDG_STATE_HOME when set, and expands ~', () => {
    expect(defaultLogFile({ ...host, env: { XDG_STATE_HOME: '/var/state' } })).toBe('/var/state/roundtable/roundtable.log');
    expect(defaultLogFile({ ...host, env: { XDG_STATE_HOME: 'relative' } })).toBe('/home/ada/.local/state/roundtable/roundtable.log');
    expect(buildConfigSchema(host).parse({ logFile: '~/logs/rt.log' }).logFile).toBe('/home/ada/logs/rt.log');
  });

  it('a too-long user name is cut to the 32-character limit, so the defaults stay valid', () => {
    const long = hostContext({ homeDir: '/h', username: 'x'.repeat(40), env: {} });
    expect(defaultsFor(long).name).toHaveLength(32);
  });
});

describe('config schema accepts', () => {
  const schema = buildConfigSchema(host);

  it('urls as a string or a list, TURN with credentials, relayOnly with a TURN server', () => {
    const config = schema.parse({
      ice: {
        servers: [
          { urls: ['stun:a.example:3478', 'stuns:b.example'] },
          { urls: 'turns:relay.example:5349?transport=tcp', username: 'u', credential: 'p' },
        ],
        relayOnly: true,
      },
    });
    expect(config.ice.servers).toHaveLength(2);
  });

  it('devices by index or by name, named keys, and each frame size', () => {
    expect(schema.parse({ audio: { inputDevice: 3, outputDevice: 'USB' } }).audio).toMatchObject({ inputDevice: 3, outputDevice: 'USB' });
    expect(schema.parse({ keys: { talk: 'tab', help: 'h' } }).keys).toMatchObject({ talk: 'tab', help: 'h' });
    for (const frameMs of [10, 20, 40]) expect(schema.parse({ audio: { frameMs } }).audio.frameMs).toBe(frameMs);
  });

  it('jitter buffer bounds that are equal', () => {
    expect(schema.parse({ jitterBuffer: { minDelayMs: 60, maxDelayMs: 60 } }).jitterBuffer).toEqual({ minDelayMs: 60, maxDelayMs: 60 });
  });

  it('trims the display name', () => {
    expect(schema.parse({ name: '  bob  ' }).name).toBe('bob');
  });
});
