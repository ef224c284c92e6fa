import { describe, expect, it } from 'vitest';
import { IceServerError, parseIceUrl, toNativeIceServers } from '../../../src/engine/mesh/ice-servers.js';

describe('parseIceUrl', () => {
  it('applies RFC 7064/7065 default ports and transports', () => {
    expect(parseIceUrl('stun:stun.example.org')).toEqual({ scheme: 'stun', hostname: 'stun.example.org', port: 3478, transport: undefined });
    expect(parseIceUrl('turns:t.example.org')).toMatchObject({ port: 5349 });
    expect(parseIceUrl('turn:127.0.0.1:40000?transport=tcp')).toEqual({ scheme: 'turn', hostname: '127.0.0.1', port: 40000, transport: 'tcp' });
    expect(parseIceUrl('turn:[::1]:3479')).toMatchObject({ hostname: '::1', port: 3479 });
  });

  it.each(['http://x', 'turn:', 'turn:host:0', 'turn:host:70000', 'stun:host?transport=udp', 'turn:user@host', 'turn:host:12ab'])('rejects %s', (url) => {
    expect(() => parseIceUrl(url)).toThrow(IceServerError);
  });
});

describe('toNativeIceServers', () => {
  it('expands every url and maps TURN transports to relay types', () => {
    const out = toNativeIceServers([
      { urls: 'stun:s.example.org:19302' },
      { urls: ['turn:t.example.org', 'turn:t.example.org:443?transport=tcp', 'turns:t.example.org'], username: 'u:1', credential: 'p@ss' },
    ]);
    expect(out).toEqual([
      { hostname: 's.example.org', port: 19302 },
      { hostname: 't.example.org', port: 3478, username: 'u:1', password: 'p@ss', relayType: 'TurnUdp' },
      { hostname: 't.example.org', port: 443, username: 'u:1', password: 'p@ss', relayType: 'TurnTcp' },
      { hostname: 't.example.org', port: 5349, username: 'u:1', password: 'p@ss', relayType: 'TurnTls' },
    ]);
  });

  it('needs credentials for TURN and at least one url', () => {
    expect(() => toNativeIceServers([{ urls: 'turn:t.example.org' }])).toThrow(/username and credential/);
    expect(() => toNativeIceServers([{ urls: [] }])).toThrow(/no urls/);
    expect(toNativeIceServers([])).toEqual([]);
  });
});
