/**
 * The room screen: built once per session, then updated in place from each
 * drawn snapshot. Peer rows are kept by id, so a peer's slider keeps focus
 * and position while others join and leave.
 */
import { describeMediaPath, type ProcessingStage, type SessionSnapshot } from '../../engine/api.js';
import { phaseLabel, PROCESSING_LABELS, PROCESSING_STAGES } from '../../ui/labels.js';
import { el, meter, setAttr, setClass, setHidden, setText, setTone, type Meter } from './dom.js';
import { ChatBox, type ChatHandlers } from './render-chat.js';
import { PeerRow } from './render-peer.js';
import { peerRow, selfRow, soundNotStarted, statusLines, type LinkContext, type StatusLine } from './view-model.js';

export interface RoomHandlers extends ChatHandlers {
  toggleMute(): void;
  toggleDeafen(): void;
  togglePushToTalk(): void;
  /** The browser's own noise suppression of the microphone. */
  toggleProcessing(stage: ProcessingStage): void;
  /** Talk button held (true) or let go (false). */
  talk(pressed: boolean): void;
  /** Lock the room if it is open, unlock it if locked (for everyone). */
  toggleLock(): void;
  /** Start the page's sound (a browser starts it only on a click). */
  startOutput(): void;
  leave(): void;
  copyLink(): void;
  setPeerVolume(peerId: string, volumePercent: number): void;
  togglePeerMute(peerId: string): void;
}

export class RoomView {
  readonly element: HTMLElement;
  /** The Talk button, which the keyboard handler treats as held, not clicked. */
  readonly talkButton: HTMLButtonElement;
  private readonly doc: Document;
  private readonly phase: HTMLElement;
  private readonly lockState: HTMLElement;
  /** Which path the room's audio takes, and that the SFU cannot hear it (describeMediaPath, as the TUI's header says it). */
  private readonly mediaPath: HTMLElement;
  private readonly copyNote: HTMLElement;
  private readonly status: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly selfName: HTMLElement;
  private readonly selfBadges: HTMLElement;
  private readonly selfRow: HTMLElement;
  private readonly micMeter: Meter;
  private readonly muteButton: HTMLButtonElement;
  private readonly deafenButton: HTMLButtonElement;
  private readonly pttButton: HTMLButtonElement;
  /** One switch per processing stage (echo cancellation, noise suppression, gain control). */
  private readonly processingButtons: ReadonlyArray<readonly [ProcessingStage, HTMLButtonElement]>;
  private readonly lockButton: HTMLButtonElement;
  /** Shown while the browser has not started the page's sound: the click it waits for. */
  private readonly soundButton: HTMLButtonElement;
  private readonly leaveButton: HTMLButtonElement;
  private readonly peerList: HTMLUListElement;
  private readonly emptyNote: HTMLElement;
  private readonly rows = new Map<string, PeerRow>();
  private readonly chat: ChatBox;
  private readonly handlers: RoomHandlers;
  private copyTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(doc: Document, code: string, handlers: RoomHandlers, private readonly linkContext: LinkContext = {}) {
    this.doc = doc;
    this.handlers = handlers;
    const button = (text: string, className: string, onClick: () => void, toggle = false): HTMLButtonElement =>
      el(doc, 'button', { className, text, attrs: { type: 'button', 'aria-pressed': toggle ? 'false' : undefined }, on: { click: onClick } });

    this.phase = el(doc, 'span', { className: 'phase' });
    this.lockState = el(doc, 'span', { className: 'lock-state tone-yellow', text: 'Locked: nobody new may join', attrs: { hidden: true } });
    this.mediaPath = el(doc, 'span', { className: 'media-path', text: `media ${describeMediaPath('mesh')}`, attrs: { 'aria-live': 'polite' } });
    this.copyNote = el(doc, 'span', { className: 'copy-note', text: 'Copied', attrs: { hidden: true } });
    this.status = el(doc, 'div', { className: 'status' });
    this.notice = el(doc, 'p', { className: 'notice tone-red', attrs: { hidden: true } });

    this.selfName = el(doc, 'span', { className: 'peer-name' });
    this.selfBadges = el(doc, 'span', { className: 'badges' });
    this.micMeter = meter(doc, 'Your microphone level');
    this.selfRow = el(doc, 'section', { className: 'self', attrs: { 'aria-label': 'You' } }, [
      el(doc, 'div', { className: 'peer-head' }, [
        el(doc, 'span', { className: 'dot', attrs: { 'aria-hidden': 'true' } }),
        this.selfName,
        el(doc, 'span', { className: 'speaking', text: 'speaking' }),
        this.selfBadges,
      ]),
      this.micMeter.element,
    ]);

    this.muteButton = button('Mute', 'toggle', () => handlers.toggleMute(), true);
    this.deafenButton = button('Deafen', 'toggle', () => handlers.toggleDeafen(), true);
    this.pttButton = button('Push-to-talk', 'toggle ptt', () => handlers.togglePushToTalk(), true);
    this.processingButtons = PROCESSING_STAGES.map(
      (stage) => [stage, button(PROCESSING_LABELS[stage].title, `toggle ${stage}`, () => handlers.toggleProcessing(stage), true)] as const,
    );
    this.talkButton = this.buildTalkButton();
    this.lockButton = button('Lock room', 'toggle lock', () => handlers.toggleLock(), true);
    this.soundButton = button('Enable sound', 'primary start-sound', () => handlers.startOutput());
    this.soundButton.hidden = true;
    this.leaveButton = button('Leave', 'leave', () => handlers.leave());

    this.peerList = el(doc, 'ul', { className: 'peers' });
    this.emptyNote = el(doc, 'p', { className: 'empty', text: 'No one else here yet.' });
    this.chat = new ChatBox(doc, handlers);

    this.element = el(doc, 'section', { className: 'room' }, [
      el(doc, 'header', { className: 'room-header' }, [
        el(doc, 'h1', { text: 'Roundtable' }),
        el(doc, 'p', { className: 'room-code' }, ['Room ', el(doc, 'strong', { className: 'code', text: code })]),
        el(doc, 'div', { className: 'copy' }, [button('Copy link', 'copy-link', () => handlers.copyLink()), this.copyNote]),
        this.phase,
        this.mediaPath,
        this.lockState,
      ]),
      this.status,
      this.soundButton,
      this.notice,
      this.chat.knocksElement,
      this.selfRow,
      el(doc, 'div', { className: 'controls', attrs: { role: 'group', 'aria-label': 'Your controls' } }, [
        this.muteButton,
        this.deafenButton,
        this.pttButton,
        this.talkButton,
        ...this.processingButtons.map(([, b]) => b),
        this.lockButton,
        this.leaveButton,
      ]),
      el(doc, 'section', { className: 'people', attrs: { 'aria-labelledby': 'people-heading' } }, [
        el(doc, 'h2', { text: 'In the room', attrs: { id: 'people-heading' } }),
        this.emptyNote,
        this.peerList,
      ]),
      this.chat.element,
      el(doc, 'p', { className: 'shortcuts' }, [
        'Keys: ',
        el(doc, 'kbd', { text: 'm' }),
        ' mute · ',
        el(doc, 'kbd', { text: 'd' }),
        ' deafen · ',
        el(doc, 'kbd', { text: 'p' }),
        ' or ',
        el(doc, 'kbd', { text: 't' }),
        ' push-to-talk · hold ',
        el(doc, 'kbd', { text: 'Space' }),
        ' to talk in push-to-talk mode',
      ]),
    ]);
  }

  /**
   * Held, not clicked: pointer capture keeps the release coming to the
   * button when the finger slides off it, and every way a hold can end
   * (up, cancel, capture lost) lets go.
   */
  private buildTalkButton(): HTMLButtonElement {
    const release = (): void => this.handlers.talk(false);
    const talk = el(this.doc, 'button', {
      className: 'talk',
      text: 'Talk',
      attrs: { type: 'button', 'aria-pressed': 'false', hidden: true },
      on: {
        pointerdown: (event) => {
          if (event.button !== 0) return;
          event.preventDefault(); // no text selection or touch callout while held
          talk.setPointerCapture(event.pointerId);
          talk.focus();
          this.handlers.talk(true);
        },
        pointerup: release,
        pointercancel: release,
        lostpointercapture: release,
        contextmenu: (event) => event.preventDefault(),
      },
    });
    return talk;
  }

  update(snapshot: SessionSnapshot, leaving: boolean): void {
    const phase = leaving && snapshot.phase !== 'left' ? phaseLabel('leaving') : phaseLabel(snapshot.phase);
    setText(this.phase, `● ${phase.text}`);
    setTone(this.phase, phase.tone);
    this.showStatus(statusLines(snapshot, leaving, this.linkContext));

    const self = selfRow(snapshot.self);
    setText(this.selfName, self.name);
    setClass(this.selfRow, 'is-speaking', self.speaking);
    setClass(this.selfRow, 'is-live', self.live);
    this.micMeter.set(self.levelPercent);
    this.showBadges(self.badges);

    setAttr(this.muteButton, 'aria-pressed', String(snapshot.self.muted));
    setAttr(this.deafenButton, 'aria-pressed', String(snapshot.self.deafened));
    setAttr(this.pttButton, 'aria-pressed', String(snapshot.self.pushToTalk));
    setAttr(this.talkButton, 'aria-pressed', String(snapshot.self.pushToTalk && snapshot.self.talking));
    setHidden(this.talkButton, !snapshot.self.pushToTalk);
    setHidden(this.soundButton, leaving || soundNotStarted(snapshot) === null);
    for (const b of [this.muteButton, this.deafenButton, this.pttButton, this.talkButton, this.leaveButton]) {
      if (b.disabled !== leaving) b.disabled = leaving;
    }
    // The lock is the server's: it can change only while we are in touch with it.
    setHidden(this.lockState, !snapshot.locked);
    setText(this.mediaPath, `media ${describeMediaPath(snapshot.mediaPath ?? 'mesh')}`);
    setAttr(this.lockButton, 'aria-pressed', String(snapshot.locked));
    setText(this.lockButton, snapshot.locked ? 'Unlock room' : 'Lock room');
    const lockDisabled = leaving || (snapshot.phase !== 'in-call' && snapshot.phase !== 'waiting-for-peers');
    if (this.lockButton.disabled !== lockDisabled) this.lockButton.disabled = lockDisabled;
    // The browser decides which stages it can change; where it cannot, the button says so and stays off.
    for (const [stage, b] of this.processingButtons) {
      const state = snapshot.self.processing[stage];
      const label = PROCESSING_LABELS[stage].title;
      setAttr(b, 'aria-pressed', String(state === 'on'));
      setText(b, state === 'unavailable' ? `${label} unavailable` : label);
      const disabled = leaving || state === 'unavailable';
      if (b.disabled !== disabled) b.disabled = disabled;
    }

    this.showPeers(snapshot);
    this.chat.update(snapshot, leaving);
  }

  /** A local problem (an action the session refused), or null to clear it. */
  showNotice(text: string | null): void {
    setHidden(this.notice, text === null);
    setText(this.notice, text ?? '');
  }

  confirmCopied(): void {
    setHidden(this.copyNote, false);
    if (this.copyTimer !== undefined) clearTimeout(this.copyTimer);
    this.copyTimer = setTimeout(() => setHidden(this.copyNote, true), 2500);
  }

  /** Copying was refused: show the link to copy by hand, selected. */
  showLinkToCopy(link: string): void {
    let field = this.element.querySelector<HTMLInputElement>('input.link-field');
    if (field === null) {
      field = el(this.doc, 'input', { className: 'link-field', attrs: { type: 'text', readonly: true, 'aria-label': 'Room link' } });
      this.element.querySelector('.copy')?.append(field);
    }
    field.value = link;
    field.focus();
    field.select();
  }

  destroy(): void {
    if (this.copyTimer !== undefined) clearTimeout(this.copyTimer);
  }

  private showStatus(lines: readonly StatusLine[]): void {
    // Lines keyed by `key`: rebuilt only when the set of lines changes, which is rare.
    const keys = lines.map((l) => l.key).join('\n');
    if (this.status.dataset['keys'] !== keys) {
      this.status.dataset['keys'] = keys;
      this.status.replaceChildren(
        ...lines.map(() =>
          el(this.doc, 'p', { className: 'status-line' }, [el(this.doc, 'span', { className: 'status-text' }), el(this.doc, 'span', { className: 'hint' })]),
        ),
      );
    }
    lines.forEach((line, i) => {
      const p = this.status.children[i] as HTMLElement;
      setTone(p, line.tone);
      setText(p.children[0]!, line.text);
      const hint = p.children[1] as HTMLElement;
      setText(hint, line.hint === undefined ? '' : `Try: ${line.hint}`);
      setHidden(hint, line.hint === undefined);
    });
  }

  private showBadges(badges: readonly { text: string; tone: string }[]): void {
    while (this.selfBadges.children.length < badges.length) this.selfBadges.append(el(this.doc, 'span', { className: 'badge' }));
    while (this.selfBadges.children.length > badges.length) this.selfBadges.lastElementChild?.remove();
    badges.forEach((badge, i) => {
      const span = this.selfBadges.children[i]!;
      setText(span, badge.text);
      setTone(span, badge.tone);
    });
  }

  private showPeers(snapshot: SessionSnapshot): void {
    const seen = new Set<string>();
    let previous: Element | null = null;
    for (const peer of snapshot.peers) {
      seen.add(peer.id);
      let row = this.rows.get(peer.id);
      if (row === undefined) {
        row = new PeerRow(this.doc, peer.id, {
          setVolume: (id, v) => this.handlers.setPeerVolume(id, v),
          toggleMute: (id) => this.handlers.togglePeerMute(id),
        });
        this.rows.set(peer.id, row);
      }
      row.update(peerRow(peer));
      // Move only rows out of order: moving a row that holds focus would blur it.
      const expected: Element | null = previous === null ? this.peerList.firstElementChild : previous.nextElementSibling;
      if (expected !== row.element) {
        if (previous === null) this.peerList.prepend(row.element);
        else previous.after(row.element);
      }
      previous = row.element;
    }
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) {
        row.element.remove();
        this.rows.delete(id);
      }
    }
    setHidden(this.emptyNote, snapshot.peers.length > 0);
  }
}
