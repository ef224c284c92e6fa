/**
 * Keyboard → command mapping, pure so it tests without a terminal.
 *
 * The keys of the main actions (mute, deafen, push-to-talk, talk, echo
 * cancellation, noise suppression, gain control, room lock, device picker,
 * recording, stats, help, quit) come from the config (`keys:` in
 * config/schema.ts, defaults m d p space e n g L i R s ? q). Navigation keys are
 * fixed: ↑/↓ select, ←/→ and -/+ volume, x mutes the selected peer, N
 * suppresses the selected peer's noise, a admits and D denies the oldest
 * knock at a locked room, t (or Enter) starts a chat message, c shows or
 * hides the chat, esc closes panels, Ctrl-C leaves. A configured key wins
 * over a fixed one (bind mute to x and x mutes you). While a chat message is
 * being typed every key is text (ui/chat-input.ts), not a command.
 *
 * Ink 6 reports `key.eventType` ('press' | 'repeat' | 'release') only when
 * the kitty keyboard protocol is active (https://sw.kovidgoyal.net/kitty/keyboard-protocol/,
 * "report event types"); on a legacy terminal it is undefined and every
 * event is a press. That is what makes push-to-talk a true hold-to-talk on
 * kitty-capable terminals and a toggle elsewhere.
 */

import type { ProcessingStage } from '../engine/api.js';

/** The part of Ink's `Key` this module reads (so tests can pass plain objects). */
export interface KeyInfo {
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly leftArrow?: boolean;
  readonly rightArrow?: boolean;
  readonly escape?: boolean;
  readonly return?: boolean;
  readonly tab?: boolean;
  readonly backspace?: boolean;
  readonly delete?: boolean;
  readonly ctrl?: boolean;
  readonly meta?: boolean;
  readonly eventType?: 'press' | 'repeat' | 'release';
}

export type KeyCommand =
  | { readonly kind: 'toggle-mute' }
  | { readonly kind: 'toggle-deafen' }
  | { readonly kind: 'select'; readonly delta: -1 | 1 }
  | { readonly kind: 'volume'; readonly steps: -1 | 1 }
  | { readonly kind: 'toggle-peer-mute' }
  | { readonly kind: 'toggle-processing'; readonly stage: ProcessingStage }
  | { readonly kind: 'toggle-peer-noise-suppression' }
  | { readonly kind: 'toggle-push-to-talk' }
  /** Lock the room if it is open, unlock it if locked. */
  | { readonly kind: 'toggle-lock' }
  /** Start recording the call (a dated file) if not recording, else stop. */
  | { readonly kind: 'toggle-recording' }
  /** `press`/`release` from a kitty terminal; `toggle` from a legacy one. */
  | { readonly kind: 'talk'; readonly edge: 'press' | 'release' | 'toggle' }
  | { readonly kind: 'toggle-stats' }
  | { readonly kind: 'toggle-help' }
  | { readonly kind: 'close-panels' }
  /** Answer the oldest knock at our locked room. */
  | { readonly kind: 'answer-knock'; readonly admit: boolean }
  /** Start typing a chat message. */
  | { readonly kind: 'compose-chat' }
  | { readonly kind: 'toggle-chat' }
  /** Open or close the device picker (microphone and speaker). */
  | { readonly kind: 'toggle-devices' }
  | { readonly kind: 'leave' };

/** Action → key, the shape of `config.keys`. */
export interface KeyBindings {
  readonly mute: string;
  readonly deafen: string;
  readonly pushToTalk: string;
  readonly talk: string;
  readonly echoCancellation: string;
  readonly noiseSuppression: string;
  readonly autoGain: string;
  readonly lock: string;
  readonly devices: string;
  readonly record: string;
  readonly stats: string;
  readonly help: string;
  readonly quit: string;
}

export type BindableAction = keyof KeyBindings;

/** The same defaults as the config schema's `keys`. */
export const DEFAULT_KEY_BINDINGS: KeyBindings = Object.freeze({
  mute: 'm',
  deafen: 'd',
  pushToTalk: 'p',
  talk: 'space',
  echoCancellation: 'e',
  noiseSuppression: 'n',
  autoGain: 'g',
  lock: 'L',
  devices: 'i',
  record: 'R',
  stats: 's',
  help: '?',
  quit: 'q',
});

/** Named keys a binding may use besides one printable character (as in config/schema.ts NAMED_KEYS). */
const NAMED_KEY_MATCHERS: Readonly<Record<string, (input: string, key: KeyInfo) => boolean>> = {
  space: (input) => input === ' ',
  tab: (_i, key) => key.tab === true,
  enter: (_i, key) => key.return === true,
  escape: (_i, key) => key.escape === true,
  // Terminals send DEL (0x7f) or BS (0x08) for the backspace key; Ink names them differently.
  backspace: (_i, key) => key.backspace === true || key.delete === true,
  up: (_i, key) => key.upArrow === true,
  down: (_i, key) => key.downArrow === true,
  left: (_i, key) => key.leftArrow === true,
  right: (_i, key) => key.rightArrow === true,
};

const ACTION_COMMANDS: Readonly<Record<Exclude<BindableAction, 'talk'>, KeyCommand>> = {
  mute: { kind: 'toggle-mute' },
  deafen: { kind: 'toggle-deafen' },
  pushToTalk: { kind: 'toggle-push-to-talk' },
  echoCancellation: { kind: 'toggle-processing', stage: 'echo-cancellation' },
  noiseSuppression: { kind: 'toggle-processing', stage: 'noise-suppression' },
  autoGain: { kind: 'toggle-processing', stage: 'auto-gain' },
  lock: { kind: 'toggle-lock' },
  devices: { kind: 'toggle-devices' },
  record: { kind: 'toggle-recording' },
  stats: { kind: 'toggle-stats' },
  help: { kind: 'toggle-help' },
  quit: { kind: 'leave' },
};

const ACTIONS = Object.keys(DEFAULT_KEY_BINDINGS) as BindableAction[];

function isValidKeyName(name: string): boolean {
  return name in NAMED_KEY_MATCHERS || /^[\x21-\x7e]$/.test(name);
}

/**
 * Defaults overlaid with `overrides`; throws a RangeError naming the action
 * for a key this UI cannot read or a key bound to two actions (the config
 * loader already rejects both; this guards other callers).
 */
export function resolveKeyBindings(overrides: Partial<KeyBindings> = {}): KeyBindings {
  const merged = { ...DEFAULT_KEY_BINDINGS };
  for (const action of ACTIONS) {
    const value = overrides[action];
    if (value !== undefined) merged[action] = value;
  }
  const seen = new Map<string, BindableAction>();
  for (const action of ACTIONS) {
    const k = merged[action];
    if (typeof k !== 'string' || !isValidKeyName(k)) {
      throw new RangeError(`keys.${action}: "${String(k)}" is not a key; use one printable character or one of ${Object.keys(NAMED_KEY_MATCHERS).join(', ')}`);
    }
    const other = seen.get(k);
    if (other !== undefined) throw new RangeError(`keys.${action}: "${k}" is already bound to keys.${other}`);
    seen.set(k, action);
  }
  return Object.freeze(merged);
}

/** Whether the event is the key a binding names (a printable key only without Ctrl/Meta). */
export function matchesKey(name: string, input: string, key: KeyInfo): boolean {
  const named = NAMED_KEY_MATCHERS[name];
  if (named !== undefined) return named(input, key);
  return input === name && key.ctrl !== true && key.meta !== true;
}

/** How a key name is shown in the footer and the help panel. */
export function keyLabel(name: string): string {
  switch (name) {
    case 'up':
      return '↑';
    case 'down':
      return '↓';
    case 'left':
      return '←';
    case 'right':
      return '→';
    case 'escape':
      return 'esc';
    default:
      return name;
  }
}

/** Whether this event came through the kitty keyboard protocol. */
export function isKittyEvent(key: KeyInfo): boolean {
  return key.eventType !== undefined;
}

function boundAction(bindings: KeyBindings, input: string, key: KeyInfo): BindableAction | undefined {
  for (const action of ACTIONS) if (matchesKey(bindings[action], input, key)) return action;
  return undefined;
}

export function keyToCommand(input: string, key: KeyInfo, bindings: KeyBindings = DEFAULT_KEY_BINDINGS): KeyCommand | null {
  const eventType = key.eventType;
  const action = boundAction(bindings, input, key);

  // The talk key is the only one whose release matters.
  if (action === 'talk') {
    if (eventType === undefined) return { kind: 'talk', edge: 'toggle' };
    if (eventType === 'press') return { kind: 'talk', edge: 'press' };
    if (eventType === 'release') return { kind: 'talk', edge: 'release' };
    return null; // auto-repeat while held: still talking, nothing to do
  }
  if (eventType === 'release') return null;

  if (key.ctrl === true && input === 'c') return { kind: 'leave' };

  if (action !== undefined) {
    // Toggles must not flap while a key is held.
    if (eventType === 'repeat') return null;
    return ACTION_COMMANDS[action];
  }

  // Fixed keys (a binding that takes one of them was matched above).
  // Held arrows and volume keys repeat usefully.
  if (key.upArrow === true) return { kind: 'select', delta: -1 };
  if (key.downArrow === true) return { kind: 'select', delta: 1 };
  if (key.leftArrow === true || (!key.ctrl && (input === '-' || input === '_'))) {
    return { kind: 'volume', steps: -1 };
  }
  // '=' is '+' without shift on most layouts; accept both.
  if (key.rightArrow === true || (!key.ctrl && (input === '+' || input === '='))) {
    return { kind: 'volume', steps: 1 };
  }
  if (eventType === 'repeat') return null;

  if (key.escape === true) return { kind: 'close-panels' };
  if (key.return === true) return { kind: 'compose-chat' };
  if (key.ctrl === true || key.meta === true) return null;
  if (input === 'x') return { kind: 'toggle-peer-mute' };
  if (input === 'N') return { kind: 'toggle-peer-noise-suppression' };
  if (input === 'a') return { kind: 'answer-knock', admit: true };
  // Capital D: deny is not undone by a slip of the deafen key.
  if (input === 'D') return { kind: 'answer-knock', admit: false };
  if (input === 't') return { kind: 'compose-chat' };
  if (input === 'c') return { kind: 'toggle-chat' };
  return null;
}
