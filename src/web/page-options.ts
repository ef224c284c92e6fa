/**
 * What the page's query string may change (the join code never rides in it:
 * it stays in the fragment, which the browser does not send to the server).
 *   processing=off   no browser echo cancellation / noise suppression / AGC
 *                    (for measurement; default on)
 *   ice=none         no STUN server (loopback and LAN tests)
 *   stun=URI         this STUN server instead of the default
 *   debug=1          log debug lines, and expose the participant as
 *                    `window.roundtable` for tests and benchmarks
 */
import type { LogLevel } from '../core/logger.js';
import { DEFAULT_ICE_SERVERS, type IceServerConfig } from '../engine/mesh/ice-servers.js';

export interface PageOptions {
  readonly processing: boolean;
  readonly iceServers: readonly IceServerConfig[];
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
  return { processing: params.get('processing') !== 'off', iceServers, debug, logLevel: debug ? 'debug' : 'warn' };
}
