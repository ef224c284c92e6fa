import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { AudioEndsState } from '../../src/engine/api.js';
import { App } from '../../src/ui/App.js';
import { pickerKey, pickerRows } from '../../src/ui/device-picker.js';
import { FakeController, makeSelf, makeSnapshot } from './fake-controller.js';
import { mountInk, settle } from './ink-helpers.js';

const ENTER = '\r';
const ESC = '\u001B';
const DOWN = '\u001B[B';

const audio = (over: Partial<AudioEndsState> = {}): AudioEndsState => ({
  input: { kind: 'device', name: 'Built-in Mic', health: 'ok' },
  output: { kind: 'device', name: 'Speakers', health: 'ok' },
  devices: { input: ['Built-in Mic', 'USB Headset'], output: ['Speakers', 'USB Headset'], defaultInput: 'Built-in Mic', defaultOutput: 'Speakers', listedAtMs: 1 },
  ...over,
});

afterEach(() => cleanup());

describe('device picker', () => {
  it('lists microphones then speakers, the ones in use and the defaults marked', () => {
    expect(pickerRows(audio())).toEqual([
      { end: 'input', name: 'Built-in Mic', inUse: true, isDefault: true },
      { end: 'input', name: 'USB Headset', inUse: false, isDefault: false },
      { end: 'output', name: 'Speakers', inUse: true, isDefault: true },
      { end: 'output', name: 'USB Headset', inUse: false, isDefault: false },
    ]);
    expect(pickerRows(audio({ devices: null }))).toEqual([]);
    expect(pickerRows(undefined)).toEqual([]);
  });

  it('moves within the rows, picks with Enter, closes with esc or its own key, and swallows every other key', () => {
    const rows = pickerRows(audio());
    expect(pickerKey(rows, 0, '', { downArrow: true }, 'i')).toEqual({ kind: 'move', cursor: 1 });
    expect(pickerKey(rows, 3, '', { downArrow: true }, 'i')).toEqual({ kind: 'move', cursor: 3 });
    expect(pickerKey(rows, 0, '', { upArrow: true }, 'i')).toEqual({ kind: 'move', cursor: 0 });
    expect(pickerKey(rows, 3, '', { return: true }, 'i')).toEqual({ kind: 'pick', row: rows[3] });
    expect(pickerKey(rows, 1, '', { escape: true }, 'i')).toEqual({ kind: 'close' });
    expect(pickerKey(rows, 1, 'i', {}, 'i')).toEqual({ kind: 'close' });
    expect(pickerKey(rows, 1, 'q', {}, 'i')).toEqual({ kind: 'move', cursor: 1 });
    expect(pickerKey([], 0, '', { return: true }, 'i')).toEqual({ kind: 'move', cursor: 0 });
  });

  it('i opens it (listing the devices afresh), Enter switches the chosen device, m meanwhile does not mute', async () => {
    const c = new FakeController(makeSnapshot({ self: makeSelf({ audio: audio() }) }));
    const { press, frame } = await mountInk(<App controller={c} redrawIntervalMs={0} />);
    await press('i');
    expect(c.actions).toEqual([{ type: 'refresh-devices' }]);
    expect(frame()).toContain('Audio devices');
    expect(frame()).toMatch(/› ● Built-in Mic \(default\)/);
    await press('m', DOWN, DOWN, DOWN, ENTER);
    expect(c.actions).toEqual([{ type: 'refresh-devices' }, { type: 'set-device', end: 'output', device: 'USB Headset' }]);
    expect(frame()).not.toContain('Audio devices');
    await press('i', ESC);
    expect(frame()).not.toContain('Audio devices');
  });

  it('a switch that failed says why', async () => {
    const c = new FakeController(makeSnapshot({ self: makeSelf({ audio: audio() }) }));
    const { frame } = await mountInk(<App controller={c} redrawIntervalMs={0} />);
    c.setSelf({ audio: audio({ output: { kind: 'device', name: 'Speakers', health: 'ok', problem: 'cannot switch to "USB Headset": it opened but moved no audio within 3 s' } }) });
    await settle();
    await settle();
    expect(frame()).toContain('cannot switch to "USB Headset": it opened but moved no audio within 3 s');
  });

  it('says a lost device is being retried, on the own line', async () => {
    const lost = audio({ input: { kind: 'device', name: 'USB Headset', health: 'lost', problem: 'no audio for 1000 ms (device removed?)' } });
    const c = new FakeController(makeSnapshot({ self: makeSelf({ audio: lost }) }));
    const { frame } = await mountInk(<App controller={c} redrawIntervalMs={0} />);
    expect(frame()).toContain('microphone lost — retrying');
    expect(frame()).not.toContain('speaker lost');
  });
});
