/** What sessions accept from each other through the relay (room/envelope.ts). */
import { describe, expect, it } from 'vitest';
import { MAX_CHAT_WIRE_CHARS } from '../../../src/engine/room/chat.js';
import { parseEnvelope } from '../../../src/engine/room/envelope.js';

describe('parseEnvelope', () => {
  it('reads link envelopes (any signal: mesh/signal.ts checks it) and rebuild requests', () => {
    expect(parseEnvelope({ t: 'link', gen: 1, signal: { type: 'candidate' } })).toEqual({ t: 'link', gen: 1, signal: { type: 'candidate' } });
    expect(parseEnvelope({ t: 'link', gen: 3, signal: null })).toEqual({ t: 'link', gen: 3, signal: null });
    expect(parseEnvelope({ t: 'rebuild', gen: 1_000_000, extra: 'ignored' })).toEqual({ t: 'rebuild', gen: 1_000_000 });
  });

  it('reads via (which path the peer plays us from while the room switches, and whether the SFU brings it our audio)', () => {
    expect(parseEnvelope({ t: 'via', path: 'sfu', sfu: true })).toEqual({ t: 'via', path: 'sfu', sfu: true });
    expect(parseEnvelope({ t: 'via', path: 'mesh', sfu: false, gen: 'ignored' })).toEqual({ t: 'via', path: 'mesh', sfu: false });
    for (const bad of [{ t: 'via', path: 'turn', sfu: true }, { t: 'via', path: 'sfu' }, { t: 'via', sfu: true }, { t: 'via', path: 'sfu', sfu: 1 }]) expect(parseEnvelope(bad)).toBeNull();
  });

  it('reads chat (a chat-channel message through the relay), up to the size of the longest chat message', () => {
    expect(parseEnvelope({ t: 'chat', text: '{"t":"rec","on":true}' })).toEqual({ t: 'chat', text: '{"t":"rec","on":true}' });
    expect(parseEnvelope({ t: 'chat', text: 'x'.repeat(MAX_CHAT_WIRE_CHARS) })).not.toBeNull();
    for (const bad of [{ t: 'chat' }, { t: 'chat', text: 7 }, { t: 'chat', text: 'x'.repeat(MAX_CHAT_WIRE_CHARS + 1) }]) expect(parseEnvelope(bad)).toBeNull();
  });

  it('refuses anything else: no object, unknown kind, no signal, a generation that is not a small positive integer', () => {
    for (const bad of [null, 'link', 7, {}, { t: 'hello', gen: 1 }, { t: 'link', gen: 1 }, { t: 'rebuild' }]) expect(parseEnvelope(bad)).toBeNull();
    for (const gen of [0, -1, 1.5, 1_000_001, '1', Number.NaN]) expect(parseEnvelope({ t: 'rebuild', gen })).toBeNull();
  });
});
