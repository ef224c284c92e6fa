import { describe, expect, it } from 'vitest';
import { DEFAULT_KEY_BINDINGS, isKittyEvent, keyLabel, keyToCommand, matchesKey, resolveKeyBindings } from '../../src/ui/keymap.js';

describe('keyToCommand (legacy terminal)', () => {
  it('maps letters to commands', () => {
    expect(keyToCommand('m', {})).toEqual({ kind: 'toggle-mute' });
    expect(keyToCommand('d', {})).toEqual({ kind: 'toggle-deafen' });
    expect(keyToCommand('x', {})).toEqual({ kind: 'toggle-peer-mute' });
    expect(keyToCommand('p', {})).toEqual({ kind: 'toggle-push-to-talk' });
    expect(keyToCommand('e', {})).toEqual({ kind: 'toggle-processing', stage: 'echo-cancellation' });
    expect(keyToCommand('n', {})).toEqual({ kind: 'toggle-processing', stage: 'noise-suppression' });
    expect(keyToCommand('g', {})).toEqual({ kind: 'toggle-processing', stage: 'auto-gain' });
    expect(keyToCommand('N', {})).toEqual({ kind: 'toggle-peer-noise-suppression' });
    expect(keyToCommand('s', {})).toEqual({ kind: 'toggle-stats' });
    expect(keyToCommand('L', {})).toEqual({ kind: 'toggle-lock' });
    expect(keyToCommand('R', {})).toEqual({ kind: 'toggle-recording' });
    expect(keyToCommand('r', {})).toBeNull();
    expect(keyToCommand('l', {})).toBeNull();
    expect(keyToCommand('?', {})).toEqual({ kind: 'toggle-help' });
    expect(keyToCommand('q', {})).toEqual({ kind: 'leave' });
    expect(keyToCommand('c', { ctrl: true })).toEqual({ kind: 'leave' });
    expect(keyToCommand('', { escape: true })).toEqual({ kind: 'close-panels' });
  });

  it('maps arrows and -/+ to selection and volume', () => {
    expect(keyToCommand('', { upArrow: true })).toEqual({ kind: 'select', delta: -1 });
    expect(keyToCommand('', { downArrow: true })).toEqual({ kind: 'select', delta: 1 });
    expect(keyToCommand('', { leftArrow: true })).toEqual({ kind: 'volume', steps: -1 });
    expect(keyToCommand('', { rightArrow: true })).toEqual({ kind: 'volume', steps: 1 });
    expect(keyToCommand('-', {})).toEqual({ kind: 'volume', steps: -1 });
    expect(keyToCommand('+', {})).toEqual({ kind: 'volume', steps: 1 });
    expect(keyToCommand('=', {})).toEqual({ kind: 'volume', steps: 1 });
  });

  it('space without event types is a toggle', () => {
    expect(keyToCommand(' ', {})).toEqual({ kind: 'talk', edge: 'toggle' });
  });

  it('ignores unknown keys and ctrl combinations other than Ctrl-C', () => {
    expect(keyToCommand('z', {})).toBeNull();
    expect(keyToCommand('m', { ctrl: true })).toBeNull();
  });
});

describe('keyToCommand (kitty keyboard protocol)', () => {
  it('space press/release become talk press/release; repeats are ignored', () => {
    expect(keyToCommand(' ', { eventType: 'press' })).toEqual({ kind: 'talk', edge: 'press' });
    expect(keyToCommand(' ', { eventType: 'repeat' })).toBeNull();
    expect(keyToCommand(' ', { eventType: 'release' })).toEqual({ kind: 'talk', edge: 'release' });
  });

  it('releases of other keys do nothing (no double toggles)', () => {
    expect(keyToCommand('m', { eventType: 'release' })).toBeNull();
    expect(keyToCommand('', { upArrow: true, eventType: 'release' })).toBeNull();
    expect(keyToCommand('q', { eventType: 'release' })).toBeNull();
  });

  it('held arrows repeat, held toggles do not', () => {
    expect(keyToCommand('', { rightArrow: true, eventType: 'repeat' })).toEqual({ kind: 'volume', steps: 1 });
    expect(keyToCommand('', { downArrow: true, eventType: 'repeat' })).toEqual({ kind: 'select', delta: 1 });
    expect(keyToCommand('m', { eventType: 'repeat' })).toBeNull();
    expect(keyToCommand('m', { eventType: 'press' })).toEqual({ kind: 'toggle-mute' });
  });

  it('isKittyEvent tells the protocols apart', () => {
    expect(isKittyEvent({ eventType: 'press' })).toBe(true);
    expect(isKittyEvent({})).toBe(false);
  });
});

describe('keyToCommand with configured bindings', () => {
  const custom = resolveKeyBindings({ mute: 'x', quit: 'escape', talk: 't', help: 'h', deafen: 'up' });

  it('configured keys trigger their actions and the old defaults no longer do', () => {
    expect(keyToCommand('x', {}, custom)).toEqual({ kind: 'toggle-mute' });
    expect(keyToCommand('', { escape: true }, custom)).toEqual({ kind: 'leave' });
    expect(keyToCommand('h', {}, custom)).toEqual({ kind: 'toggle-help' });
    expect(keyToCommand('', { upArrow: true }, custom)).toEqual({ kind: 'toggle-deafen' });
    expect(keyToCommand('m', {}, custom)).toBeNull();
    expect(keyToCommand('q', {}, custom)).toBeNull();
    expect(keyToCommand('?', {}, custom)).toBeNull();
    expect(keyToCommand('d', {}, custom)).toBeNull();
    // Unchanged defaults stay.
    expect(keyToCommand('s', {}, custom)).toEqual({ kind: 'toggle-stats' });
    expect(keyToCommand('p', {}, custom)).toEqual({ kind: 'toggle-push-to-talk' });
  });

  it('a configured key wins over the fixed key it takes; other fixed keys still work', () => {
    // x was "mute selected peer", up was "select previous": both now belong to bindings.
    expect(keyToCommand('x', {}, custom)).not.toEqual({ kind: 'toggle-peer-mute' });
    expect(keyToCommand('', { downArrow: true }, custom)).toEqual({ kind: 'select', delta: 1 });
    expect(keyToCommand('c', { ctrl: true }, custom)).toEqual({ kind: 'leave' });
  });

  it('the configured talk key has press/release edges; space is then an ordinary key', () => {
    expect(keyToCommand('t', {}, custom)).toEqual({ kind: 'talk', edge: 'toggle' });
    expect(keyToCommand('t', { eventType: 'press' }, custom)).toEqual({ kind: 'talk', edge: 'press' });
    expect(keyToCommand('t', { eventType: 'repeat' }, custom)).toBeNull();
    expect(keyToCommand('t', { eventType: 'release' }, custom)).toEqual({ kind: 'talk', edge: 'release' });
    expect(keyToCommand(' ', {}, custom)).toBeNull();
  });

  it('held configured toggles do not flap', () => {
    expect(keyToCommand('x', { eventType: 'repeat' }, custom)).toBeNull();
    expect(keyToCommand('x', { eventType: 'release' }, custom)).toBeNull();
  });

  it('named keys: enter, tab, backspace', () => {
    const b = resolveKeyBindings({ mute: 'enter', deafen: 'tab', quit: 'backspace' });
    expect(keyToCommand('\r', { return: true }, b)).toEqual({ kind: 'toggle-mute' });
    expect(keyToCommand('\t', { tab: true }, b)).toEqual({ kind: 'toggle-deafen' });
    expect(keyToCommand('', { delete: true }, b)).toEqual({ kind: 'leave' });
    expect(keyToCommand('', { backspace: true }, b)).toEqual({ kind: 'leave' });
  });

  it('printable bindings ignore Ctrl/Meta chords', () => {
    expect(matchesKey('x', 'x', { ctrl: true })).toBe(false);
    expect(matchesKey('x', 'x', { meta: true })).toBe(false);
    expect(matchesKey('x', 'x', {})).toBe(true);
    expect(matchesKey('X', 'x', {})).toBe(false);
  });
});

describe('resolveKeyBindings', () => {
  it('fills in defaults', () => {
    expect(resolveKeyBindings()).toEqual(DEFAULT_KEY_BINDINGS);
    expect(resolveKeyBindings({ mute: 'k' })).toEqual({ ...DEFAULT_KEY_BINDINGS, mute: 'k' });
  });

  it('rejects unreadable keys and duplicates with the action named', () => {
    expect(() => resolveKeyBindings({ mute: 'ctrl+m' })).toThrow(/keys\.mute: "ctrl\+m" is not a key/);
    expect(() => resolveKeyBindings({ mute: '' })).toThrow(/keys\.mute/);
    expect(() => resolveKeyBindings({ mute: 'q' })).toThrow(/keys\.quit: "q" is already bound to keys\.mute/);
  });

  it('labels named keys for display', () => {
    expect(keyLabel('up')).toBe('↑');
    expect(keyLabel('escape')).toBe('esc');
    expect(keyLabel('space')).toBe('space');
    expect(keyLabel('k')).toBe('k');
  });
});
