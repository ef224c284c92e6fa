/**
 * The page's screens and how events move between them, pure: a transition
 * returns the next screen and the effects to run (join, leave, fragment,
 * storage), and app.ts runs them. That keeps every rule about when Join
 * works, what a failure leaves on screen and what "Join again" does testable
 * without a browser.
 */
import type { SessionError, SessionSnapshot } from '../../engine/api.js';
import { InvalidJoinCodeError, normalizeJoinCode } from '../../protocol/join-code.js';
import { codeFromFragment } from '../../protocol/web-link.js';
import { describeFailure, nameProblem } from './failures.js';

export type Screen =
  /** No room yet, or a code to join; `problem` is why the last attempt (fragment, pasted code, join) failed. */
  | { readonly kind: 'landing'; readonly code: string | null; readonly problem: SessionError | null }
  | { readonly kind: 'joining'; readonly code: string; readonly name: string }
  /** `leaving`: Leave was pressed and the session is shutting down. */
  | { readonly kind: 'room'; readonly code: string; readonly name: string; readonly leaving: boolean }
  /** After leaving, or after the session failed (`problem`). */
  | { readonly kind: 'ended'; readonly code: string; readonly name: string; readonly problem: SessionError | null };

export type ScreenEvent =
  | { readonly type: 'create'; readonly code: string }
  | { readonly type: 'enter-code'; readonly text: string }
  | { readonly type: 'join'; readonly name: string }
  | { readonly type: 'join-failed'; readonly error: unknown }
  | { readonly type: 'joined' }
  | { readonly type: 'snapshot'; readonly snapshot: SessionSnapshot }
  | { readonly type: 'leave' }
  | { readonly type: 'left'; readonly error?: unknown }
  | { readonly type: 'join-again' };

export type Effect =
  | { readonly type: 'set-fragment'; readonly code: string }
  | { readonly type: 'remember-name'; readonly name: string }
  | { readonly type: 'start-join'; readonly code: string; readonly name: string }
  /** Ask the session to leave; its promise settling is the `left` event. */
  | { readonly type: 'leave-session' };

export interface Transition {
  readonly screen: Screen;
  readonly effects: readonly Effect[];
}

/** The first screen for a page URL: its fragment's code, or why it is not one. */
export function initialScreen(pageUrl: string): Screen {
  try {
    return { kind: 'landing', code: codeFromFragment(new URL(pageUrl).hash), problem: null };
  } catch (err) {
    // decodeURIComponent's URIError ("URI malformed") would mean nothing to anyone.
    const why = err instanceof InvalidJoinCodeError ? err : new InvalidJoinCodeError('the code in this link is garbled');
    return { kind: 'landing', code: null, problem: describeFailure(why) };
  }
}

/**
 * A code typed or pasted by hand: the bare code, or a whole invite link
 * (people paste what they were sent), whose fragment holds the code.
 */
export function codeFromInput(text: string): string {
  const hash = text.indexOf('#');
  return normalizeJoinCode(hash >= 0 ? text.slice(hash + 1) : text);
}

const stay = (screen: Screen): Transition => ({ screen, effects: [] });

export function transition(screen: Screen, event: ScreenEvent): Transition {
  switch (event.type) {
    case 'create':
      if (screen.kind !== 'landing') return stay(screen);
      return { screen: { kind: 'landing', code: event.code, problem: null }, effects: [{ type: 'set-fragment', code: event.code }] };

    case 'enter-code': {
      if (screen.kind !== 'landing') return stay(screen);
      let code: string;
      try {
        code = codeFromInput(event.text);
      } catch (err) {
        return stay({ kind: 'landing', code: null, problem: describeFailure(err) });
      }
      return { screen: { kind: 'landing', code, problem: null }, effects: [{ type: 'set-fragment', code }] };
    }

    case 'join': {
      // A second click while a join is under way lands here as 'joining' and does nothing.
      if (screen.kind !== 'landing' || screen.code === null) return stay(screen);
      const problem = nameProblem(event.name);
      if (problem !== null) return stay({ ...screen, problem });
      const name = event.name.trim();
      return {
        screen: { kind: 'joining', code: screen.code, name },
        effects: [
          { type: 'remember-name', name },
          { type: 'start-join', code: screen.code, name },
        ],
      };
    }

    case 'join-failed':
      if (screen.kind !== 'joining') return stay(screen);
      return stay({ kind: 'landing', code: screen.code, problem: describeFailure(event.error) });

    case 'joined':
      if (screen.kind !== 'joining') return stay(screen);
      return stay({ kind: 'room', code: screen.code, name: screen.name, leaving: false });

    case 'snapshot': {
      if (screen.kind !== 'room') return stay(screen);
      const { phase, error } = event.snapshot;
      if (phase === 'left') return stay({ kind: 'ended', code: screen.code, name: screen.name, problem: null });
      if (phase === 'failed') {
        // The session is over; leave() still releases the microphone and tells peers.
        const problem = error ?? { message: 'The call failed.', hint: 'Press Join again.' };
        return { screen: { kind: 'ended', code: screen.code, name: screen.name, problem }, effects: [{ type: 'leave-session' }] };
      }
      return stay(screen);
    }

    case 'leave':
      if (screen.kind !== 'room' || screen.leaving) return stay(screen);
      return { screen: { ...screen, leaving: true }, effects: [{ type: 'leave-session' }] };

    case 'left': {
      if (screen.kind !== 'room') return stay(screen);
      const problem =
        event.error === undefined
          ? null
          : { message: `Leaving did not finish cleanly: ${describeFailure(event.error).message}`, hint: 'Reload the page if the browser still shows the microphone in use.' };
      return stay({ kind: 'ended', code: screen.code, name: screen.name, problem });
    }

    case 'join-again':
      if (screen.kind !== 'ended') return stay(screen);
      return { screen: { kind: 'joining', code: screen.code, name: screen.name }, effects: [{ type: 'start-join', code: screen.code, name: screen.name }] };
  }
}
