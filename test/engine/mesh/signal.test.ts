import { describe, expect, it } from 'vitest';
import { MAX_SDP_BYTES, candidateType, checkLinkSignal, stripAttributePrefix } from '../../../src/engine/mesh/signal.js';

const CANDIDATE = 'candidate:1 1 UDP 2122317823 127.0.0.1 40000 typ host';

describe('checkLinkSignal', () => {
  it('accepts descriptions and candidates, stripping the a= prefix libdatachannel adds', () => {
    expect(checkLinkSignal({ type: 'description', sdp: 'v=0\r\n', descType: 'offer' })).toEqual({
      ok: true,
      signal: { type: 'description', sdp: 'v=0\r\n', descType: 'offer' },
    });
    expect(checkLinkSignal({ type: 'candidate', candidate: `a=${CANDIDATE}`, mid: 'audio' })).toEqual({
      ok: true,
      signal: { type: 'candidate', candidate: CANDIDATE, mid: 'audio' },
    });
  });

  it.each([
    [null, 'not an object'],
    ['x', 'not an object'],
    [{ type: 'hello' }, 'unknown signal type'],
    [{ type: 'description', sdp: 'v=0', descType: 'pranswer' }, 'descType'],
    [{ type: 'description', sdp: '', descType: 'offer' }, 'non-empty'],
    [{ type: 'description', sdp: 'o=x', descType: 'offer' }, 'v=0'],
    [{ type: 'description', sdp: 'v=0' + 'a'.repeat(MAX_SDP_BYTES), descType: 'offer' }, 'longer'],
    [{ type: 'candidate', candidate: CANDIDATE }, 'strings'],
    [{ type: 'candidate', candidate: 'candidate:nonsense', mid: '0' }, 'malformed'],
    [{ type: 'candidate', candidate: CANDIDATE + ' x'.repeat(600), mid: '0' }, 'too long'],
  ])('rejects %j (%s)', (value, reason) => {
    const r = checkLinkSignal(value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});

describe('candidate helpers', () => {
  it('reads the typ field', () => {
    expect(candidateType(CANDIDATE)).toBe('host');
    expect(candidateType('candidate:2 1 UDP 1 127.0.0.1 5 typ relay raddr 0.0.0.0 rport 0')).toBe('relay');
    expect(candidateType('candidate:2 1 UDP 1 127.0.0.1 5')).toBeNull();
    expect(stripAttributePrefix('candidate:x')).toBe('candidate:x');
  });
});
