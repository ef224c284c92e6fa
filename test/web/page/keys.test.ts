import { describe, expect, it } from 'vitest';
import { decideKey, focusKind, type KeyEventInfo } from '../../../src/web/page/keys.js';

function down(key: string, extra: Partial<KeyEventInfo> = {}): KeyEventInfo {
  return { type: 'keydown', key, repeat: false, ctrlKey: false, metaKey: false, altKey: false, ...extra };
}
function up(key: string, extra: Partial<KeyEventInfo> = {}): KeyEventInfo {
  return { ...down(key, extra), type: 'keyup' };
}

describe('focusKind', () => {
  it('tells text fields from controls', () => {
    expect(focusKind(null)).toBe('none');
    expect(focusKind({ tagName: 'INPUT', type: 'text' })).toBe('text');
    expect(focusKind({ tagName: 'INPUT' })).toBe('text');
    expect(focusKind({ tagName: 'TEXTAREA' })).toBe('text');
    expect(focusKind({ tagName: 'DIV', isContentEditable: true })).toBe('text');
    expect(focusKind({ tagName: 'INPUT', type: 'range' })).toBe('control');
    expect(focusKind({ tagName: 'BUTTON' })).toBe('control');
    expect(focusKind({ tagName: 'SUMMARY' })).toBe('control');
    expect(focusKind({ tagName: 'BUTTON', isTalkButton: true })).toBe('talk-button');
    expect(focusKind({ tagName: 'MAIN' })).toBe('none');
  });
});

describe('decideKey', () => {
  it('maps the TUI letters, any case, plus t for push-to-talk', () => {
    expect(decideKey(down('m'), 'none', false).intent).toEqual({ kind: 'toggle-mute' });
    expect(decideKey(down('M'), 'none', false).intent).toEqual({ kind: 'toggle-mute' });
    expect(decideKey(down('d'), 'control', false).intent).toEqual({ kind: 'toggle-deafen' });
    expect(decideKey(down('p'), 'none', false).intent).toEqual({ kind: 'toggle-push-to-talk' });
    expect(decideKey(down('t'), 'none', false).intent).toEqual({ kind: 'toggle-push-to-talk' });
    expect(decideKey(down('x'), 'none', false).intent).toBeNull();
  });

  it('ignores shortcuts while typing, with modifiers, on release, and when held', () => {
    expect(decideKey(down('m'), 'text', false)).toEqual({ intent: null, preventDefault: false });
    expect(decideKey(down('d', { ctrlKey: true }), 'none', false).intent).toBeNull(); // Ctrl-D is the browser's
    expect(decideKey(down('m', { metaKey: true }), 'none', false).intent).toBeNull();
    expect(decideKey(down('m', { altKey: true }), 'none', false).intent).toBeNull();
    expect(decideKey(up('m'), 'none', false).intent).toBeNull();
    expect(decideKey(down('m', { repeat: true }), 'none', false).intent).toBeNull();
  });

  it('Space talks while held in push-to-talk mode, without scrolling the page', () => {
    expect(decideKey(down(' '), 'none', true)).toEqual({ intent: { kind: 'talk', pressed: true }, preventDefault: true });
    expect(decideKey(down(' ', { repeat: true }), 'none', true)).toEqual({ intent: null, preventDefault: true });
    expect(decideKey(up(' '), 'none', true).intent).toEqual({ kind: 'talk', pressed: false });
  });

  it('Space does nothing special outside push-to-talk mode', () => {
    expect(decideKey(down(' '), 'none', false)).toEqual({ intent: null, preventDefault: false });
  });

  it('Space on a focused button or slider is left to it', () => {
    expect(decideKey(down(' '), 'control', true)).toEqual({ intent: null, preventDefault: false });
    expect(decideKey(down(' '), 'text', true)).toEqual({ intent: null, preventDefault: false });
  });

  it('a Space release always goes through, wherever focus moved meanwhile', () => {
    for (const focus of ['none', 'control', 'text'] as const) {
      expect(decideKey(up(' ', { ctrlKey: true }), focus, true).intent).toEqual({ kind: 'talk', pressed: false });
    }
  });

  it('the Talk button is held with Space or Enter, and never clicked by them', () => {
    for (const key of [' ', 'Enter']) {
      expect(decideKey(down(key), 'talk-button', true)).toEqual({ intent: { kind: 'talk', pressed: true }, preventDefault: true });
      expect(decideKey(down(key, { repeat: true }), 'talk-button', true)).toEqual({ intent: null, preventDefault: true });
      expect(decideKey(up(key), 'talk-button', true)).toEqual({ intent: { kind: 'talk', pressed: false }, preventDefault: true });
    }
    expect(decideKey(down('m'), 'talk-button', true).intent).toEqual({ kind: 'toggle-mute' });
  });
});
