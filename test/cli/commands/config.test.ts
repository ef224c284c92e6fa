import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { run, tempDirs } from '../run-helper.js';

let dirs: ReturnType<typeof tempDirs>;
beforeEach(() => {
  dirs = tempDirs();
});
afterEach(() => rmSync(dirs.root, { recursive: true, force: true }));

const inDirs = () => ({ cwd: dirs.cwd, homeDir: dirs.home });

describe('roundtable config', () => {
  it('says when no file was found, where it looked, and prints the defaults as YAML', async () => {
    const { code, stdout, stderr } = await run(['config'], inDirs());
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const [header, ...body] = stdout.split('\n');
    expect(header).toContain('No config file found');
    expect(header).toContain(`.roundtablerc, .roundtablerc.yaml, .roundtablerc.yml, roundtable.config.yaml, roundtable.config.yml in ${dirs.cwd}`);
    expect(header).toContain(path.join(dirs.home, '.config', 'roundtable', 'config.yaml'));
    expect(body).toContain('server: ws://127.0.0.1:8787');
    expect(body).toContain('  frameMs: 20');
    expect(body).toContain('  help: "?"');
  });

  it('names the file and marks values by origin: file, env, flag', async () => {
    const file = path.join(dirs.cwd, '.roundtablerc.yaml');
    writeFileSync(file, 'name: ada\naudio:\n  bitrate: 24000\n');
    const { code, stdout } = await run(['config', '--frame-ms', '40'], { ...inDirs(), env: { ROUNDTABLE_SERVER: 'wss://env.example' } });
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`# Effective configuration. File: ${file}`);
    expect(lines).toContain('name: ada  # from config file');
    expect(lines).toContain('  bitrate: 24000  # from config file');
    expect(lines).toContain('server: wss://env.example  # from ROUNDTABLE_SERVER');
    expect(lines).toContain('  frameMs: 40  # from command-line flag');
    expect(lines).toContain('  dtx: true');
  });

  it('prints output that loads back as the same configuration', async () => {
    writeFileSync(path.join(dirs.cwd, '.roundtablerc.yaml'), 'name: "yes"\nice:\n  servers:\n    - urls: [turn:127.0.0.1:3478]\n      username: u\n      credential: "123"\n  relayOnly: true\n');
    const { stdout } = await run(['config'], inDirs());
    const printed = path.join(dirs.root, 'printed.yaml');
    writeFileSync(printed, stdout);
    const original = await loadConfig({ ...inDirs(), env: {} });
    const reloaded = await loadConfig({ ...inDirs(), env: {}, configPath: printed });
    expect(reloaded.config).toEqual(original.config);
  });

  it('--json prints source, config and origins', async () => {
    const file = path.join(dirs.home, '.config', 'roundtable', 'config.yaml');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'cues:\n  volumePercent: 20\n');
    const { code, stdout } = await run(['config', '--json', '--server', 'ws://flag.example:9'], inDirs());
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { source: string; config: { server: string; cues: { volumePercent: number } }; origins: Record<string, string> };
    expect(parsed.source).toBe(file);
    expect(parsed.config.server).toBe('ws://flag.example:9');
    expect(parsed.config.cues.volumePercent).toBe(20);
    expect(parsed.origins).toMatchObject({ server: 'flag', 'cues.volumePercent': 'file', 'cues.enabled': 'default' });
  });

  it('--config FILE is used instead of the searched places', async () => {
    writeFileSync(path.join(dirs.cwd, '.roundtablerc'), 'name: searched\n');
    const explicit = path.join(dirs.root, 'explicit.yml');
    writeFileSync(explicit, 'name: explicit\n');
    const { stdout } = await run(['config', '--json', '--config', explicit], inDirs());
    expect(JSON.parse(stdout)).toMatchObject({ source: explicit, config: { name: 'explicit' } });
  });

  it('device flags: digits select an index, anything else a name', async () => {
    const { stdout } = await run(['config', '--json', '--input-device', '3', '--output-device', 'USB Audio'], inDirs());
    expect(JSON.parse(stdout).config.audio).toMatchObject({ inputDevice: 3, outputDevice: 'USB Audio' });
  });

  it('a bad config file exits 2 naming file, field, value and expectation', async () => {
    const file = path.join(dirs.cwd, 'roundtable.config.yaml');
    writeFileSync(file, 'jitterBuffer:\n  minDelayMs: 500\n  maxDelayMs: 100\n');
    const { code, stdout, stderr } = await run(['config'], inDirs());
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `roundtable: invalid configuration in ${file}: jitterBuffer.maxDelayMs is 100; expected a value ≥ jitterBuffer.minDelayMs (500)\n` +
        'hint: see config.example.yaml for every setting and its accepted values\n',
    );
  });

  it('a YAML syntax error exits 2 naming file and line; --json gives the details', async () => {
    const file = path.join(dirs.cwd, '.roundtablerc.yml');
    writeFileSync(file, 'name: ada\nkeys: {mute: m\n');
    const { code, stderr } = await run(['config', '--json'], inDirs());
    expect(code).toBe(2);
    const { error } = JSON.parse(stderr) as { error: { kind: string; source: string; line: number; message: string } };
    expect(error.kind).toBe('config');
    expect(error.source).toBe(file);
    expect(error.line).toBeGreaterThanOrEqual(2);
    expect(error.message).toContain(`${file}:${error.line}:`);
  });

  it('a bad flag value is a configuration error (exit 2) naming the flags as the source', async () => {
    const { code, stderr } = await run(['config', '--bitrate', '1000'], inDirs());
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(
      'roundtable: invalid configuration in command-line flags: audio.bitrate is 1000; expected an integer from 6000 to 510000 (bits per second)',
    );
  });

  it('--relay-only without a TURN server is refused', async () => {
    const { code, stderr } = await run(['config', '--relay-only'], inDirs());
    expect(code).toBe(2);
    expect(stderr).toContain('ice.relayOnly is true; expected relayOnly: false, or at least one turn:/turns: server in ice.servers');
  });
});
