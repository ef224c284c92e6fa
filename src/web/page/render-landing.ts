/**
 * The landing screen: a code to join with a name field and Join, or, without
 * a code, Create a room and a field to paste one. The joining screen is the
 * same form with Join disabled and progress shown, so the name typed stays
 * where it was when a join fails.
 */
import type { SessionError } from '../../engine/api.js';
import { MAX_NAME_CHARS } from './failures.js';
import { el, setHidden, setText } from './dom.js';
import type { Screen } from './screens.js';

export interface LandingHandlers {
  create(): void;
  enterCode(text: string): void;
  join(name: string): void;
}

export type LandingScreen = Extract<Screen, { kind: 'landing' | 'joining' }>;

/** Shows what went wrong and what to try; role=alert so it is read out when it appears. */
function problemBox(doc: Document): { element: HTMLElement; show(problem: SessionError | null): void } {
  const message = el(doc, 'strong', { className: 'problem-message' });
  const hint = el(doc, 'span', { className: 'hint' });
  const element = el(doc, 'div', { className: 'problem tone-red', attrs: { role: 'alert', hidden: true } }, [message, ' ', hint]);
  return {
    element,
    show(problem) {
      setHidden(element, problem === null);
      setText(message, problem?.message ?? '');
      setText(hint, problem?.hint === undefined ? '' : `Try: ${problem.hint}`);
    },
  };
}

export class LandingView {
  readonly element: HTMLElement;
  /** The code this view was built for: another code needs a new view. */
  readonly code: string | null;
  private readonly problem: ReturnType<typeof problemBox>;
  private readonly joinButton: HTMLButtonElement | null = null;
  private readonly progress: HTMLElement | null = null;
  private readonly nameField: HTMLInputElement | null = null;
  private readonly codeField: HTMLInputElement | null = null;

  constructor(doc: Document, screen: LandingScreen, savedName: string, handlers: LandingHandlers) {
    this.code = screen.code;
    this.problem = problemBox(doc);
    const intro = el(doc, 'p', { className: 'intro', text: 'Talk with the people who have the same room code, straight from this page.' });
    let body: HTMLElement;
    if (screen.code !== null) {
      const nameField = el(doc, 'input', {
        attrs: { id: 'display-name', type: 'text', name: 'name', autocomplete: 'nickname', maxlength: MAX_NAME_CHARS, required: true, spellcheck: 'false' },
      });
      nameField.value = savedName;
      const joinButton = el(doc, 'button', { className: 'primary', text: 'Join', attrs: { type: 'submit' } });
      const progress = el(doc, 'p', {
        className: 'progress',
        text: 'Joining… If the browser asks for the microphone, allow it.',
        attrs: { role: 'status', hidden: true },
      });
      body = el(
        doc,
        'form',
        {
          className: 'join-form',
          attrs: { novalidate: true },
          on: {
            submit: (event) => {
              event.preventDefault();
              handlers.join(nameField.value);
            },
          },
        },
        [
          el(doc, 'p', { className: 'room-code' }, ['Room ', el(doc, 'strong', { className: 'code', text: screen.code })]),
          el(doc, 'label', { text: 'Your name', attrs: { for: 'display-name' } }),
          el(doc, 'div', { className: 'row' }, [nameField, joinButton]),
          progress,
        ],
      );
      this.nameField = nameField;
      this.joinButton = joinButton;
      this.progress = progress;
    } else {
      const codeField = el(doc, 'input', {
        attrs: { id: 'join-code', type: 'text', name: 'code', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', placeholder: 'like purple-otter-lamp-river-42' },
      });
      body = el(doc, 'div', { className: 'start' }, [
        el(doc, 'button', { className: 'primary', text: 'Create a room', attrs: { type: 'button' }, on: { click: () => handlers.create() } }),
        el(
          doc,
          'form',
          {
            className: 'code-form',
            attrs: { novalidate: true },
            on: {
              submit: (event) => {
                event.preventDefault();
                handlers.enterCode(codeField.value);
              },
            },
          },
          [
            el(doc, 'label', { text: 'Or paste a room code or link', attrs: { for: 'join-code' } }),
            el(doc, 'div', { className: 'row' }, [codeField, el(doc, 'button', { text: 'Use this code', attrs: { type: 'submit' } })]),
          ],
        ),
      ]);
      this.codeField = codeField;
    }
    this.element = el(doc, 'section', { className: 'landing' }, [el(doc, 'h1', { text: 'Roundtable' }), intro, this.problem.element, body]);
    this.update(screen);
  }

  update(screen: LandingScreen): void {
    const joining = screen.kind === 'joining';
    this.problem.show(screen.kind === 'landing' ? screen.problem : null);
    if (this.joinButton !== null && this.joinButton.disabled !== joining) this.joinButton.disabled = joining;
    if (this.nameField !== null && this.nameField.readOnly !== joining) this.nameField.readOnly = joining;
    if (this.progress !== null) setHidden(this.progress, !joining);
    this.element.setAttribute('aria-busy', String(joining));
  }

  /** The room is locked: we knocked; say we wait to be let in. */
  showKnocking(): void {
    if (this.progress === null) return;
    setText(this.progress, 'The room is locked: waiting for someone inside to let you in…');
  }

  /** Where the user goes next: the name (or Join once a name is there), else the code field. */
  focus(): void {
    if (this.nameField !== null && this.joinButton !== null) {
      if (this.nameField.value.trim() === '') this.nameField.focus();
      else this.joinButton.focus();
    } else {
      this.codeField?.focus();
    }
  }
}
