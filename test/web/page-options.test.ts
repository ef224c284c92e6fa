import { describe, expect, it } from 'vitest';
import { DEFAULT_ICE_SERVERS } from '../../src/engine/mesh/ice-servers.js';
import { pageOptions } from '../../src/web/page-options.js';

const BASE = 'https://rt.example.org/';

describe('pageOptions', () => {
  it('defaults: processing on, the default STUN server, warnings only', () => {
    // The join code lives in the fragment; it must not affect the options.
    expect(pageOptions(`${BASE}#abc-def-ghi`)).toEqual({ processing: true, iceServers: DEFAULT_ICE_SERVERS, relayOnly: false, turnTcpOnly: false, debug: false, logLevel: 'warn' });
  });

  it('processing=off turns browser audio processing off, and only the exact value does', () => {
    expect(pageOptions(`${BASE}?processing=off`).processing).toBe(false);
    expect(pageOptions(`${BASE}?processing=OFF`).processing).toBe(true);
    expect(pageOptions(`${BASE}?processing=0`).processing).toBe(true);
  });

  it('ice=none removes every ICE server, even when stun= is also given', () => {
    expect(pageOptions(`${BASE}?ice=none`).iceServers).toEqual([]);
    expect(pageOptions(`${BASE}?ice=none&stun=stun:stun.example.org:3478`).iceServers).toEqual([]);
    expect(pageOptions(`${BASE}?ice=all`).iceServers).toEqual(DEFAULT_ICE_SERVERS);
  });

  it('stun=URI replaces the default STUN server (RFC 7064 stun: and stuns:)', () => {
    expect(pageOptions(`${BASE}?stun=stun:stun.example.org:3478`).iceServers).toEqual([{ urls: 'stun:stun.example.org:3478' }]);
    expect(pageOptions(`${BASE}?stun=${encodeURIComponent('stuns:stun.example.org')}`).iceServers).toEqual([{ urls: 'stuns:stun.example.org' }]);
    expect(pageOptions(`${BASE}?stun=stun:127.0.0.1:3478#code`).iceServers).toEqual([{ urls: 'stun:127.0.0.1:3478' }]);
  });

  it('ignores a stun= value that is not a STUN URI and keeps the default', () => {
    // A TURN or web URL, an empty host, whitespace: none may reach RTCPeerConnection.
    for (const bad of ['turn:turn.example.org', 'https://evil.example', 'stun:', 'stun:a b', '', 'STUN']) {
      expect(pageOptions(`${BASE}?stun=${encodeURIComponent(bad)}`).iceServers, bad).toEqual(DEFAULT_ICE_SERVERS);
    }
  });

  it('debug=1 switches debug on and logs at debug level; other values do not', () => {
    expect(pageOptions(`${BASE}?debug=1`)).toMatchObject({ debug: true, logLevel: 'debug' });
    expect(pageOptions(`${BASE}?debug=true`)).toMatchObject({ debug: false, logLevel: 'warn' });
    expect(pageOptions(`${BASE}?debug=0`)).toMatchObject({ debug: false, logLevel: 'warn' });
  });

  it('combines options', () => {
    expect(pageOptions(`${BASE}?processing=off&ice=none&debug=1`)).toEqual({ processing: false, iceServers: [], relayOnly: false, turnTcpOnly: false, debug: true, logLevel: 'debug' });
  });

  it('turn= with turnUser= and turnCredential= adds a TURN server; relay=only then uses only relayed candidates', () => {
    const turn = `turn=${encodeURIComponent('turn:127.0.0.1:3478')}&turnUser=ada&turnCredential=${encodeURIComponent('p@ss:word')}`;
    const o = pageOptions(`${BASE}?ice=none&${turn}&relay=only`);
    expect(o.iceServers).toEqual([{ urls: 'turn:127.0.0.1:3478', username: 'ada', credential: 'p@ss:word' }]);
    expect(o.relayOnly).toBe(true);
    expect(o.turnTcpOnly).toBe(false);
    // Relay-only through TURN over TCP or TLS: the page knows a mesh link to a terminal cannot use it.
    for (const uri of ['turn:h:3478?transport=tcp', 'turns:h:5349']) {
      expect(pageOptions(`${BASE}?ice=none&turn=${encodeURIComponent(uri)}&turnUser=a&turnCredential=b&relay=only`).turnTcpOnly, uri).toBe(true);
      expect(pageOptions(`${BASE}?ice=none&turn=${encodeURIComponent(uri)}&turnUser=a&turnCredential=b`).turnTcpOnly, uri).toBe(false);
    }
    // Beside the default STUN server, and relay=only only with exactly that value.
    const p = pageOptions(`${BASE}?${turn}&relay=yes`);
    expect(p.iceServers).toEqual([...DEFAULT_ICE_SERVERS, { urls: 'turn:127.0.0.1:3478', username: 'ada', credential: 'p@ss:word' }]);
    expect(p.relayOnly).toBe(false);
    expect(pageOptions(`${BASE}?turn=${encodeURIComponent('turns:turn.example.org?transport=tcp')}&turnUser=a&turnCredential=b`).iceServers).toContainEqual({ urls: 'turns:turn.example.org?transport=tcp', username: 'a', credential: 'b' });
  });

  it('no TURN server, and so no relay=only, without credentials or with a URI that is not a valid TURN URI', () => {
    for (const q of [
      'turn=turn:127.0.0.1:3478&relay=only',
      'turn=turn:127.0.0.1:3478&turnUser=ada&relay=only',
      'turn=turn:127.0.0.1:3478&turnUser=&turnCredential=x&relay=only',
      `turn=${encodeURIComponent('stun:127.0.0.1')}&turnUser=a&turnCredential=b&relay=only`,
      `turn=${encodeURIComponent('turn:a b')}&turnUser=a&turnCredential=b&relay=only`,
      `turn=${encodeURIComponent('turn:host:99999')}&turnUser=a&turnCredential=b&relay=only`,
      'relay=only',
    ]) {
      const o = pageOptions(`${BASE}?${q}`);
      expect(o.iceServers, q).toEqual(DEFAULT_ICE_SERVERS);
      expect(o.relayOnly, q).toBe(false);
    }
  });

  it('throws on a URL that is not absolute (the page always passes location.href)', () => {
    expect(() => pageOptions('not a url')).toThrow();
  });
});
