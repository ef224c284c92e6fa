import { describe, expect, it } from 'vitest';
import { SignalingError } from '../../../src/engine/signaling/client.js';
import { codeFromInput, initialScreen, transition, type Screen } from '../../../src/web/page/screens.js';
import { makeSnapshot } from '../../ui/fake-controller.js';

const CODE = 'purple-otter-lamp-river-42';
const withCode: Screen = { kind: 'landing', code: CODE, problem: null };
const joining: Screen = { kind: 'joining', code: CODE, name: 'ada' };
const inRoom: Screen = { kind: 'room', code: CODE, name: 'ada', leaving: false };

describe('initialScreen', () => {
  it('takes the code from the fragment, normalized', () => {
    expect(initialScreen('http://h:7000/#Purple-Otter-Lamp-River-042')).toEqual({ kind: 'landing', code: CODE, problem: null });
    expect(initialScreen('http://h:7000/#purple%20otter%20lamp%20river%2042')).toEqual(withCode);
  });

  it('no fragment: no code, no problem', () => {
    expect(initialScreen('http://h:7000/')).toEqual({ kind: 'landing', code: null, problem: null });
    expect(initialScreen('http://h:7000/#')).toEqual({ kind: 'landing', code: null, problem: null });
  });

  it('a malformed fragment: no code, and why in words', () => {
    const s = initialScreen('http://h:7000/#hello');
    expect(s.kind).toBe('landing');
    if (s.kind !== 'landing') return;
    expect(s.code).toBeNull();
    expect(s.problem?.message).toMatch(/Invalid join code "hello"/);
    expect(s.problem?.hint).toMatch(/four words and a number/);
  });

  it('a fragment that is not even valid percent-encoding reads as a garbled code', () => {
    const s = initialScreen('http://h:7000/#%E0%A4%A');
    expect(s.kind === 'landing' && s.problem?.message).toMatch(/garbled/);
  });
});

describe('codeFromInput', () => {
  it('takes a bare code or a whole link', () => {
    expect(codeFromInput(' Purple Otter Lamp River 42 ')).toBe(CODE);
    expect(codeFromInput(`http://192.168.1.5:7000/#${CODE}`)).toBe(CODE);
    expect(() => codeFromInput('http://192.168.1.5:7000/#')).toThrow(/invalid join code/);
  });
});

describe('transition: landing', () => {
  it('Create a room sets the code and the fragment', () => {
    const t = transition({ kind: 'landing', code: null, problem: null }, { type: 'create', code: CODE });
    expect(t.screen).toEqual(withCode);
    expect(t.effects).toEqual([{ type: 'set-fragment', code: CODE }]);
  });

  it('a pasted code is normalized into the fragment; a bad one keeps the paste field with the reason', () => {
    const start: Screen = { kind: 'landing', code: null, problem: { message: 'old', hint: 'old' } };
    const ok = transition(start, { type: 'enter-code', text: `x/#${CODE.toUpperCase()}` });
    expect(ok.screen).toEqual(withCode);
    expect(ok.effects).toEqual([{ type: 'set-fragment', code: CODE }]);
    const bad = transition(start, { type: 'enter-code', text: 'purple-otter-lamp-river-4242' });
    expect(bad.effects).toEqual([]);
    expect(bad.screen).toMatchObject({ kind: 'landing', code: null, problem: { message: expect.stringMatching(/number from 0 to 999/) } });
  });

  it('Join with a name: remember it and start joining', () => {
    const t = transition(withCode, { type: 'join', name: '  ada ' });
    expect(t.screen).toEqual(joining);
    expect(t.effects).toEqual([
      { type: 'remember-name', name: 'ada' },
      { type: 'start-join', code: CODE, name: 'ada' },
    ]);
  });

  it('Join without a name stays, saying what is missing', () => {
    const t = transition(withCode, { type: 'join', name: ' ' });
    expect(t.effects).toEqual([]);
    expect(t.screen).toMatchObject({ kind: 'landing', code: CODE, problem: { message: 'Type a display name first.' } });
  });

  it('Join without a code does nothing', () => {
    const none: Screen = { kind: 'landing', code: null, problem: null };
    expect(transition(none, { type: 'join', name: 'ada' })).toEqual({ screen: none, effects: [] });
  });
});

describe('transition: joining', () => {
  it('a second Join while joining starts nothing', () => {
    expect(transition(joining, { type: 'join', name: 'ada' })).toEqual({ screen: joining, effects: [] });
  });

  it('a failure goes back to the code and name, with the reason', () => {
    const t = transition(joining, { type: 'join-failed', error: new DOMException('denied', 'NotAllowedError') });
    expect(t.screen).toMatchObject({ kind: 'landing', code: CODE, problem: { hint: expect.stringMatching(/press Join again/) } });
    // ...and Join works again from there.
    expect(transition(t.screen, { type: 'join', name: 'ada' }).effects).toContainEqual({ type: 'start-join', code: CODE, name: 'ada' });
  });

  it('room full, in words', () => {
    const t = transition(joining, { type: 'join-failed', error: new SignalingError('room-full', 'full') });
    expect(t.screen).toMatchObject({ problem: { message: 'The room is full.' } });
  });

  it('joined: into the room', () => {
    expect(transition(joining, { type: 'joined' }).screen).toEqual(inRoom);
  });

  it('a late failure after joining is ignored', () => {
    expect(transition(inRoom, { type: 'join-failed', error: new Error('x') }).screen).toBe(inRoom);
  });
});

describe('transition: in the room', () => {
  it('ordinary snapshots change nothing', () => {
    for (const phase of ['connecting-server', 'waiting-for-peers', 'in-call', 'reconnecting-server', 'leaving'] as const) {
      expect(transition(inRoom, { type: 'snapshot', snapshot: makeSnapshot({ phase }) })).toEqual({ screen: inRoom, effects: [] });
    }
  });

  it('Leave: marks leaving and asks the session once', () => {
    const t = transition(inRoom, { type: 'leave' });
    expect(t).toEqual({ screen: { ...inRoom, leaving: true }, effects: [{ type: 'leave-session' }] });
    expect(transition(t.screen, { type: 'leave' }).effects).toEqual([]);
  });

  it('the session settling after Leave: "You left"', () => {
    const leaving = transition(inRoom, { type: 'leave' }).screen;
    expect(transition(leaving, { type: 'left' }).screen).toEqual({ kind: 'ended', code: CODE, name: 'ada', problem: null });
  });

  it('a leave that rejects still ends, saying so', () => {
    const t = transition(inRoom, { type: 'left', error: new Error('socket closed') });
    expect(t.screen).toMatchObject({ kind: 'ended', problem: { message: 'Leaving did not finish cleanly: Socket closed' } });
  });

  it('phase left (the engine ended it): "You left"', () => {
    expect(transition(inRoom, { type: 'snapshot', snapshot: makeSnapshot({ phase: 'left' }) }).screen).toEqual({
      kind: 'ended',
      code: CODE,
      name: 'ada',
      problem: null,
    });
  });

  it('phase failed: ends with the engine error and releases the session', () => {
    const t = transition(inRoom, { type: 'snapshot', snapshot: makeSnapshot({ phase: 'failed', error: { message: 'media died', hint: 'reload' } }) });
    expect(t.screen).toEqual({ kind: 'ended', code: CODE, name: 'ada', problem: { message: 'media died', hint: 'reload' } });
    expect(t.effects).toEqual([{ type: 'leave-session' }]);
  });

  it('phase failed without an error still says something', () => {
    const t = transition(inRoom, { type: 'snapshot', snapshot: makeSnapshot({ phase: 'failed' }) });
    expect(t.screen).toMatchObject({ problem: { message: 'The call failed.' } });
  });
});

describe('transition: ended', () => {
  const ended: Screen = { kind: 'ended', code: CODE, name: 'ada', problem: null };

  it('Join again joins the same room with the same name', () => {
    expect(transition(ended, { type: 'join-again' })).toEqual({ screen: joining, effects: [{ type: 'start-join', code: CODE, name: 'ada' }] });
  });

  it('a leave settling after the screen ended changes nothing', () => {
    expect(transition(ended, { type: 'left', error: new Error('late') }).screen).toBe(ended);
  });
});
