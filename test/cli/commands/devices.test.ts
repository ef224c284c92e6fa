import { describe, expect, it } from 'vitest';
import { startPulse } from '../../helpers/pulse.js';
import { formatDevices, splitDevices, type DeviceInfo } from '../../../src/cli/commands/devices.js';
import { RuntimeError } from '../../../src/core/errors.js';
import { run } from '../run-helper.js';

const device = (d: Partial<DeviceInfo> & Pick<DeviceInfo, 'index' | 'name'>): DeviceInfo => ({
  hostApi: 'ALSA',
  maxInputChannels: 0,
  maxOutputChannels: 0,
  defaultSampleRate: 48000,
  isDefaultInput: false,
  isDefaultOutput: false,
  ...d,
});

const FAKE: DeviceInfo[] = [
  device({ index: 4, name: 'pulse', maxInputChannels: 32, maxOutputChannels: 32, defaultSampleRate: 44100, isDefaultInput: true, isDefaultOutput: true }),
  device({ index: 0, name: 'HDA Intel PCH: ALC257 Analog (hw:0,0)', maxInputChannels: 2, maxOutputChannels: 2 }),
  device({ index: 1, name: 'HDMI 0', maxOutputChannels: 8 }),
  device({ index: 2, name: 'USB Microphone', hostApi: 'OSS', maxInputChannels: 1, defaultSampleRate: 16000 }),
];

describe('devices formatting', () => {
  it('splits into inputs and outputs, sorted by index', () => {
    const { input, output } = splitDevices(FAKE);
    expect(input.map((d) => d.index)).toEqual([0, 2, 4]);
    expect(output.map((d) => d.index)).toEqual([0, 1, 4]);
  });

  it('prints a table per direction with * on the defaults', () => {
    expect(formatDevices(FAKE)).toBe(
      [
        'Input devices:',
        '    index  name                                   host api  channels  rate',
        '        0  HDA Intel PCH: ALC257 Analog (hw:0,0)  ALSA             2  48000 Hz',
        '        2  USB Microphone                         OSS              1  16000 Hz',
        '  *     4  pulse                                  ALSA            32  44100 Hz',
        '',
        'Output devices:',
        '    index  name                                   host api  channels  rate',
        '        0  HDA Intel PCH: ALC257 Analog (hw:0,0)  ALSA             2  48000 Hz',
        '        1  HDMI 0                                 ALSA             8  48000 Hz',
        '  *     4  pulse                                  ALSA            32  44100 Hz',
        '',
        '* = system default. Choose with --input-device / --output-device (index or part of the name),',
        'or audio.inputDevice / audio.outputDevice in the config file.',
        '',
      ].join('\n'),
    );
  });

  it('cuts very long names and says when a direction has no device', () => {
    const text = formatDevices([device({ index: 7, name: 'x'.repeat(80), maxOutputChannels: 2 })]);
    expect(text).toContain('Input devices: none found');
    expect(text).toContain(`${'x'.repeat(47)}…`);
    expect(text).not.toContain('x'.repeat(49));
  });

  it('says so when there are no devices at all', () => {
    expect(formatDevices([])).toMatch(/^No audio devices found\./);
  });
});

describe('roundtable devices', () => {
  it('prints the table from the device lister, exit 0', async () => {
    const { code, stdout, stderr } = await run(['devices'], { listDevices: async () => FAKE });
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toBe(formatDevices(FAKE));
  });

  it('--json prints { input, output }', async () => {
    const { code, stdout } = await run(['devices', '--json'], { listDevices: async () => FAKE });
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { input: DeviceInfo[]; output: DeviceInfo[] };
    expect(parsed.input.map((d) => d.name)).toEqual(['HDA Intel PCH: ALC257 Analog (hw:0,0)', 'USB Microphone', 'pulse']);
    expect(parsed.output.find((d) => d.isDefaultOutput)?.index).toBe(4);
  });

  it('a failing device layer is a runtime error (exit 1) with a hint', async () => {
    const { code, stdout, stderr } = await run(['devices'], {
      listDevices: async () => {
        throw new Error('PortAudio: no host API');
      },
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'roundtable: cannot list audio devices: PortAudio: no host API\nhint: check that a sound server (PulseAudio/PipeWire) or ALSA device is available\n',
    );
  });

  it('keeps a RuntimeError from the device layer as it is', async () => {
    const { code, stderr } = await run(['devices'], {
      listDevices: async () => {
        throw new RuntimeError('No default device', { hint: 'use --output file.wav' });
      },
    });
    expect(code).toBe(1);
    expect(stderr).toBe('roundtable: No default device\nhint: use --output file.wav\n');
  });
});

describe('roundtable devices with a real sound server', () => {
  it('lists the PulseAudio devices through the audio engine', async (ctx) => {
    const pulse = await startPulse();
    if ('skipped' in pulse) {
      ctx.skip(pulse.skipped);
      return;
    }
    try {
      const { code, stdout, stderr } = await run(['devices', '--json'], { env: pulse.env });
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const { input, output } = JSON.parse(stdout) as { input: DeviceInfo[]; output: DeviceInfo[] };
      expect(input.some((d) => d.isDefaultInput)).toBe(true);
      expect(output.some((d) => d.isDefaultOutput)).toBe(true);
    } finally {
      await pulse.stop();
    }
  });
});
