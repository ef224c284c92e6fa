/**
 * Where the web client lives and how it finds its signaling server: the page
 * is served by `roundtable serve` on the same port as the WebSocket, and the
 * join code travels in the URL fragment, which browsers never send to a
 * server (RFC 3986 §3.5), so the server still never sees the code
 * (docs/architecture.md §7). The CLI prints this link beside the code; the
 * page builds the same one for its copy-link button.
 */
import { normalizeJoinCode } from './join-code.js';

/**
 * `http(s)://host:port/#code` for a server URL as the CLI knows it
 * (`ws://…`, `wss://…`, or already `http(s)://…`). Throws on a URL that is
 * not one of those or on an invalid code.
 */
export function webLink(serverUrl: string, code: string): string {
  const url = new URL(serverUrl);
  if (url.protocol === 'ws:') url.protocol = 'http:';
  else if (url.protocol === 'wss:') url.protocol = 'https:';
  else if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`not a server URL: ${serverUrl}`);
  url.pathname = '/';
  url.search = '';
  url.hash = normalizeJoinCode(code);
  return url.toString();
}

/** The join code in a page URL's fragment (`#code`), normalized; null when there is none; throws InvalidJoinCodeError when it is malformed. */
export function codeFromFragment(hash: string): string | null {
  const raw = decodeURIComponent(hash.startsWith('#') ? hash.slice(1) : hash).trim();
  return raw === '' ? null : normalizeJoinCode(raw);
}

/** The signaling WebSocket URL for a page served at `pageUrl` (same host and port). */
export function signalingUrlForPage(pageUrl: string): string {
  const url = new URL(pageUrl);
  const protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${protocol}//${url.host}/`;
}
