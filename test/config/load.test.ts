import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { loadConfig, mergeLayers, userConfigDir } from '../../src/config/load.js';
import { keysAt } from '../../src/config/problems.js';
import { buildConfigSchema, defaultsFor, hostContext } from '../../src/config/schema.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');

let cwd: string;
let home: string;
let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'rt-config-'));
  cwd = path.join(root, 'project');
  home = path.join(root, 'home');
  mkdirSync(cwd);
  mkdirSync(home);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function write(file: string, content: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

/** Loads with the temp dirs and an empty environment, so the real home and env never leak in. */
const load = (opts: Parameters<typeof loadConfig>[0] = {}) => loadConfig({ cwd, homeDir: home, env: {}, ...opts });

async function loadError(opts: Parameters<typeof loadConfig>[0] = {}): Promise<ConfigError> {
  const error = await load(opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('loadConfig: where files are found', () => {
  it.each(['.roundtablerc', '.roundtablerc.yaml', '.roundtablerc.yml', 'roundtable.config.yaml', 'roundtable.config.yml'])(
    'finds %s in the working directory',
    async (name) => {
      const file = write(path.join(cwd, name), 'name: from-project\n');
      const { config, source } = await load();
      expect(source).toBe(file);
      expect(config.name).toBe('from-project');
    },
  );

  it('finds ~/.config/roundtable/config.yaml when the project has none', async () => {
    const file = write(path.join(home, '.config', 'roundtable', 'config.yaml'), 'name: from-home\n');
    const { config, source } = await load();
    expect(source).toBe(file);
    expect(config.name).toBe('from-home');
  });

  it('honours XDG_CONFIG_HOME for the per-user file', async () => {
    const xdg = path.join(root, 'xdg');
    const file = write(path.join(xdg, 'roundtable', 'config.yaml'), 'name: from-xdg\n');
    const { source, config } = await load({ env: { XDG_CONFIG_HOME: xdg } });
    expect(source).toBe(file);
    expect(config.name).toBe('from-xdg');
    expect(userConfigDir(home, {})).toBe(path.join(home, '.config', 'roundtable'));
  });

  it('prefers the project file over the per-user file', async () => {
    write(path.join(home, '.config', 'roundtable', 'config.yaml'), 'name: from-home\n');
    const file = write(path.join(cwd, '.roundtablerc.yaml'), 'name: from-project\n');
    expect((await load()).source).toBe(file);
  });

  it('--config wins over every searched place and resolves relative to cwd', async () => {
    write(path.join(cwd, '.roundtablerc.yaml'), 'name: from-project\n');
    const file = write(path.join(cwd, 'team', 'voice.yaml'), 'name: from-flag-file\n');
    const { source, config } = await load({ configPath: 'team/voice.yaml' });
    expect(source).toBe(file);
    expect(config.name).toBe('from-flag-file');
  });

  it('returns the defaults and a null source when no file exists', async () => {
    const { config, source, origins } = await load();
    expect(source).toBeNull();
    expect(config).toEqual(defaultsFor(hostContext({ homeDir: home, env: {} })));
    expect(Object.values(origins).every((o) => o === 'default')).toBe(true);
  });

  it('an empty file is found and means all defaults', async () => {
    const file = write(path.join(cwd, '.roundtablerc'), '');
    const { source, config } = await load();
    expect(source).toBe(file);
    expect(config.audio.frameMs).toBe(20);
  });

  it('never executes a .js file given as --config; reads it as YAML', async () => {
    const marker = path.join(root, 'executed');
    const file = write(path.join(cwd, 'evil.js'), `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')\n`);
    const error = await loadError({ configPath: file });
    expect(error.source).toBe(file);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('loadConfig: precedence flag > env > file > default', () => {
  it('each layer overrides the one below it for server', async () => {
    expect((await load()).config.server).toBe('ws://127.0.0.1:8787');

    write(path.join(cwd, '.roundtablerc.yaml'), 'server: ws://file.example:1\n');
    expect((await load()).config.server).toBe('ws://file.example:1');

    const env = { ROUNDTABLE_SERVER: 'wss://env.example' };
    const fromEnv = await load({ env });
    expect(fromEnv.config.server).toBe('wss://env.example');
    expect(fromEnv.origins.server).toBe('env');

    const fromFlag = await load({ env, overrides: { server: 'wss://flag.example' } });
    expect(fromFlag.config.server).toBe('wss://flag.example');
    expect(fromFlag.origins.server).toBe('flag');
  });

  it('an empty ROUNDTABLE_SERVER is treated as unset', async () => {
    write(path.join(cwd, '.roundtablerc.yaml'), 'server: ws://file.example:1\n');
    expect((await load({ env: { ROUNDTABLE_SERVER: '' } })).config.server).toBe('ws://file.example:1');
  });

  it('flags merge into nested sections without dropping file values', async () => {
    write(path.join(cwd, '.roundtablerc.yaml'), 'audio:\n  bitrate: 24000\n  dtx: false\n');
    const { config, origins } = await load({ overrides: { audio: { frameMs: 40 } } });
    expect(config.audio).toMatchObject({ bitrate: 24000, dtx: false, frameMs: 40, complexity: 5 });
    expect(origins['audio.frameMs']).toBe('flag');
    expect(origins['audio.bitrate']).toBe('file');
    expect(origins['audio.complexity']).toBe('default');
  });

  it('a bad ROUNDTABLE_SERVER names the environment variable', async () => {
    const error = await loadError({ env: { ROUNDTABLE_SERVER: 'http://nope' } });
    expect(error.message).toBe(
      'invalid configuration in environment variable ROUNDTABLE_SERVER: server is "http://nope"; expected a ws:// or wss:// URL of a signaling server',
    );
    expect(error.exitCode).toBe(2);
  });

  it('a bad flag value names the command-line flags', async () => {
    const error = await loadError({ overrides: { audio: { bitrate: Number.NaN } } });
    expect(error.source).toBe('command-line flags');
    expect(error.message).toContain('audio.bitrate is NaN; expected an integer from 6000 to 510000 (bits per second)');
  });
});

describe('loadConfig: errors name the file, field, value and what was expected', () => {
  const cases: Array<[string, string, string]> = [
    ['server: ftp://x\n', 'server is "ftp://x"', 'expected a ws:// or wss:// URL of a signaling server'],
    ['name: ""\n', 'name is ""', 'expected a display name of 1 to 32 characters'],
    ['name: 42\n', 'name is 42', 'expected a display name of 1 to 32 characters'],
    ['ice:\n  servers:\n    - urls: http://stun\n', 'ice.servers[0].urls is "http://stun"', 'expected a stun:, stuns:, turn: or turns: URI'],
    ['ice:\n  servers:\n    - urls: turn:127.0.0.1:3478\n      credential: pw\n', 'ice.servers[0].username is missing', 'expected a username for the TURN server turn:127.0.0.1:3478'],
    ['ice:\n  relayOnly: true\n', 'ice.relayOnly is true', 'expected relayOnly: false, or at least one turn:/turns: server'],
    ['ice:\n  relayOnly: "yes"\n', 'ice.relayOnly is "yes"', 'expected true or false'],
    ['audio:\n  frameMs: 30\n', 'audio.frameMs is 30', 'expected one of 10, 20, 40 (milliseconds)'],
    ['audio:\n  bitrate: 5000\n', 'audio.bitrate is 5000', 'expected an integer from 6000 to 510000 (bits per second)'],
    ['audio:\n  bitrate: 600000\n', 'audio.bitrate is 600000', 'expected an integer from 6000 to 510000'],
    ['audio:\n  complexity: 11\n', 'audio.complexity is 11', 'expected an integer from 0 to 10'],
    ['audio:\n  dtx: 1\n', 'audio.dtx is 1', 'expected true or false'],
    ['audio:\n  inputDevice: -1\n', 'audio.inputDevice is -1', 'expected a device index (integer ≥ 0'],
    ['audio:\n  outputDevice: [1]\n', 'audio.outputDevice is [1]', 'expected a device index'],
    ['jitterBuffer:\n  minDelayMs: 300\n  maxDelayMs: 100\n', 'jitterBuffer.maxDelayMs is 100', 'expected a value ≥ jitterBuffer.minDelayMs (300)'],
    ['jitterBuffer:\n  maxDelayMs: 5000\n', 'jitterBuffer.maxDelayMs is 5000', 'expected an integer from 0 to 2000 (milliseconds)'],
    ['cues:\n  volumePercent: 101\n', 'cues.volumePercent is 101', 'expected an integer from 0 to 100 (percent)'],
    ['cues: off\n', 'cues is "off"', 'expected a mapping with enabled and volumePercent'],
    ['keys:\n  mute: ctrl-m\n', 'keys.mute is "ctrl-m"', 'expected a single printable character or one of space'],
    ['keys:\n  quit: m\n', 'keys.quit is "m"', 'expected a key not already bound to keys.mute'],
    ['logLevel: loud\n', 'logLevel is "loud"', 'expected one of debug, info, warn, error, silent'],
    ['logFile: ""\n', 'logFile is ""', 'expected a non-empty file path'],
  ];

  it.each(cases)('%j → %s', async (yaml, fieldAndValue, expected) => {
    const file = write(path.join(cwd, '.roundtablerc.yaml'), yaml);
    const error = await loadError();
    expect(error.message).toContain(`invalid configuration in ${file}: `);
    expect(error.message).toContain(`${fieldAndValue}; ${expected}`);
    expect(error.source).toBe(file);
    expect(error.exitCode).toBe(2);
    expect(error.hint).toMatch(/config\.example\.yaml/);
    expect(error.problems).toHaveLength(1);
  });

  it('an unknown key is an error that lists the accepted keys and suggests the near one', async () => {
    const file = write(path.join(cwd, '.roundtablerc.yaml'), 'jitterBuffer:\n  maxDelay: 300\n');
    const error = await loadError();
    expect(error.message).toBe(
      `invalid configuration in ${file}: jitterBuffer.maxDelay (set to 300) is not a setting; expected one of the settings in jitterBuffer: minDelayMs, maxDelayMs (did you mean jitterBuffer.maxDelayMs?)`,
    );
    expect(error.problems[0]).toMatchObject({ field: 'jitterBuffer.maxDelay', value: 300, unknownKey: true });
  });

  it('an unknown top-level key is caught too', async () => {
    write(path.join(cwd, '.roundtablerc.yaml'), 'sever: ws://x\n');
    const error = await loadError();
    expect(error.message).toContain('sever (set to "ws://x") is not a setting; expected one of the settings at the top level: server, name');
    expect(error.message).toContain('(did you mean server?)');
  });

  it('reports every problem of a file, one per line', async () => {
    write(path.join(cwd, '.roundtablerc.yaml'), 'audio:\n  frameMs: 30\n  bitrate: 1\n');
    const error = await loadError();
    expect(error.problems.map((p) => p.field)).toEqual(['audio.frameMs', 'audio.bitrate']);
    expect(error.message.split('\n')).toHaveLength(3);
    expect(error.message).toMatch(/\(2 problems\):\n {2}- audio\.frameMs is 30/);
  });

  it('a YAML syntax error names the file and the line', async () => {
    const file = write(path.join(cwd, '.roundtablerc.yaml'), 'audio:\n  frameMs: 20\n bitrate: [\n');
    const error = await loadError();
    expect(error.line).toBe(3);
    expect(error.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: YAML syntax error: `));
    expect(error.exitCode).toBe(2);
  });

  it('a document that is not a mapping is rejected with the file named', async () => {
    const file = write(path.join(cwd, '.roundtablerc'), '- just\n- a list\n');
    const error = await loadError();
    expect(error.message).toBe(`invalid configuration in ${file}: the document is ["just","a list"]; expected a YAML mapping of settings`);
  });

  it('a missing --config file is a clear error', async () => {
    const error = await loadError({ configPath: 'nope.yaml' });
    expect(error.message).toBe(`config file not found: ${path.join(cwd, 'nope.yaml')}`);
    expect(error.exitCode).toBe(2);
  });

  it('a directory given as --config is a clear error', async () => {
    const error = await loadError({ configPath: '.' });
    expect(error.message).toMatch(/is a directory/);
  });
});

describe('config.example.yaml', () => {
  it('loads and validates, and documents every setting', async () => {
    const file = path.join(repoRoot, 'config.example.yaml');
    const { config, source, origins } = await loadConfig({ configPath: file, cwd, homeDir: home, env: {} });
    expect(source).toBe(file);
    // Every setting the schema knows is set in the example, so nothing is undocumented.
    const schema = buildConfigSchema(hostContext({ homeDir: home, env: {} }));
    const leaves = (prefix: string[]): string[] =>
      keysAt(schema, prefix).flatMap((key) => {
        const inner = keysAt(schema, [...prefix, key]);
        return inner.length ? leaves([...prefix, key]) : [[...prefix, key].join('.')];
      });
    const schemaLeaves = leaves([]);
    expect(schemaLeaves).toContain('audio.inputDevice');
    expect(schemaLeaves.filter((leaf) => origins[leaf] !== 'file')).toEqual([]);
    expect(config.ice.servers).toContainEqual({ urls: 'stun:stun.l.google.com:19302' });
    expect(config.ice.servers.some((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => u.startsWith('turn:127.0.0.1:3478')) && s.username && s.credential)).toBe(true);
    expect(config.logFile).toBe(path.join(home, '.local/state/roundtable/roundtable.log'));
  });
});

describe('mergeLayers', () => {
  it('merges objects deeply, replaces arrays and scalars, skips undefined, and copies', () => {
    const file = { a: { b: 1, c: [1, 2] }, d: 'x' };
    const merged = mergeLayers(file, undefined, { a: { c: [3], e: undefined }, d: 'y' });
    expect(merged).toEqual({ a: { b: 1, c: [3] }, d: 'y' });
    expect(file).toEqual({ a: { b: 1, c: [1, 2] }, d: 'x' });
  });
});
