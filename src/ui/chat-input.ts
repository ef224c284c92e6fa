/**
 * The chat line being typed in the terminal UI, as a pure reducer: while it
 * is open every key is text, Enter sends, Esc cancels, Backspace deletes the
 * last character. Pasted text (several characters in one read) is taken as
 * typed. Control characters never enter the line (the session sanitizes what
 * it sends as well, room/chat.ts).
 */
import { chatLength, MAX_CHAT_CHARS, sanitizeChatText } from '../engine/room/chat.js';
import type { KeyInfo } from './keymap.js';

export type ChatInputResult =
  | { readonly kind: 'edit'; readonly text: string }
  | { readonly kind: 'send'; readonly text: string }
  | { readonly kind: 'cancel' };

/** What one key (or one read of pasted text) does to the line `text`. */
export function editChatInput(text: string, input: string, key: KeyInfo): ChatInputResult {
  if (key.escape === true) return { kind: 'cancel' };
  if (key.return === true) return { kind: 'send', text };
  if (key.backspace === true || key.delete === true) return { kind: 'edit', text: Array.from(text).slice(0, -1).join('') };
  if (key.ctrl === true || key.meta === true || key.upArrow === true || key.downArrow === true || key.leftArrow === true || key.rightArrow === true || key.tab === true) {
    return { kind: 'edit', text };
  }
  // A pasted newline is a space; anything else unprintable is dropped.
  const typed = input.replace(/[\r\n]+/gu, ' ');
  const clean = sanitizeChatText(`x${typed}x`).slice(1, -1);
  return { kind: 'edit', text: text + clean };
}

/** Shown beside the line: how much of the limit is used, once it nears or passes it. */
export function chatInputHint(text: string): string | undefined {
  const n = chatLength(text);
  if (n > MAX_CHAT_CHARS) return `${n}/${MAX_CHAT_CHARS}: too long, will not be sent`;
  if (n > MAX_CHAT_CHARS - 100) return `${n}/${MAX_CHAT_CHARS}`;
  return undefined;
}
