/**
 * The room's knocks and chat on the page: who knocks at the locked room
 * (Admit / Deny buttons; the first member to answer decides) and the chat
 * box (the latest lines, a field and Send). Every text from the network goes
 * in with textContent (dom.ts), never as HTML, and is plain already
 * (engine/room/chat.ts strips control characters, escape sequences and
 * bidirectional overrides).
 */
import type { ChatLine, KnockView, SessionSnapshot } from '../../engine/api.js';
import { chatLength, MAX_CHAT_CHARS } from '../../engine/room/chat.js';
import { el, setHidden, setText } from './dom.js';

export interface ChatHandlers {
  answerKnock(peerId: string, admit: boolean): void;
  sendChat(text: string): void;
}

/** HH:MM, local time. */
function clockTime(atMs: number): string {
  const d = new Date(atMs);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

export class ChatBox {
  /** The knock prompts; shown above the controls. */
  readonly knocksElement: HTMLElement;
  /** The chat box. */
  readonly element: HTMLElement;
  private readonly doc: Document;
  private readonly handlers: ChatHandlers;
  private readonly knockList: HTMLUListElement;
  private readonly knockRows = new Map<string, HTMLLIElement>();
  private readonly log: HTMLOListElement;
  private readonly field: HTMLInputElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly hint: HTMLElement;
  private lastShownN = 0;

  constructor(doc: Document, handlers: ChatHandlers) {
    this.doc = doc;
    this.handlers = handlers;
    this.knockList = el(doc, 'ul', { className: 'knock-list' });
    this.knocksElement = el(doc, 'section', { className: 'knocks', attrs: { 'aria-label': 'Knocking', hidden: true } }, [this.knockList]);
    this.log = el(doc, 'ol', { className: 'chat-log', attrs: { 'aria-label': 'Chat messages' } });
    this.field = el(doc, 'input', { className: 'chat-field', attrs: { type: 'text', 'aria-label': 'Message', autocomplete: 'off', placeholder: 'Message to the room' } });
    this.sendButton = el(doc, 'button', { className: 'chat-send', text: 'Send', attrs: { type: 'submit' } });
    this.hint = el(doc, 'span', { className: 'chat-hint tone-red', attrs: { hidden: true } });
    this.field.addEventListener('input', () => this.showLength());
    const form = el(
      doc,
      'form',
      {
        className: 'chat-form',
        on: {
          submit: (event) => {
            event.preventDefault();
            const text = this.field.value;
            if (text.trim() === '') return;
            this.handlers.sendChat(text);
            this.field.value = '';
            this.showLength();
          },
        },
      },
      [this.field, this.sendButton, this.hint],
    );
    this.element = el(doc, 'section', { className: 'chat', attrs: { 'aria-labelledby': 'chat-heading' } }, [
      el(doc, 'h2', { text: 'Chat', attrs: { id: 'chat-heading' } }),
      this.log,
      form,
    ]);
  }

  update(snapshot: SessionSnapshot, leaving: boolean): void {
    this.showKnocks(snapshot.knocks, leaving);
    this.showLines(snapshot.chat);
    const disabled = leaving || (snapshot.phase !== 'in-call' && snapshot.phase !== 'waiting-for-peers');
    if (this.sendButton.disabled !== disabled) this.sendButton.disabled = disabled;
  }

  private showLength(): void {
    const n = chatLength(this.field.value);
    setHidden(this.hint, n <= MAX_CHAT_CHARS);
    setText(this.hint, n > MAX_CHAT_CHARS ? `${n}/${MAX_CHAT_CHARS} characters: too long to send` : '');
  }

  private showKnocks(knocks: readonly KnockView[], leaving: boolean): void {
    const seen = new Set<string>();
    for (const k of knocks) {
      seen.add(k.id);
      if (this.knockRows.has(k.id)) continue;
      const row = el(this.doc, 'li', { className: 'knock' }, [
        el(this.doc, 'span', { className: 'knock-text', text: `${k.name} asks to join` }),
        el(this.doc, 'button', { className: 'admit', text: 'Admit', attrs: { type: 'button' }, on: { click: () => this.handlers.answerKnock(k.id, true) } }),
        el(this.doc, 'button', { className: 'deny', text: 'Deny', attrs: { type: 'button' }, on: { click: () => this.handlers.answerKnock(k.id, false) } }),
      ]);
      this.knockRows.set(k.id, row);
      this.knockList.append(row);
    }
    for (const [id, row] of this.knockRows) {
      if (seen.has(id)) continue;
      row.remove();
      this.knockRows.delete(id);
    }
    setHidden(this.knocksElement, knocks.length === 0 || leaving);
  }

  private showLines(lines: readonly ChatLine[]): void {
    const fresh = lines.filter((l) => l.n > this.lastShownN);
    if (fresh.length === 0) return;
    this.lastShownN = fresh[fresh.length - 1]!.n;
    for (const l of fresh) {
      const item =
        l.kind === 'notice'
          ? el(this.doc, 'li', { className: 'chat-notice' }, [el(this.doc, 'time', { text: clockTime(l.atMs) }), ` ${l.text}`])
          : el(this.doc, 'li', { className: l.self ? 'chat-message self' : 'chat-message' }, [
              el(this.doc, 'time', { text: clockTime(l.atMs) }),
              ' ',
              el(this.doc, 'strong', { className: 'chat-from', text: l.from }),
              ': ',
              el(this.doc, 'span', { className: 'chat-text', text: l.text }),
            ]);
      this.log.append(item);
    }
    while (this.log.children.length > lines.length) this.log.firstElementChild?.remove();
    this.log.scrollTop = this.log.scrollHeight;
  }
}
