/** One peer's row in the room: built once when the peer appears, then updated in place. */
import { el, meter, setAttr, setClass, setText, setTone, type Meter } from './dom.js';
import type { Figure, PeerRowView } from './view-model.js';

/** One span per figure, so a bad loss figure is coloured alone. */
function showFigures(container: HTMLElement, figures: readonly Figure[]): void {
  const doc = container.ownerDocument;
  while (container.children.length < figures.length) container.append(el(doc, 'span', { className: 'figure' }));
  while (container.children.length > figures.length) container.lastElementChild?.remove();
  figures.forEach((figure, i) => {
    const span = container.children[i]!;
    setText(span, `${figure.label} ${figure.value}`);
    setTone(span, figure.tone);
  });
}

export interface PeerRowHandlers {
  setVolume(peerId: string, volumePercent: number): void;
  toggleMute(peerId: string): void;
}

export class PeerRow {
  readonly element: HTMLLIElement;
  private readonly name: HTMLElement;
  private readonly speaking: HTMLElement;
  private readonly recording: HTMLElement;
  private readonly state: HTMLElement;
  private readonly level: Meter;
  private readonly volume: HTMLInputElement;
  private readonly volumeValue: HTMLOutputElement;
  private readonly mute: HTMLButtonElement;
  private readonly link: HTMLElement;
  private readonly counts: HTMLElement;
  private readonly countsSummary: HTMLElement;
  /** While the slider is held, snapshots (which lag the drag) must not move it back. */
  private dragging = false;
  private shownName: string | undefined;

  constructor(doc: Document, private readonly id: string, handlers: PeerRowHandlers) {
    this.name = el(doc, 'span', { className: 'peer-name' });
    this.speaking = el(doc, 'span', { className: 'speaking', text: 'speaking' });
    // The recording mark (docs/architecture.md §4): shown beside the name while the peer records.
    this.recording = el(doc, 'span', { className: 'recording', text: '● REC' });
    this.state = el(doc, 'span', { className: 'peer-state' });
    this.level = meter(doc, 'Level');
    this.volume = el(doc, 'input', {
      className: 'volume',
      attrs: { type: 'range', min: 0, max: 200, step: 10 },
      on: {
        input: () => {
          const value = Number(this.volume.value);
          setText(this.volumeValue, `${value}%`);
          setAttr(this.volume, 'aria-valuetext', `${value}%`);
          handlers.setVolume(this.id, value);
        },
        pointerdown: () => {
          this.dragging = true;
        },
        pointerup: () => {
          this.dragging = false;
        },
        pointercancel: () => {
          this.dragging = false;
        },
        blur: () => {
          this.dragging = false;
        },
      },
    });
    this.volumeValue = el(doc, 'output', { className: 'volume-value' });
    this.mute = el(doc, 'button', {
      className: 'toggle peer-mute',
      text: 'Mute for me',
      attrs: { type: 'button', 'aria-pressed': 'false' },
      on: { click: () => handlers.toggleMute(this.id) },
    });
    this.link = el(doc, 'p', { className: 'figures' });
    this.counts = el(doc, 'p', { className: 'figures' });
    this.countsSummary = el(doc, 'summary', { text: 'Packets' });

    this.element = el(doc, 'li', { className: 'peer' }, [
      el(doc, 'div', { className: 'peer-head' }, [
        el(doc, 'span', { className: 'dot', attrs: { 'aria-hidden': 'true' } }),
        this.name,
        this.recording,
        this.speaking,
        this.state,
      ]),
      this.level.element,
      el(doc, 'div', { className: 'peer-controls' }, [
        el(doc, 'label', { className: 'volume-label' }, [el(doc, 'span', { text: 'Volume' }), this.volume, this.volumeValue]),
        this.mute,
      ]),
      this.link,
      el(doc, 'details', { className: 'counts' }, [this.countsSummary, this.counts]),
    ]);
  }

  update(view: PeerRowView): void {
    if (view.name !== this.shownName) {
      this.shownName = view.name;
      setText(this.name, view.name);
      // Names in the accessible names: a list of "Mute for me" buttons would not say whose.
      setAttr(this.volume, 'aria-label', `Volume of ${view.name}`);
      setAttr(this.mute, 'aria-label', `Mute for me: ${view.name}`);
      setAttr(this.level.element, 'aria-label', `Level of ${view.name}`);
      setAttr(this.countsSummary, 'aria-label', `Packets from ${view.name}`);
      setAttr(this.recording, 'title', `${view.name} is recording the call`);
    }
    setClass(this.element, 'is-speaking', view.speaking);
    setClass(this.element, 'is-muted', view.mutedByMe);
    setClass(this.element, 'is-recording', view.recording);
    setText(this.state, view.stateText);
    setTone(this.state, view.stateTone);
    this.level.set(view.levelPercent);
    if (!this.dragging) {
      const value = String(view.volumePercent);
      if (this.volume.value !== value) this.volume.value = value;
      setAttr(this.volume, 'aria-valuetext', view.volumeText);
      setText(this.volumeValue, view.volumeText);
    }
    setAttr(this.mute, 'aria-pressed', String(view.mutedByMe));
    showFigures(this.link, view.link);
    showFigures(this.counts, view.counts);
  }
}
