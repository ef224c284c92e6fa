/**
 * Keyboard → command mapping, pure so it tests without a terminal.
 *
 * Ink 6 reports `key.eventType` ('press' | 'repeat' | 'release') only when
 * the kitty keyboard protocol is active (https://sw.kovidgoyal.net/kitty/keyboard-protocol/,
 * "report event types"); on a legacy terminal it is undefined and every
 * event is a press. That is what makes push-to-talk a true hold-to-talk on
 * kitty-capable terminals and a toggle elsewhere.
 */

/** The part of Ink's `Key` this module reads (so tests can pass plain objects). */
export interface KeyInfo {
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly leftArrow?: boolean;
  readonly rightArrow?: boolean;
  readonly escape?: boolean;
  readonly ctrl?: boolean;
  readonly eventType?: 'press' | 'repeat' | 'release';
}

export type KeyCommand =
  | { readonly kind: 'toggle-mute' }
  | { readonly kind: 'toggle-deafen' }
  | { readonly kind: 'select'; readonly delta: -1 | 1 }
  | { readonly kind: 'volume'; readonly steps: -1 | 1 }
  | { readonly kind: 'toggle-peer-mute' }
  | { readonly kind: 'toggle-push-to-talk' }
  /** `press`/`release` from a kitty terminal; `toggle` from a legacy one. */
  | { readonly kind: 'talk'; readonly edge: 'press' | 'release' | 'toggle' }
  | { readonly kind: 'toggle-stats' }
  | { readonly kind: 'toggle-help' }
  | { readonly kind: 'close-panels' }
  | { readonly kind: 'leave' };

/** Whether this event came through the kitty keyboard protocol. */
export function isKittyEvent(key: KeyInfo): boolean {
  return key.eventType !== undefined;
}

export function keyToCommand(input: string, key: KeyInfo): KeyCommand | null {
  const eventType = key.eventType;

  // The talk key is the only one whose release matters.
  if (input === ' ') {
    if (eventType === undefined) return { kind: 'talk', edge: 'toggle' };
    if (eventType === 'press') return { kind: 'talk', edge: 'press' };
    if (eventType === 'release') return { kind: 'talk', edge: 'release' };
    return null; // auto-repeat while held: still talking, nothing to do
  }
  if (eventType === 'release') return null;

  if (key.ctrl && input === 'c') return { kind: 'leave' };

  // Held arrows and volume keys repeat usefully; toggles must not flap.
  if (key.upArrow) return { kind: 'select', delta: -1 };
  if (key.downArrow) return { kind: 'select', delta: 1 };
  if (key.leftArrow || input === '-' || input === '_') return { kind: 'volume', steps: -1 };
  // '=' is '+' without shift on most layouts; accept both.
  if (key.rightArrow || input === '+' || input === '=') return { kind: 'volume', steps: 1 };
  if (eventType === 'repeat') return null;

  if (key.escape) return { kind: 'close-panels' };
  if (key.ctrl) return null;
  switch (input) {
    case 'm':
      return { kind: 'toggle-mute' };
    case 'd':
      return { kind: 'toggle-deafen' };
    case 'x':
      return { kind: 'toggle-peer-mute' };
    case 'p':
      return { kind: 'toggle-push-to-talk' };
    case 's':
      return { kind: 'toggle-stats' };
    case '?':
      return { kind: 'toggle-help' };
    case 'q':
      return { kind: 'leave' };
    default:
      return null;
  }
}
