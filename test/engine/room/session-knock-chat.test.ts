/**
 * The Session's knocks and chat with the fakes of ./fakes.ts: knocks at our
 * locked room in the snapshot, answered through signaling and cleared by
 * the server's word; our own knocking as a phase; chat sent on every open
 * link, received in each sender's order, sanitized, with join/leave notices.
 */
import { describe, expect, it } from 'vitest';
import { encodeChatMessage } from '../../../src/engine/room/chat.js';
import { inRoomWith, setup } from './fakes.js';

describe('Session knocks', () => {
  it('lists knocks oldest first, answers one through signaling, and drops it when the server says it ended', async () => {
    const t = await inRoomWith([['ada', 'Ada']]);
    t.signaling.emit('knock', { id: 'dan', name: 'Dan\u001b[31m' });
    t.signaling.emit('knock', { id: 'eve', name: 'Eve' });
    expect(t.session.snapshot().knocks.map((k) => [k.id, k.name])).toEqual([
      ['dan', 'Dan'],
      ['eve', 'Eve'],
    ]);
    t.session.dispatch({ type: 'answer-knock', peerId: 'dan', admit: true });
    t.session.dispatch({ type: 'answer-knock', peerId: 'nobody', admit: false });
    expect(t.signaling.knockAnswers).toEqual([{ id: 'dan', admit: true }]);
    // The prompt stays until the server's word.
    expect(t.session.snapshot().knocks).toHaveLength(2);
    t.signaling.emit('knock-end', { id: 'dan', outcome: 'admitted', by: t.signaling.peerId });
    t.signaling.emit('knock-end', { id: 'eve', outcome: 'denied', by: 'ada' });
    const snap = t.session.snapshot();
    expect(snap.knocks).toEqual([]);
    expect(snap.chat.filter((l) => l.kind === 'notice').map((l) => l.text)).toEqual(['Ada is here', 'Dan asks to join', 'Eve asks to join', 'you let Dan in', 'Ada turned Eve away']);
    await t.session.leave();
  });

  it('a rejoin forgets knocks the server no longer lists; timeouts and withdrawals read in words', async () => {
    const t = await inRoomWith([]);
    t.signaling.emit('knock', { id: 'dan', name: 'Dan' });
    t.signaling.emit('joined', { selfId: 's', peers: [], locked: true, rejoin: true });
    expect(t.session.snapshot().knocks).toEqual([]);
    t.signaling.emit('knock', { id: 'fay', name: 'Fay' });
    t.signaling.emit('knock-end', { id: 'fay', outcome: 'timeout', by: undefined });
    t.signaling.emit('knock', { id: 'gus', name: 'Gus' });
    t.signaling.emit('knock-end', { id: 'gus', outcome: 'withdrawn', by: undefined });
    expect(t.session.snapshot().chat.slice(-4).map((l) => l.text)).toEqual(['Fay asks to join', 'nobody answered Fay', 'Gus asks to join', 'Gus stopped knocking']);
    await t.session.leave();
  });

  it('our own knock is a phase of its own until we are let in', async () => {
    const t = await setup();
    const phases: string[] = [];
    t.session.subscribe((s) => phases.push(s.phase));
    let letIn!: () => void;
    t.signaling.connect = async () => {
      t.signaling.setState('connecting');
      t.signaling.setState('knocking');
      t.signaling.emit('knocking', { timeoutMs: 60_000 });
      await new Promise<void>((resolve) => (letIn = resolve));
      t.signaling.setState('joined');
    };
    const started = t.session.start();
    await t.flush();
    expect(t.session.snapshot().phase).toBe('knocking');
    letIn();
    await started;
    expect(t.session.snapshot().phase).toBe('waiting-for-peers');
    expect(phases).toContain('knocking');
    await t.session.leave();
  });
});

describe('Session chat', () => {
  it('sends our message on every open link, through the relay to a peer whose link is not up, shows it once, and says who could not be reached', async () => {
    const t = await inRoomWith([
      ['ada', 'Ada'],
      ['bob', 'Bob'],
    ]);
    t.linksFor('ada')[0]!.setState('connected');
    t.session.dispatch({ type: 'send-chat', text: 'hello\u0007 all' });
    expect(t.linksFor('ada')[0]!.sentChat.map((m) => JSON.parse(m))).toEqual([{ t: 'chat', seq: 1, text: 'hello all' }]);
    // Bob's link is not up yet: the relay carries it (sealed there), and not also his link.
    expect(t.linksFor('bob')[0]!.sentChat).toEqual([]);
    const relayed = t.signaling.sent.filter((m) => m.data.t === 'chat');
    expect(relayed.map((m) => [m.to, JSON.parse(String(m.data.text))])).toEqual([['bob', { t: 'chat', seq: 1, text: 'hello all' }]]);
    const lines = t.session.snapshot().chat;
    expect(lines.filter((l) => l.kind === 'message')).toMatchObject([{ self: true, from: 'me', text: 'hello all' }]);
    expect(lines.some((l) => l.kind === 'notice' && l.text.includes('could not be reached'))).toBe(false);
    t.linksFor('bob')[0]!.setState('connected');
    t.session.dispatch({ type: 'send-chat', text: 'second' });
    expect(t.linksFor('bob')[0]!.sentChat.map((m) => JSON.parse(m).seq)).toEqual([2]);
    expect(t.signaling.sent.filter((m) => m.data.t === 'chat')).toHaveLength(1);
    // Neither a link nor the server: that peer is not reached, and the chat says so.
    t.linksFor('bob')[0]!.setState('disconnected');
    t.signaling.setState('reconnecting');
    t.session.dispatch({ type: 'send-chat', text: 'third' });
    expect(t.session.snapshot().chat.at(-1)).toMatchObject({ kind: 'notice', text: '1 of 2 peers could not be reached (no connection to them, and the signaling server is away)' });
    await t.session.leave();
  });

  it('a message over the limit is not sent; the chat says so', async () => {
    const t = await inRoomWith([['ada', 'Ada']]);
    t.linksFor('ada')[0]!.setState('connected');
    t.session.dispatch({ type: 'send-chat', text: 'z'.repeat(1001) });
    expect(t.linksFor('ada')[0]!.sentChat).toEqual([]);
    expect(t.session.snapshot().chat.at(-1)).toMatchObject({ kind: 'notice', text: 'message not sent: 1001 characters, the limit is 1000' });
    await t.session.leave();
  });

  it("receives each sender's messages in order under the sender's room name, sanitized; join and leave are notices", async () => {
    const t = await inRoomWith([['ada', 'Ada']]);
    t.signaling.emit('peer-joined', { id: 'bob', name: 'Bob', rejoined: false });
    t.signaling.emit('signal', { from: 'bob', data: { t: 'link', gen: 1, signal: { type: 'description', descType: 'offer', sdp: 'v=0\r\n' } } });
    const ada = t.linksFor('ada')[0]!;
    const bob = t.linksFor('bob')[0]!;
    ada.receiveChat(encodeChatMessage({ seq: 1, text: 'first' }));
    bob.receiveChat(encodeChatMessage({ seq: 1, text: '\u001b]0;title\u0007hi \u001b[2Jthere' }));
    ada.receiveChat(encodeChatMessage({ seq: 1, text: 'replayed' }));
    ada.receiveChat(encodeChatMessage({ seq: 2, text: 'second' }));
    ada.receiveChat('not json');
    t.signaling.emit('peer-left', { id: 'bob', reason: 'left' });
    const lines = t.session.snapshot().chat;
    expect(lines.map((l) => (l.kind === 'notice' ? `* ${l.text}` : `${l.from}: ${l.text}`))).toEqual([
      '* Ada is here',
      '* Bob joined',
      'Ada: first',
      'Bob: hi there',
      'Ada: second',
      '* Bob left',
    ]);
    expect(lines.every((l, i) => i === 0 || l.n > lines[i - 1]!.n)).toBe(true);
    await t.session.leave();
  });
});
