/**
 * WebRTC-style ICE server entries ({ urls, username, credential }, as in the
 * W3C RTCIceServer dictionary and our config file) converted to the shape
 * libdatachannel takes. URL syntax: RFC 7064 (stun:, stuns:) and RFC 7065
 * (turn:, turns:, with an optional `?transport=udp|tcp`).
 *
 * We hand libdatachannel structured objects rather than its own
 * `turn:user:pass@host` string form, so credentials containing ':' or '@'
 * cannot be misparsed.
 */

export interface IceServerConfig {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/**
 * Where a participant with no ice.servers configured finds its public
 * address (RFC 8489 STUN): the terminal's config default and the web
 * client's default are this one list.
 */
export const DEFAULT_ICE_SERVERS: readonly IceServerConfig[] = [{ urls: 'stun:stun.l.google.com:19302' }];

/** Mirrors node-datachannel's `IceServer` (kept local so this module stays pure and testable). */
export interface NativeIceServer {
  hostname: string;
  port: number;
  username?: string;
  password?: string;
  relayType?: 'TurnUdp' | 'TurnTcp' | 'TurnTls';
}

export type NativeIceServerEntry = string | NativeIceServer;

const DEFAULT_PORT = { stun: 3478, stuns: 5349, turn: 3478, turns: 5349 } as const;
type Scheme = keyof typeof DEFAULT_PORT;

export class IceServerError extends Error {
  override readonly name = 'IceServerError';
}

interface ParsedUrl {
  scheme: Scheme;
  hostname: string;
  port: number;
  transport: 'udp' | 'tcp' | undefined;
}

/** Parse one `stun:`/`turn:` URL; throws IceServerError with the offending URL on bad input. */
export function parseIceUrl(url: string): ParsedUrl {
  const m = /^(stuns?|turns?):(\[[0-9a-fA-F:.]+\]|[^:?\s[\]@/]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/.exec(url.trim());
  if (!m) throw new IceServerError(`invalid ICE server URL "${url}" (expected stun:host[:port] or turn:host[:port][?transport=udp|tcp])`);
  const scheme = m[1] as Scheme;
  const hostname = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
  const port = m[3] === undefined ? DEFAULT_PORT[scheme] : Number(m[3]);
  if (!(port >= 1 && port <= 65535)) throw new IceServerError(`invalid port in ICE server URL "${url}"`);
  const transport = m[4] as 'udp' | 'tcp' | undefined;
  if (transport !== undefined && scheme.startsWith('stun')) {
    throw new IceServerError(`?transport is only valid on turn: URLs, got "${url}"`);
  }
  return { scheme, hostname, port, transport };
}

/** Convert config entries; every URL of every entry becomes one native entry. */
export function toNativeIceServers(servers: readonly IceServerConfig[]): NativeIceServerEntry[] {
  const out: NativeIceServerEntry[] = [];
  for (const server of servers) {
    const urls = typeof server.urls === 'string' ? [server.urls] : server.urls;
    if (!Array.isArray(urls) || urls.length === 0) throw new IceServerError('ICE server entry has no urls');
    for (const url of urls) {
      if (typeof url !== 'string') throw new IceServerError('ICE server url must be a string');
      const p = parseIceUrl(url);
      if (p.scheme === 'stun' || p.scheme === 'stuns') {
        // STUN needs no credentials; libdatachannel accepts host:port form.
        out.push({ hostname: p.hostname, port: p.port });
        continue;
      }
      if (server.username === undefined || server.credential === undefined) {
        throw new IceServerError(`TURN server "${url}" needs username and credential`);
      }
      const relayType = p.scheme === 'turns' ? 'TurnTls' : p.transport === 'tcp' ? 'TurnTcp' : 'TurnUdp';
      out.push({ hostname: p.hostname, port: p.port, username: server.username, password: server.credential, relayType });
    }
  }
  return out;
}
