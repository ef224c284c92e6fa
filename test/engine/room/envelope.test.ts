/** What sessions accept from each other through the relay (room/envelope.ts). */
import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../../src/engine/room/envelope.js';

describe('parseEnvelope', () => {
  it('reads link envelopes (any signal: mesh/signal.ts checks it) and rebuild requests', () => {
    expect(parseEnvelope({ t: 'link', gen: 1, signal: { type: 'candidate' } })).toEqual({ t: 'link', gen: 1, signal: { type: 'candidate' } });
    expect(parseEnvelope({ t: 'link', gen: 3, signal: null })).toEqual({ t: 'link', gen: 3, signal: null });
    expect(parseEnvelope({ t: 'rebuild', gen: 1_000_000, extra: 'ignored' })).toEqual({ t: 'rebuild', gen: 1_000_000 });
  });

  it('refuses anything else: no object, unknown kind, no signal, a generation that is not a small positive integer', () => {
    for (const bad of [null, 'link', 7, {}, { t: 'hello', gen: 1 }, { t: 'link', gen: 1 }, { t: 'rebuild' }]) expect(parseEnvelope(bad)).toBeNull();
    for (const gen of [0, -1, 1.5, 1_000_001, '1', Number.NaN]) expect(parseEnvelope({ t: 'rebuild', gen })).toBeNull();
  });
});
