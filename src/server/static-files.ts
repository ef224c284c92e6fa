/**
 * The browser participant's files, served by the signaling server on its own
 * port so that the page and its WebSocket share one origin.
 *
 * The directory is read once, at startup, into memory (the built client is a
 * few small files): a map from URL path to file is all a request can reach,
 * so `..`, percent-encoding, `//`, backslashes or NUL in a request simply
 * find no entry and get 404; nothing is ever resolved against the disk at
 * request time, and no directory is listed.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { packageInfo } from '../core/package-info.js';

export const WEB_NOT_BUILT_MESSAGE = 'web client not built: run npm run build';

/**
 * Only what the page needs, and only from its own origin:
 * - no 'unsafe-inline' or 'unsafe-eval': scripts and styles come only from
 *   our own files (the page must set no inline handlers or style attributes);
 * - 'self' in connect-src also matches ws:/wss: to the same host and port
 *   (CSP Level 3 §6.7.2.8; Chromium since 71, Firefox since 2018, Safari
 *   since 16, older than the page's build targets), so the WebSocket needs no
 *   source derived from the Host header; a server with `--janus` adds that
 *   Janus's origin (scheme, host, port) and nothing else, for a page in a
 *   room through the SFU (docs/architecture.md §11);
 * - remote audio plays from a MediaStream set as an <audio> element's
 *   srcObject, which is not a fetch and needs no media-src (no blob: or
 *   mediastream:); 'self' there is for sounds shipped with the page;
 * - data: images only, for small inline icons.
 * test/e2e/web-csp.test.ts checks this in Chromium. Sent on every response,
 * not only HTML: an SVG opened directly is a document too.
 */
export function contentSecurityPolicy(janusUrl?: string): string {
  const janus = janusUrl === undefined ? null : janusSource(janusUrl);
  return [
    "default-src 'none'",
    // Workers too (worker-src falls back to script-src): the SFrame worker is one of our files.
    "script-src 'self'",
    "style-src 'self'",
    // In a room through the SFU the page talks to the Janus the server names (`serve --janus`), and to nothing else.
    `connect-src 'self'${janus === null ? '' : ` ${janus}`}`,
    "img-src 'self' data:",
    "media-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The CSP source (scheme://host:port, CSP Level 3 §2.3.1) of a ws:// or wss:// URL, or null when it is none. */
function janusSource(url: string): string | null {
  try {
    const u = new URL(url);
    if ((u.protocol !== 'ws:' && u.protocol !== 'wss:') || !/^[A-Za-z0-9.\-[\]:]+$/.test(u.host)) return null;
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

/** The policy of a server that coordinates no Janus. */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

function securityHeaders(janusUrl: string | undefined): Readonly<Record<string, string>> {
  return {
    'content-security-policy': contentSecurityPolicy(janusUrl),
    'x-content-type-options': 'nosniff',
    // Nothing the page fetches needs to know where it came from.
    'referrer-policy': 'no-referrer',
    // The page holds a room key: no window opened from elsewhere keeps a handle on it.
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

/**
 * File names are not content-hashed, so a browser must revalidate each time;
 * with the strong ETag that costs one 304 per file, and a rebuilt client is
 * picked up on the next load.
 */
const CACHE_CONTROL = 'no-cache';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8', // RFC 9239
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

/** Names a browser sends unencoded: a file with any other name would need decoding rules we do not want. */
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
/** A wrong --web-root (a home directory, /) must fail fast, not load the disk into memory. */
const MAX_ENTRIES = 1000;
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;

interface WebFile {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

export interface WebClient {
  readonly dir: string;
  /** False when the directory or its index.html is missing (not built). */
  readonly built: boolean;
  /** URL path ("/", "/app.js", "/sub/x.png") → file. */
  readonly files: ReadonlyMap<string, WebFile>;
  /** Files left out (unknown type, unusual name, not a regular file), relative to dir. */
  readonly skipped: readonly string[];
  /** Sent with every response (the policy names the server's Janus, if any). */
  readonly headers: Readonly<Record<string, string>>;
}

/** The directory is there but cannot be served (not a directory, unreadable, far too big). */
export class WebRootError extends Error {
  override readonly name = 'WebRootError';
}

/** dist/web of our package: where `npm run build` (scripts/build-web.mjs) puts the web client. */
export function defaultWebRoot(): string {
  return path.join(packageInfo().root, 'dist', 'web');
}

/** Read the web client in `dir`; a missing directory is `built: false`, not an error. */
export async function loadWebClient(webRoot: string, opts: { janusUrl?: string } = {}): Promise<WebClient> {
  const dir = path.resolve(webRoot);
  const files = new Map<string, WebFile>();
  const skipped: string[] = [];
  let entries = 0;
  let totalBytes = 0;

  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue; // dotfiles (.DS_Store, .gitkeep, .env) are never part of the page
      if (++entries > MAX_ENTRIES) throw new WebRootError(`${dir} holds more than ${MAX_ENTRIES} entries: is it the built web client?`);
      const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory() && SAFE_NAME.test(entry.name)) {
        await walk(relPath);
        continue;
      }
      // Symbolic links are left out too: they could point anywhere.
      const contentType = CONTENT_TYPES[path.extname(entry.name).toLowerCase()];
      if (!entry.isFile() || !SAFE_NAME.test(entry.name) || contentType === undefined) {
        skipped.push(entry.isDirectory() ? `${relPath}/` : relPath);
        continue;
      }
      // Size first: one huge file must not be read in to find out.
      totalBytes += (await stat(path.join(dir, relPath))).size;
      if (totalBytes > MAX_TOTAL_BYTES) throw new WebRootError(`${dir} holds more than ${MAX_TOTAL_BYTES >> 20} MiB: is it the built web client?`);
      const body = await readFile(path.join(dir, relPath));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      files.set(`/${relPath}`, { body, contentType, etag });
    }
  };

  let exists = false;
  try {
    const info = await stat(dir);
    exists = true;
    if (!info.isDirectory()) throw new WebRootError(`${dir} is not a directory`);
    await walk('');
  } catch (err) {
    if (err instanceof WebRootError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !exists) return { dir, built: false, files, skipped, headers: securityHeaders(opts.janusUrl) };
    throw new WebRootError(`cannot read the web client in ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const index = files.get('/index.html');
  if (index !== undefined) files.set('/', index);
  return { dir, built: index !== undefined, files, skipped, headers: securityHeaders(opts.janusUrl) };
}

/** The path of a request URL without its query string (which no file depends on). */
export function requestPath(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** RFC 9110 §13.1.2: "*" or a list of entity tags, compared weakly. */
function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || (t.startsWith('W/') ? t.slice(2) : t) === etag;
  });
}

function sendText(client: WebClient, res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, {
    ...client.headers,
    ...extra,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
    'cache-control': CACHE_CONTROL,
  });
  res.end(body); // Node sends no body for HEAD
}

/** Answer one request from the web client's files: the file, 304, 404 or 405. */
export function serveWebClient(client: WebClient, req: IncomingMessage, res: ServerResponse): void {
  const urlPath = requestPath(req);
  const file = client.files.get(urlPath);
  if (file === undefined) {
    const page = urlPath === '/' || urlPath === '/index.html';
    return sendText(client, res, 404, page && !client.built ? WEB_NOT_BUILT_MESSAGE : 'not found');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendText(client, res, 405, `method ${req.method ?? ''} not allowed; use GET`, { allow: 'GET, HEAD' });
  }
  const headers = { ...client.headers, 'content-type': file.contentType, 'cache-control': CACHE_CONTROL, etag: file.etag };
  if (ifNoneMatchHits(req.headers['if-none-match'], file.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': file.body.length });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}
