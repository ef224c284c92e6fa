import { describe, expect, it } from 'vitest';
import { JsonLineParser, selectDevice, type DeviceInfo } from '../../../src/engine/audio/device-protocol.js';

const devices: DeviceInfo[] = [
  { index: 0, name: 'HDA Intel PCH: ALC892 Analog (hw:0,0)', hostApi: 'ALSA', maxInputChannels: 2, maxOutputChannels: 8, defaultSampleRate: 44100, isDefaultInput: false, isDefaultOutput: false },
  { index: 1, name: 'USB Headset (hw:1,0)', hostApi: 'ALSA', maxInputChannels: 1, maxOutputChannels: 0, defaultSampleRate: 48000, isDefaultInput: false, isDefaultOutput: false },
  { index: 2, name: 'default', hostApi: 'ALSA', maxInputChannels: 32, maxOutputChannels: 32, defaultSampleRate: 44100, isDefaultInput: true, isDefaultOutput: true },
];

describe('selectDevice', () => {
  it('uses the default device (-1) when none is asked for', () => {
    expect(selectDevice(devices, undefined, 'input')).toEqual({ index: -1 });
  });

  it('matches a name substring case-insensitively, only among devices with channels in that direction', () => {
    expect(selectDevice(devices, 'usb headset', 'input')).toEqual({ index: 1 });
    const out = selectDevice(devices, 'usb', 'output');
    expect(out).toHaveProperty('error');
    expect((out as { error: string }).error).toMatch(/no output device matching "usb".*0: HDA Intel.*2: default/);
  });

  it('accepts a valid index and explains an invalid one', () => {
    expect(selectDevice(devices, 0, 'output')).toEqual({ index: 0 });
    expect((selectDevice(devices, 1, 'output') as { error: string }).error).toContain('no output device with index 1');
    expect((selectDevice([], 3, 'input') as { error: string }).error).toContain('available: none');
  });
});

describe('JsonLineParser', () => {
  it('yields values across chunk boundaries and reports bad lines without throwing', () => {
    const values: unknown[] = [];
    const bad: string[] = [];
    const p = new JsonLineParser((v) => values.push(v), (l) => bad.push(l));
    p.push('{"type":"cre');
    p.push('dit","frames":1}\n\nnot json\n{"type":"stopped"}');
    expect(values).toEqual([{ type: 'credit', frames: 1 }]);
    p.push('\n');
    expect(values).toEqual([{ type: 'credit', frames: 1 }, { type: 'stopped' }]);
    expect(bad).toEqual(['not json']);
  });
});
