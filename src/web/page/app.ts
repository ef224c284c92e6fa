/**
 * The page: screens (screens.ts) driven by the user and by the session, drawn
 * by the render-* views. This file only connects them: it runs the effects a
 * transition asks for, owns the joined SessionController, and turns clicks
 * and keys into session actions.
 */
import type { ProcessingStage, SessionAction, SessionController, SessionSnapshot } from '../../engine/api.js';
import { webLink } from '../../protocol/web-link.js';
import { LiveRegion, el } from './dom.js';
import { FrameCoalescer } from './frame.js';
import { decideKey, focusKind, type KeyIntent } from './keys.js';
import { EndedView } from './render-ended.js';
import { LandingView, type LandingScreen } from './render-landing.js';
import { RoomView } from './render-room.js';
import { initialScreen, transition, type Effect, type Screen, type ScreenEvent } from './screens.js';
import { announcements, type LinkContext } from './view-model.js';

export interface AppDeps {
  /** The page URL (location.href) — code from its fragment, link from its origin. */
  pageUrl: string;
  /** localStorage or null when unavailable (private mode). */
  storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  /** Join the room; rejects with an Error (DOMException named NotAllowedError/NotFoundError/NotReadableError for the microphone, SignalingError for the server, InvalidJoinCodeError for the code). */
  /** Join; `onKnocking` is called if the room is locked and we wait to be let in. */
  join(code: string, name: string, onKnocking: () => void): Promise<SessionController>;
  generateCode(): string;
  copyText(text: string): Promise<void>;
  /** Replace the page URL's fragment without reloading (history.replaceState). */
  setFragment(code: string): void;
  /** What the page knows of its network that explains a link that does not come up. */
  linkContext?: LinkContext;
}

/** Where the display name is remembered between visits. */
export const NAME_STORAGE_KEY = 'roundtable.displayName';

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface Session {
  readonly controller: SessionController;
  readonly unsubscribe: () => void;
  readonly frames: FrameCoalescer<SessionSnapshot>;
  /** The last snapshot drawn, to tell the live region what changed. */
  shown: SessionSnapshot | null;
  /** What holds the talk button down, so only that lets go. */
  talkHeldBy: 'key' | 'pointer' | null;
}

export function mountApp(root: HTMLElement, deps: AppDeps): { destroy(): void } {
  const doc = root.ownerDocument;
  const win = doc.defaultView;
  const live = new LiveRegion(doc);
  const stage = el(doc, 'div', { className: 'stage' });
  root.replaceChildren(stage, live.element);

  let screen: Screen = initialScreen(deps.pageUrl);
  let landing: LandingView | null = null;
  let room: RoomView | null = null;
  let session: Session | null = null;
  let destroyed = false;
  // Bumped when a join's result stops mattering (a newer join, destroy).
  let joinGeneration = 0;

  const frameTimer = {
    request: (callback: () => void): number =>
      win !== null ? win.requestAnimationFrame(callback) : (setTimeout(callback, 16) as unknown as number),
    cancel: (handle: number): void => (win !== null ? win.cancelAnimationFrame(handle) : clearTimeout(handle)),
  };

  function savedName(): string {
    try {
      return deps.storage?.getItem(NAME_STORAGE_KEY) ?? '';
    } catch {
      return ''; // storage that throws (blocked cookies) is just no storage
    }
  }

  function apply(event: ScreenEvent): void {
    if (destroyed) return;
    const before = screen;
    const next = transition(screen, event);
    screen = next.screen;
    // Effects first: leaving a failed session needs the session that showing 'ended' lets go of.
    for (const effect of next.effects) run(effect);
    if (screen !== before) show(before, screen);
  }

  function run(effect: Effect): void {
    switch (effect.type) {
      case 'set-fragment':
        deps.setFragment(effect.code);
        return;
      case 'remember-name':
        try {
          deps.storage?.setItem(NAME_STORAGE_KEY, effect.name);
        } catch {
          // Quota or privacy settings: the name just is not remembered.
        }
        return;
      case 'start-join': {
        const generation = ++joinGeneration;
        Promise.resolve()
          .then(() => deps.join(effect.code, effect.name, () => landing?.showKnocking()))
          .then(
            (controller) => {
              if (destroyed || generation !== joinGeneration) {
                void controller.leave().catch(() => undefined);
                return;
              }
              attach(controller);
              apply({ type: 'joined' });
              if (session !== null) draw(session.controller.snapshot());
            },
            (error: unknown) => {
              if (generation === joinGeneration) apply({ type: 'join-failed', error });
            },
          );
        return;
      }
      case 'leave-session': {
        const current = session;
        if (current === null) return;
        releaseTalk();
        let done: Promise<void>;
        try {
          done = Promise.resolve(current.controller.leave());
        } catch (err) {
          done = Promise.reject(err);
        }
        done.then(
          () => apply({ type: 'left' }),
          (error: unknown) => apply({ type: 'left', error }),
        );
        return;
      }
    }
  }

  function attach(controller: SessionController): void {
    const frames = new FrameCoalescer<SessionSnapshot>(frameTimer, (snapshot) => draw(snapshot));
    const unsubscribe = controller.subscribe((snapshot) => {
      // Screen changes (left, failed) are decided at once, even in a
      // background tab where animation frames stop; drawing waits for a frame.
      apply({ type: 'snapshot', snapshot });
      if (screen.kind === 'room') frames.push(snapshot);
    });
    session = { controller, unsubscribe, frames, shown: null, talkHeldBy: null };
  }

  function detach(): void {
    if (session === null) return;
    releaseTalk();
    session.unsubscribe();
    session.frames.dispose();
    session = null;
  }

  function draw(snapshot: SessionSnapshot): void {
    if (session === null || room === null || screen.kind !== 'room') return;
    room.update(snapshot, screen.leaving);
    live.say(announcements(session.shown, snapshot));
    session.shown = snapshot;
  }

  function show(before: Screen, after: Screen): void {
    const sameLanding =
      landing !== null && (after.kind === 'landing' || after.kind === 'joining') && (before.kind === 'landing' || before.kind === 'joining') && landing.code === after.code;
    if (sameLanding) {
      landing!.update(after as LandingScreen);
      // Join was disabled while joining, which drops focus: give it back.
      if (before.kind === 'joining') landing!.focus();
      return;
    }
    if (after.kind === 'room' && before.kind === 'room' && room !== null) {
      if (session !== null) draw(session.controller.snapshot());
      return;
    }

    if (before.kind === 'room') {
      detach();
      room?.destroy();
      room = null;
      removeKeys();
    }
    render(after);
  }

  /**
   * A fresh view for a screen, with focus where the user goes next; not on
   * page load, where a screen reader should start at the top.
   */
  function render(after: Screen, moveFocus = true): void {
    landing = null;
    switch (after.kind) {
      case 'landing':
      case 'joining': {
        landing = new LandingView(doc, after, savedName(), {
          create: () => apply({ type: 'create', code: deps.generateCode() }),
          enterCode: (text) => apply({ type: 'enter-code', text }),
          join: (name) => apply({ type: 'join', name }),
        });
        stage.replaceChildren(landing.element);
        if (moveFocus) landing.focus();
        return;
      }
      case 'room': {
        room = new RoomView(doc, after.code, roomHandlers(after.code), deps.linkContext);
        stage.replaceChildren(room.element);
        addKeys();
        return;
      }
      case 'ended': {
        const view = new EndedView(doc, after.code, after.problem, () => apply({ type: 'join-again' }));
        stage.replaceChildren(view.element);
        view.focus();
        if (after.problem === null) live.say(['You left the room.']);
        return;
      }
    }
  }

  function send(action: SessionAction): void {
    if (session === null) return;
    try {
      session.controller.dispatch(action);
      room?.showNotice(null); // an earlier failure is no longer news
    } catch (err) {
      // A controller that throws must not take the page (and the call) down.
      room?.showNotice(`Could not ${action.type.replace(/-/g, ' ')}: ${errorText(err)}`);
    }
  }

  function current(): SessionSnapshot | null {
    try {
      return session?.controller.snapshot() ?? null;
    } catch {
      return null;
    }
  }

  function pressTalk(by: 'key' | 'pointer'): void {
    if (session === null || session.talkHeldBy !== null) return;
    if (current()?.self.pushToTalk !== true) return;
    session.talkHeldBy = by;
    send({ type: 'talk', pressed: true });
  }

  function releaseTalk(by?: 'key' | 'pointer'): void {
    if (session === null || session.talkHeldBy === null) return;
    if (by !== undefined && session.talkHeldBy !== by) return;
    session.talkHeldBy = null;
    send({ type: 'talk', pressed: false });
  }

  function togglePushToTalk(): void {
    const snapshot = current();
    if (snapshot !== null) send({ type: 'set-push-to-talk', enabled: !snapshot.self.pushToTalk });
  }

  function toggleLock(): void {
    const snapshot = current();
    if (snapshot !== null) send({ type: 'set-lock', locked: !snapshot.locked });
  }

  function roomHandlers(code: string) {
    return {
      toggleMute: () => send({ type: 'toggle-mute' }),
      toggleDeafen: () => send({ type: 'toggle-deafen' }),
      togglePushToTalk,
      toggleProcessing: (stage: ProcessingStage) => send({ type: 'toggle-processing', stage }),
      talk: (pressed: boolean) => (pressed ? pressTalk('pointer') : releaseTalk('pointer')),
      toggleLock,
      // Dispatched within the click itself: the browser starts sound only inside a user's gesture.
      startOutput: () => send({ type: 'start-output' }),
      leave: () => apply({ type: 'leave' }),
      setPeerVolume: (peerId: string, volumePercent: number) => send({ type: 'set-peer-volume', peerId, volumePercent }),
      togglePeerMute: (peerId: string) => send({ type: 'toggle-peer-mute', peerId }),
      answerKnock: (peerId: string, admit: boolean) => send({ type: 'answer-knock', peerId, admit }),
      sendChat: (text: string) => send({ type: 'send-chat', text }),
      copyLink: () => {
        const link = webLink(deps.pageUrl, code);
        deps.copyText(link).then(
          () => {
            room?.confirmCopied();
            live.say(['Link copied.']);
          },
          () => {
            room?.showLinkToCopy(link);
            live.say(['Could not copy: the link is selected, copy it by hand.']);
          },
        );
      },
    };
  }

  function runIntent(intent: KeyIntent): void {
    switch (intent.kind) {
      case 'toggle-mute':
        send({ type: 'toggle-mute' });
        return;
      case 'toggle-deafen':
        send({ type: 'toggle-deafen' });
        return;
      case 'toggle-push-to-talk':
        togglePushToTalk();
        return;
      case 'talk':
        if (intent.pressed) pressTalk('key');
        else releaseTalk('key');
        return;
    }
  }

  function onKey(event: KeyboardEvent): void {
    if (room === null || (screen.kind === 'room' && screen.leaving)) return;
    const target = event.target instanceof Element ? event.target : doc.activeElement;
    const focus =
      target === null || target === doc.body
        ? focusKind(null)
        : focusKind({
            tagName: target.tagName,
            type: target instanceof HTMLInputElement ? target.type : undefined,
            isContentEditable: target instanceof HTMLElement && target.isContentEditable,
            isTalkButton: target === room.talkButton,
          });
    const decision = decideKey(
      { type: event.type === 'keyup' ? 'keyup' : 'keydown', key: event.key, repeat: event.repeat, ctrlKey: event.ctrlKey, metaKey: event.metaKey, altKey: event.altKey },
      focus,
      current()?.self.pushToTalk === true,
    );
    if (decision.preventDefault) event.preventDefault();
    if (decision.intent !== null) runIntent(decision.intent);
  }

  // A key or pointer held while the window loses focus never reports its release.
  const onBlur = (): void => releaseTalk();
  const onPageHide = (): void => {
    if (session !== null) void session.controller.leave().catch(() => undefined);
  };

  function addKeys(): void {
    doc.addEventListener('keydown', onKey);
    doc.addEventListener('keyup', onKey);
    win?.addEventListener('blur', onBlur);
  }

  function removeKeys(): void {
    doc.removeEventListener('keydown', onKey);
    doc.removeEventListener('keyup', onKey);
    win?.removeEventListener('blur', onBlur);
  }

  // Closing the tab tells peers at once instead of after the server's heartbeat timeout.
  win?.addEventListener('pagehide', onPageHide);

  render(screen, false);

  return {
    destroy(): void {
      if (destroyed) return;
      const owned = session?.controller;
      detach();
      destroyed = true;
      joinGeneration++;
      removeKeys();
      win?.removeEventListener('pagehide', onPageHide);
      room?.destroy();
      live.destroy();
      root.replaceChildren();
      // The session was joined through this page; it does not outlive it.
      if (owned !== undefined) void Promise.resolve(owned.leave()).catch(() => undefined);
    },
  };
}
