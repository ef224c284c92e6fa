/**
 * What the page's query string may change (the join code never rides in it:
 * it stays in the fragment, which the browser does not send to the server).
 *   processing=off   no browser echo cancellation / noise suppression / AGC
 *                    (for measurement; default on)
 *   ice=none         no STUN server (loopback and LAN tests)
 *   stun=URI         this STUN server instead of the default
 *   turn=URI         also this TURN server (RFC 7065 turn:/turns:), with
 *   turnUser=NAME    its long-term credential (RFC 8489 §9.2): all three
 *   turnCredential=S or no TURN server (a browser refuses TURN without them)
 *   relay=only       use only TURN-relayed candidates (needs turn=), as the
 *                    terminal's `ice.relayOnly`
 *   debug=1          log debug lines, and expose the participant as
 *                    `window.roundtable` for tests and benchmarks
 */
import type { LogLevel } from '../core/logger.js';
import { DEFAULT_ICE_SERVERS, parseIceUrl, type IceServerConfig } from '../engine/mesh/ice-servers.js';

export interface PageOptions {
  readonly processing: boolean;
  readonly iceServers: readonly IceServerConfig[];
  /** Only TURN-relayed candidates (relay=only with a TURN server). */
  readonly relayOnly: boolean;
  /**
   * Relay-only through a TURN server reached over TCP or TLS: a mesh link to
   * a terminal cannot come up that way (libjuice issue #355,
   * docs/architecture.md §7), and the page says so when one does not.
   */
  readonly turnTcpOnly: boolean;
  readonly debug: boolean;
  readonly logLevel: LogLevel;
}

export function pageOptions(pageUrl: string): PageOptions {
  const params = new URL(pageUrl).searchParams;
  const debug = params.get('debug') === '1';
  const stun = params.get('stun');
  let iceServers: readonly IceServerConfig[] = DEFAULT_ICE_SERVERS;
  if (params.get('ice') === 'none') iceServers = [];
  else if (stun !== null && /^stuns?:[^\s]+$/u.test(stun)) iceServers = [{ urls: stun }];
  const turn = turnServer(params);
  if (turn !== null) iceServers = [...iceServers, turn];
  const relayOnly = turn !== null && params.get('relay') === 'only';
  const turnTcpOnly = relayOnly && turn !== null && /^turns:|[?&]transport=(tcp|tls)\b/iu.test(String(turn.urls));
  return { processing: params.get('processing') !== 'off', iceServers, relayOnly, turnTcpOnly, debug, logLevel: debug ? 'debug' : 'warn' };
}

/** The TURN entry of turn=, turnUser= and turnCredential=, or null when any is missing or the URI is not a TURN URI. */
function turnServer(params: URLSearchParams): IceServerConfig | null {
  const urls = params.get('turn');
  const username = params.get('turnUser');
  const credential = params.get('turnCredential');
  if (urls === null || username === null || credential === null || username === '' || !/^turns?:/u.test(urls)) return null;
  try {
    parseIceUrl(urls); // the terminal's own URL rules: host, port, ?transport
  } catch {
    return null;
  }
  return { urls, username, credential };
}
