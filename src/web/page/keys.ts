/**
 * Keyboard → session intent for the room screen, pure so it tests without a
 * browser. The letters are the terminal UI's bindings (src/ui/keymap.ts:
 * m mute, d deafen, p push-to-talk, space talk), plus t for push-to-talk.
 *
 * Unlike most terminals, a browser reports key release, so Space is a true
 * hold-to-talk. Shortcuts stay out of the way of typing and of the focused
 * control: letters are ignored in text fields, and Space belongs to a
 * focused button or slider (it presses them) except the Talk button, which
 * is held like the key.
 */
import { DEFAULT_KEY_BINDINGS, matchesKey } from '../../ui/keymap.js';

/** What kind of element has focus, as far as shortcuts care. */
export type FocusKind = 'text' | 'talk-button' | 'control' | 'none';

/** The parts of a focused element that decide its FocusKind. */
export interface FocusInfo {
  readonly tagName: string;
  /** `type` of an <input>. */
  readonly type?: string;
  readonly isContentEditable?: boolean;
  /** The element is the Talk button. */
  readonly isTalkButton?: boolean;
}

/** Input types that are not typed into: keys there may be shortcuts. */
const NON_TEXT_INPUTS = new Set(['button', 'checkbox', 'color', 'file', 'radio', 'range', 'reset', 'submit', 'image']);

export function focusKind(info: FocusInfo | null): FocusKind {
  if (info === null) return 'none';
  if (info.isTalkButton === true) return 'talk-button';
  if (info.isContentEditable === true) return 'text';
  const tag = info.tagName.toLowerCase();
  if (tag === 'textarea') return 'text';
  if (tag === 'input') return NON_TEXT_INPUTS.has((info.type ?? 'text').toLowerCase()) ? 'control' : 'text';
  if (tag === 'button' || tag === 'a' || tag === 'select' || tag === 'summary') return 'control';
  return 'none';
}

/** The parts of a KeyboardEvent this module reads. */
export interface KeyEventInfo {
  readonly type: 'keydown' | 'keyup';
  readonly key: string;
  readonly repeat: boolean;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly altKey: boolean;
}

export type KeyIntent =
  | { readonly kind: 'toggle-mute' }
  | { readonly kind: 'toggle-deafen' }
  | { readonly kind: 'toggle-push-to-talk' }
  | { readonly kind: 'talk'; readonly pressed: boolean };

export interface KeyDecision {
  /** What to do, if anything. */
  readonly intent: KeyIntent | null;
  /** Stop the browser's own handling (page scroll on Space, a click on the Talk button). */
  readonly preventDefault: boolean;
}

const IGNORE: KeyDecision = { intent: null, preventDefault: false };

/** Extra key for push-to-talk: "t for talk" is what people guess first. */
const PUSH_TO_TALK_ALIAS = 't';

export function decideKey(event: KeyEventInfo, focus: FocusKind, pushToTalk: boolean): KeyDecision {
  // Letters arrive as 'M' with Shift or Caps Lock; they mean the same key.
  const input = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const mods = { ctrl: event.ctrlKey, meta: event.metaKey };
  const isTalkKey = matchesKey(DEFAULT_KEY_BINDINGS.talk, input, mods);

  if (focus === 'talk-button') {
    // Held like the Space shortcut, with Enter too (Enter/Space operate any button).
    if (isTalkKey || event.key === 'Enter') {
      if (event.type === 'keyup') return { intent: { kind: 'talk', pressed: false }, preventDefault: true };
      return { intent: event.repeat ? null : { kind: 'talk', pressed: true }, preventDefault: true };
    }
  } else if (isTalkKey && event.type === 'keyup') {
    // Always pass the release on, whatever has focus now (focus may have
    // moved while the key was held): a lost release would leave the
    // microphone open. The caller sends it only if a press started talking.
    return { intent: { kind: 'talk', pressed: false }, preventDefault: false };
  }

  if (focus === 'text' || event.altKey || event.type !== 'keydown') return IGNORE;

  if (isTalkKey && focus === 'none') {
    if (!pushToTalk) return IGNORE;
    // Held Space auto-repeats: keep talking, and keep the page from scrolling.
    return { intent: event.repeat ? null : { kind: 'talk', pressed: true }, preventDefault: true };
  }
  if (event.repeat) return IGNORE; // toggles must not flap while a key is held
  if (matchesKey(DEFAULT_KEY_BINDINGS.mute, input, mods)) return { intent: { kind: 'toggle-mute' }, preventDefault: true };
  if (matchesKey(DEFAULT_KEY_BINDINGS.deafen, input, mods)) return { intent: { kind: 'toggle-deafen' }, preventDefault: true };
  if (matchesKey(DEFAULT_KEY_BINDINGS.pushToTalk, input, mods) || matchesKey(PUSH_TO_TALK_ALIAS, input, mods)) {
    return { intent: { kind: 'toggle-push-to-talk' }, preventDefault: true };
  }
  return IGNORE;
}
