/** After the call: you left (or it failed, and why), and a way back in. */
import type { SessionError } from '../../engine/api.js';
import { el } from './dom.js';

export class EndedView {
  readonly element: HTMLElement;
  private readonly joinAgain: HTMLButtonElement;

  constructor(doc: Document, code: string, problem: SessionError | null, onJoinAgain: () => void) {
    this.joinAgain = el(doc, 'button', { className: 'primary', text: 'Join again', attrs: { type: 'button' }, on: { click: onJoinAgain } });
    this.element = el(doc, 'section', { className: 'ended' }, [
      el(doc, 'h1', { text: problem === null ? 'You left the room' : 'The call ended' }),
      problem === null
        ? null
        : el(doc, 'div', { className: 'problem tone-red', attrs: { role: 'alert' } }, [
            el(doc, 'strong', { className: 'problem-message', text: problem.message }),
            problem.hint === undefined ? null : ` Try: ${problem.hint}`,
          ]),
      el(doc, 'p', { className: 'room-code' }, ['Room ', el(doc, 'strong', { className: 'code', text: code })]),
      this.joinAgain,
    ]);
  }

  focus(): void {
    this.joinAgain.focus();
  }
}
