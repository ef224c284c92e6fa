import { describe, expect, it } from 'vitest';
import { isKittyEvent, keyToCommand } from '../../src/ui/keymap.js';

describe('keyToCommand (legacy terminal)', () => {
  it('maps letters to commands', () => {
    expect(keyToCommand('m', {})).toEqual({ kind: 'toggle-mute' });
    expect(keyToCommand('d', {})).toEqual({ kind: 'toggle-deafen' });
    expect(keyToCommand('x', {})).toEqual({ kind: 'toggle-peer-mute' });
    expect(keyToCommand('p', {})).toEqual({ kind: 'toggle-push-to-talk' });
    expect(keyToCommand('s', {})).toEqual({ kind: 'toggle-stats' });
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
