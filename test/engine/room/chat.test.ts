import { describe, expect, it } from 'vitest';
import { ChatLog, chatLength, encodeChatMessage, MAX_CHAT_CHARS, parseChatMessage, sanitizeChatText } from '../../../src/engine/room/chat.js';

describe('sanitizeChatText', () => {
  it('strips terminal escape sequences whole: CSI, OSC (BEL or ST), DCS, 8-bit CSI and OSC, and lone ESC', () => {
    expect(sanitizeChatText('a\u001b[31mred\u001b[0m b')).toBe('ared b');
    expect(sanitizeChatText('\u001b]0;pwned title\u0007hi')).toBe('hi');
    expect(sanitizeChatText('\u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\')).toBe('link');
    expect(sanitizeChatText('x\u001bP1$r\u001b\\y')).toBe('xy');
    expect(sanitizeChatText('\u009b2Jclear\u009d0;t\u009cok')).toBe('clearok');
    expect(sanitizeChatText('\u001b[2J\u001b[Hcleared?')).toBe('cleared?');
    expect(sanitizeChatText('end\u001b')).toBe('end');
    expect(sanitizeChatText('\u001bcreset')).toBe('reset');
  });

  it('removes C0, DEL and C1 controls and bidi overrides, turns tabs and newlines into spaces, keeps other text', () => {
    expect(sanitizeChatText('a\u0000b\u0007c\u0008d\u007fe\u0085f')).toBe('abcdef');
    expect(sanitizeChatText('line1\nline2\r\n\tx')).toBe('line1 line2  x');
    expect(sanitizeChatText('abc\u202eevil\u202c \u2066iso\u2069 \u200fmark')).toBe('abcevil iso mark');
    expect(sanitizeChatText('  héllo wörld — 日本 🎉  ')).toBe('héllo wörld — 日本 🎉');
  });

  it('counts characters as code points', () => {
    expect(chatLength('🎉🎉')).toBe(2);
    expect(chatLength('abc')).toBe(3);
  });
});

describe('chat wire format', () => {
  it('round-trips, and sanitizes what it reads', () => {
    expect(parseChatMessage(encodeChatMessage({ seq: 3, text: 'hi' }))).toEqual({ seq: 3, text: 'hi' });
    expect(parseChatMessage(JSON.stringify({ t: 'chat', seq: 1, text: '\u001b[31mred' }))).toEqual({ seq: 1, text: 'red' });
  });

  it('refuses what is not a message: bad JSON, wrong fields, empty or too long text', () => {
    for (const bad of ['nope', '{}', 'null', '{"t":"chat","seq":0,"text":"x"}', '{"t":"chat","seq":1.5,"text":"x"}', '{"t":"chat","seq":1,"text":5}', '{"t":"x","seq":1,"text":"x"}']) {
      expect(parseChatMessage(bad)).toBeNull();
    }
    expect(parseChatMessage(encodeChatMessage({ seq: 1, text: '\u0007\u001b[0m' }))).toBeNull();
    expect(parseChatMessage(encodeChatMessage({ seq: 1, text: 'x'.repeat(MAX_CHAT_CHARS + 1) }))).toBeNull();
    expect(parseChatMessage(encodeChatMessage({ seq: 1, text: 'x'.repeat(MAX_CHAT_CHARS) }))).toEqual({ seq: 1, text: 'x'.repeat(MAX_CHAT_CHARS) });
  });
});

describe('ChatLog', () => {
  it('keeps each sender in order: a seq not above the last from that sender is dropped, senders are apart', () => {
    let now = 1_000;
    const log = new ChatLog(() => now++);
    const msg = (seq: number, text: string): string => encodeChatMessage({ seq, text });
    expect(log.receive('ada', 'Ada', msg(1, 'one'))).toBe('shown');
    expect(log.receive('ada', 'Ada', msg(2, 'two'))).toBe('shown');
    expect(log.receive('bob', 'Bob', msg(1, 'bob one'))).toBe('shown');
    expect(log.receive('ada', 'Ada', msg(2, 'two again'))).toBe('duplicate');
    expect(log.receive('ada', 'Ada', msg(1, 'stale'))).toBe('duplicate');
    expect(log.receive('ada', 'Ada', msg(5, 'five'))).toBe('shown');
    expect(log.receive('eve', 'Eve\u001b]0;x\u0007\u202e', msg(1, 'hi'))).toBe('shown');
    expect(log.lines.at(-1)?.from).toBe('Eve');
    expect(log.receive('eve', 'Eve', msg(1, 'again'))).toBe('duplicate');
    expect(log.receive('ada', 'Ada', 'garbage')).toBe('invalid');
    expect(log.lines.map((l) => `${l.from}:${l.text}`)).toEqual(['Ada:one', 'Ada:two', 'Bob:bob one', 'Ada:five', 'Eve:hi']);
    expect(log.lines.map((l) => l.n)).toEqual([1, 2, 3, 4, 5]);
    expect(log.lines[0]).toMatchObject({ kind: 'message', fromId: 'ada', self: false, atMs: 1000 });
  });

  it('own messages get rising seqs on the wire; too long or empty is refused in words', () => {
    const log = new ChatLog(() => 5);
    const first = log.own('me', ' hello\u001b[1m ');
    const second = log.own('me', 'again');
    if ('error' in first || 'error' in second) throw new Error('refused');
    expect(JSON.parse(first.wire)).toEqual({ t: 'chat', seq: 1, text: 'hello' });
    expect(JSON.parse(second.wire)).toEqual({ t: 'chat', seq: 2, text: 'again' });
    expect(first.line).toMatchObject({ kind: 'message', self: true, from: 'me', fromId: null, text: 'hello' });
    expect(log.own('me', 'y'.repeat(1200))).toEqual({ error: `message not sent: 1200 characters, the limit is ${MAX_CHAT_CHARS}` });
    expect(log.own('me', '\u001b[0m  ')).toEqual({ error: 'nothing to send' });
    // A refusal uses no seq: the next message is 3.
    const third = log.own('me', 'three');
    if ('error' in third) throw new Error('refused');
    expect(JSON.parse(third.wire).seq).toBe(3);
  });

  it('is bounded: the oldest lines go, numbering goes on', () => {
    const log = new ChatLog(() => 0, 3);
    for (let i = 1; i <= 5; i++) log.notice(`n${i}`);
    expect(log.lines.map((l) => [l.n, l.text])).toEqual([
      [3, 'n3'],
      [4, 'n4'],
      [5, 'n5'],
    ]);
  });
});
