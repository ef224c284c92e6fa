import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatLine } from '../../src/engine/api.js';
import { App } from '../../src/ui/App.js';
import { chatInputHint, editChatInput } from '../../src/ui/chat-input.js';
import { ChatPane } from '../../src/ui/components/ChatPane.js';
import { KnockPrompt } from '../../src/ui/components/KnockPrompt.js';
import { keyToCommand } from '../../src/ui/keymap.js';
import { FakeController, makePeer, makeSnapshot } from './fake-controller.js';
import { mountInk, settle } from './ink-helpers.js';

const ENTER = '\r';
const ESC = '\u001B';
const BACKSPACE = '\u007F';

const mount = (controller: FakeController) => mountInk(<App controller={controller} redrawIntervalMs={0} />);

const at = (h: number, m: number): number => new Date(2026, 11, 5, h, m).getTime();
const line = (n: number, over: Partial<ChatLine>): ChatLine => ({ n, kind: 'message', fromId: 'p1', from: 'alice', self: false, text: '', atMs: at(9, 5), ...over });

afterEach(() => cleanup());

describe('keys for knocks and chat', () => {
  it('a admits, D denies, t and Enter start a message, c shows or hides the chat; none clashes with a default key', () => {
    expect(keyToCommand('a', {})).toEqual({ kind: 'answer-knock', admit: true });
    expect(keyToCommand('D', {})).toEqual({ kind: 'answer-knock', admit: false });
    expect(keyToCommand('d', {})).toEqual({ kind: 'toggle-deafen' });
    expect(keyToCommand('t', {})).toEqual({ kind: 'compose-chat' });
    expect(keyToCommand('', { return: true })).toEqual({ kind: 'compose-chat' });
    expect(keyToCommand('c', {})).toEqual({ kind: 'toggle-chat' });
    expect(keyToCommand('c', { ctrl: true })).toEqual({ kind: 'leave' });
    expect(keyToCommand('a', { eventType: 'repeat' })).toBeNull();
  });

  it('the chat line: text in, Backspace deletes a character, Enter sends, Esc cancels, control characters never get in', () => {
    expect(editChatInput('hi', ' m', {})).toEqual({ kind: 'edit', text: 'hi m' });
    expect(editChatInput('hi 🎉', '', { backspace: true })).toEqual({ kind: 'edit', text: 'hi ' });
    expect(editChatInput('hi', '', { return: true })).toEqual({ kind: 'send', text: 'hi' });
    expect(editChatInput('hi', '', { escape: true })).toEqual({ kind: 'cancel' });
    expect(editChatInput('', 'a\u001b[31mb\u0007c\nd', {})).toEqual({ kind: 'edit', text: 'abc d' });
    expect(editChatInput('x', '', { upArrow: true })).toEqual({ kind: 'edit', text: 'x' });
    expect(chatInputHint('x'.repeat(10))).toBeUndefined();
    expect(chatInputHint('x'.repeat(950))).toBe('950/1000');
    expect(chatInputHint('x'.repeat(1001))).toBe('1001/1000: too long, will not be sent');
  });
});

describe('KnockPrompt and ChatPane', () => {
  it('prompts for the oldest knock with its keys and counts the others', () => {
    const { lastFrame } = render(
      <KnockPrompt
        knocks={[
          { id: 'd', name: 'dan', sinceMs: 0 },
          { id: 'e', name: 'eve', sinceMs: 1 },
        ]}
      />,
    );
    expect(lastFrame()).toBe('dan asks to join — a admit · D deny  (1 more waiting)');
    expect(render(<KnockPrompt knocks={[]} />).lastFrame()).toBe('');
  });

  it('shows time, sender and text, notices dimmed, the latest rows only, and the line being typed', () => {
    const lines = [
      line(1, { kind: 'notice', from: '', fromId: null, text: 'bob joined', atMs: at(9, 1) }),
      line(2, { text: 'hello', atMs: at(9, 2) }),
      line(3, { from: 'carol', self: true, fromId: null, text: 'hi alice', atMs: at(9, 3) }),
    ];
    const frame = render(<ChatPane lines={lines} draft={undefined} columns={60} rows={2} />).lastFrame() ?? '';
    expect(frame).not.toContain('bob joined');
    expect(frame).toContain('09:02 alice: hello');
    expect(frame).toContain('09:03 carol: hi alice');
    const typing = render(<ChatPane lines={[]} draft="draft" columns={60} />).lastFrame() ?? '';
    expect(typing).toContain('> draft');
    expect(typing).toContain('Enter send · Esc cancel');
  });
});

describe('App: knocks and chat', () => {
  it('a lets the oldest knock in, D turns the next away; the prompt goes with the knock', async () => {
    const c = new FakeController(
      makeSnapshot({
        locked: true,
        peers: [makePeer('p1', { name: 'alice' })],
        knocks: [
          { id: 'k1', name: 'dan', sinceMs: 0 },
          { id: 'k2', name: 'eve', sinceMs: 1 },
        ],
      }),
    );
    const { press, frame } = await mount(c);
    expect(frame()).toContain('dan asks to join — a admit · D deny  (1 more waiting)');
    await press('a');
    expect(frame()).toContain('eve asks to join');
    await press('D');
    expect(frame()).not.toContain('asks to join —');
    expect(c.actions).toEqual([
      { type: 'answer-knock', peerId: 'k1', admit: true },
      { type: 'answer-knock', peerId: 'k2', admit: false },
    ]);
    expect(frame()).toContain('you turned eve away');
    await press('a'); // nobody knocking: nothing to answer
    expect(c.actions).toHaveLength(2);
  });

  it('t opens the chat line: keys are text (m does not mute), Backspace edits, Enter sends, Esc cancels', async () => {
    const c = new FakeController(makeSnapshot({ peers: [makePeer('p1', { name: 'alice' })] }));
    const { press, frame } = await mount(c);
    await press('t', 'h', 'i', ' ', 'm', 'x', BACKSPACE);
    expect(frame()).toContain('> hi m');
    expect(c.actions).toEqual([]);
    await press(ENTER);
    expect(c.actions).toEqual([{ type: 'send-chat', text: 'hi m' }]);
    expect(frame()).toContain('carol: hi m');
    await press('t', 'n', 'o', ESC);
    expect(frame()).not.toContain('> no');
    expect(c.actions).toHaveLength(1);
    await press('m'); // a command again
    expect(c.actions.at(-1)).toEqual({ type: 'toggle-mute' });
  });

  it('c hides the chat; messages from others that arrive meanwhile show as unread until it is shown again', async () => {
    const c = new FakeController(makeSnapshot({ peers: [makePeer('p1', { name: 'alice' })], chat: [line(1, { text: 'first' })] }));
    const { press, frame } = await mount(c);
    expect(frame()).toContain('alice: first');
    await press('c');
    expect(frame()).not.toContain('alice: first');
    c.set({ chat: [line(1, { text: 'first' }), line(2, { text: 'second' }), line(3, { kind: 'notice', from: '', fromId: null, text: 'bob joined' })] });
    await settle();
    expect(frame()).toContain('● 1 unread');
    await press('c');
    expect(frame()).toContain('alice: second');
    expect(frame()).not.toContain('unread');
  });
});
