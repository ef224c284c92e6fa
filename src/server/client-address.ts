/**
 * Whose connection this is, for the per-address limits (limits.ts). Behind a
 * reverse proxy every connection comes from the proxy, so a proxy the
 * operator names (`serve --trusted-proxy ADDR`) is believed about the
 * client's address: the last entry of X-Forwarded-For, the one that proxy
 * appended. Entries before it came from the client and may be forged, and a
 * header from anyone else is ignored (README, Deployment).
 */
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** IPv4 clients of a dual-stack socket show as ::ffff:a.b.c.d; one address, one spelling. */
export function normalizeAddress(address: string): string {
  const a = address.trim().toLowerCase();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/** `trustedProxies`: normalized addresses. Without a trusted proxy the TCP peer's address, as the socket gives it. */
export function clientAddress(req: IncomingMessage, trustedProxies: ReadonlySet<string>): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (!trustedProxies.has(normalizeAddress(peer))) return peer;
  const header = req.headers['x-forwarded-for'];
  const value = Array.isArray(header) ? header.join(',') : header;
  const last = value?.split(',').at(-1)?.trim();
  return last !== undefined && isIP(normalizeAddress(last)) !== 0 ? normalizeAddress(last) : peer;
}
