/**
 * The web client's files served by the signaling server
 * (src/server/static-files.ts), through a real server on 127.0.0.1 with a
 * temporary web root. Requests go through node:http with the path sent as
 * is (fetch would normalize `..`), or a raw socket for bytes node:http
 * refuses to send.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogFields, Logger, LogLevel } from '../../src/core/logger.js';
import { startSignalingServer, type SignalingServer, type SignalingServerOptions } from '../../src/server/server.js';
import { CONTENT_SECURITY_POLICY, contentSecurityPolicy, loadWebClient, WebRootError } from '../../src/server/static-files.js';
import { RawClient, randomRoom } from './raw-client.js';

/** Outside the web root: no request may ever return it. */
const SECRET = 'TOP-SECRET-not-for-browsers';
const INDEX = '<!doctype html><title>Roundtable</title><script type="module" src="/app.js"></script>';
const APP = 'console.log("roundtable");';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let server: SignalingServer | undefined;
const clients: RawClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
});

/** A temporary tree: `<base>/web` is the web root; `<base>` holds a secret and a package.json beside it. */
function webTree(): { base: string; web: string } {
  const base = mkdtempSync(path.join(tmpdir(), 'rt-web-'));
  const web = path.join(base, 'web');
  mkdirSync(path.join(web, 'sub'), { recursive: true });
  mkdirSync(path.join(web, '.hidden'));
  writeFileSync(path.join(base, 'secret.txt'), SECRET);
  writeFileSync(path.join(base, 'package.json'), JSON.stringify({ name: 'secret', description: SECRET }));
  writeFileSync(path.join(web, 'index.html'), INDEX);
  writeFileSync(path.join(web, 'app.js'), APP);
  writeFileSync(path.join(web, 'app.js.map'), '{"version":3}');
  writeFileSync(path.join(web, 'app.css'), 'body { margin: 0 }');
  writeFileSync(path.join(web, 'sub', 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(path.join(web, 'favicon.ico'), Buffer.from([0, 0, 1, 0]));
  writeFileSync(path.join(web, 'notes.md'), `# not a page file ${SECRET}`);
  writeFileSync(path.join(web, '.env'), SECRET);
  writeFileSync(path.join(web, '.hidden', 'x.js'), SECRET);
  symlinkSync(path.join(base, 'secret.txt'), path.join(web, 'linked.txt'));
  return { base, web };
}

async function start(opts: SignalingServerOptions = {}): Promise<SignalingServer> {
  server = await startSignalingServer({ host: '127.0.0.1', port: 0, ...opts });
  return server;
}

/** One request with the path exactly as given. */
function get(target: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server!.port, path: target, method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Bytes on a raw socket (node:http refuses NUL in a path); resolves with whatever came back before the close. */
function rawRequest(bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(server!.port, '127.0.0.1', () => socket.write(bytes, 'latin1'));
    let reply = '';
    socket.setEncoding('latin1').on('data', (c: string) => (reply += c));
    socket.on('close', () => resolve(reply));
    socket.on('error', () => undefined);
  });
}

function recordingLogger(lines: Array<{ level: LogLevel; event: string; fields: LogFields }>): Logger {
  const at = (level: LogLevel) => (event: string, fields: LogFields = {}): void => void lines.push({ level, event, fields });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger, close: async () => undefined };
  return logger;
}

describe('web client files', () => {
  it('serves index.html at / with the page headers: CSP, nosniff, no referrer, revalidation, strong ETag', async () => {
    const { web } = webTree();
    await start({ webRoot: web });
    expect(server!.webUrl).toBe(`http://127.0.0.1:${server!.port}/`);
    for (const target of ['/', '/index.html', '/?code=ignored']) {
      const r = await get(target);
      expect(r.status).toBe(200);
      expect(r.body).toBe(INDEX);
      expect(r.headers).toMatchObject({
        'content-type': 'text/html; charset=utf-8',
        'content-length': String(Buffer.byteLength(INDEX)),
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-cache',
        'cross-origin-opener-policy': 'same-origin',
      });
      expect(r.headers.etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    }
    // No inline script or style, no eval, and the WebSocket goes to the same origin only.
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe|\*|https?:|wss?:/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/default-src 'none'/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/connect-src 'self'/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/frame-ancestors 'none'/);
  });

  it('with --janus, the page may also connect to that Janus (its origin only) and nowhere else', async () => {
    const { web } = webTree();
    await start({ webRoot: web, janusUrl: 'wss://sfu.example.org:8989/janus' });
    const r = await get('/');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("connect-src 'self' wss://sfu.example.org:8989;");
    expect(csp.replace("wss://sfu.example.org:8989", '')).not.toMatch(/unsafe|\*|https?:|wss?:/);
    // Something that is no WebSocket URL adds nothing.
    expect(contentSecurityPolicy('https://x.example')).toBe(CONTENT_SECURITY_POLICY);
    expect(contentSecurityPolicy('ws://a b:1')).toBe(CONTENT_SECURITY_POLICY);
  });

  it('sends each known type with its MIME type, in subdirectories too', async () => {
    await start({ webRoot: webTree().web });
    const types: Record<string, string> = {
      '/app.js': 'text/javascript; charset=utf-8',
      '/app.js.map': 'application/json',
      '/app.css': 'text/css; charset=utf-8',
      '/sub/icon.svg': 'image/svg+xml',
      '/favicon.ico': 'image/x-icon',
    };
    for (const [target, type] of Object.entries(types)) {
      const r = await get(target);
      expect([target, r.status, r.headers['content-type'], r.headers['x-content-type-options']]).toEqual([target, 200, type, 'nosniff']);
    }
    expect((await get('/app.js?v=2')).body).toBe(APP);
  });

  it('answers If-None-Match with 304 (strong, weak, listed, *) and a changed tag with the file', async () => {
    await start({ webRoot: webTree().web });
    const etag = (await get('/app.js')).headers.etag as string;
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const r = await get('/app.js', { headers: { 'if-none-match': inm } });
      expect([inm, r.status, r.body]).toEqual([inm, 304, '']);
      expect(r.headers).toMatchObject({ etag, 'cache-control': 'no-cache' });
    }
    const changed = await get('/app.js', { headers: { 'if-none-match': '"stale"' } });
    expect([changed.status, changed.body]).toEqual([200, APP]);
    // Each file has its own tag.
    expect((await get('/app.css')).headers.etag).not.toBe(etag);
  });

  it('HEAD has the headers of GET and no body; other methods on a file get 405 with Allow', async () => {
    await start({ webRoot: webTree().web });
    const head = await get('/app.js', { method: 'HEAD' });
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers).toMatchObject({ 'content-length': String(APP.length), 'content-type': 'text/javascript; charset=utf-8' });
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const r = await get('/app.js', { method });
      expect([method, r.status, r.headers.allow]).toEqual([method, 405, 'GET, HEAD']);
    }
    expect((await get('/nope.js', { method: 'POST' })).status).toBe(404);
  });

  it('404s unknown paths in plain text, dotfiles, directories, symbolic links and files of unknown type', async () => {
    const lines: Array<{ level: LogLevel; event: string; fields: LogFields }> = [];
    await start({ webRoot: webTree().web, logger: recordingLogger(lines) });
    for (const target of ['/nope', '/app.jsx', '/.env', '/.hidden/x.js', '/.hidden/', '/sub', '/sub/', '/linked.txt', '/notes.md', '/index.htm']) {
      const r = await get(target);
      expect([target, r.status, r.body]).toEqual([target, 404, 'not found\n']);
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    }
    // What was left out is said once at startup; dotfiles silently.
    const skipped = lines.filter((l) => l.event === 'web-files-not-served');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.fields.files).toEqual(expect.arrayContaining(['linked.txt', 'notes.md']));
    expect(JSON.stringify(skipped[0]!.fields.files)).not.toContain('.env');
  });

  it('no traversal: encoded, doubled, backslashed or NUL paths all 404 without leaking a byte', async () => {
    await start({ webRoot: webTree().web });
    const attempts = [
      '/../secret.txt',
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E/secret.txt',
      '/..%2fpackage.json',
      '/..%2Fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/sub/../../secret.txt',
      '/sub/%2e%2e/%2e%2e/secret.txt',
      '//etc/passwd',
      '//secret.txt',
      '/app.js/..',
      '/app.js/../../secret.txt',
      '/..\\secret.txt',
      '/%5c..%5csecret.txt',
      '/app.js%00',
      '/app.js%00.html',
      '/%00/../secret.txt',
      '/linked.txt',
      '/web/../secret.txt',
      'http://127.0.0.1/../secret.txt',
    ];
    for (const target of attempts) {
      const r = await get(target);
      expect([target, r.status]).toEqual([target, 404]);
      expect(r.body).not.toContain(SECRET);
      expect(r.body).not.toMatch(/root:|"name"/);
    }
    // The raw socket does reach files (so the refusals below mean something)...
    const control = await rawRequest('GET /app.js HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(control).toMatch(/^HTTP\/1\.1 200 /);
    expect(control.endsWith(`\r\n\r\n${APP}`)).toBe(true);
    // ...but raw NUL, targets not starting with "/": the HTTP parser or the map turns them away; never the file.
    for (const line of ['GET /app.js\0 HTTP/1.1', 'GET /\0../secret.txt HTTP/1.1', 'GET .. HTTP/1.1', 'GET ../secret.txt HTTP/1.1', 'GET \\..\\secret.txt HTTP/1.1']) {
      const reply = await rawRequest(`${line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      expect(reply).not.toMatch(/^HTTP\/1\.1 200/);
      expect(reply).not.toContain(SECRET);
    }
  });

  it('without a built client the server still starts, warns once, and / says to run npm run build', async () => {
    const lines: Array<{ level: LogLevel; event: string; fields: LogFields }> = [];
    const missing = path.join(mkdtempSync(path.join(tmpdir(), 'rt-web-missing-')), 'dist', 'web');
    await start({ webRoot: missing, logger: recordingLogger(lines) });
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toEqual([{ level: 'warn', event: 'web-client-not-built', fields: { dir: missing, detail: 'web client not built: run npm run build' } }]);
    expect(lines.find((l) => l.event === 'server-listening')?.fields).toMatchObject({ web: 'not-built' });
    expect(server!.webUrl).toBeUndefined();
    const page = await get('/');
    expect(page.status).toBe(404);
    expect(page.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(page.body).toContain('run npm run build');
    expect((await get('/app.js')).body).toBe('not found\n');
    expect((await get('/healthz')).status).toBe(200);
  });

  it('with the web client off, / is the signaling server\'s JSON 404 as before', async () => {
    const lines: Array<{ level: LogLevel; event: string; fields: LogFields }> = [];
    await start({ webRoot: false, logger: recordingLogger(lines) });
    expect(server!.webUrl).toBeUndefined();
    expect(lines.find((l) => l.event === 'server-listening')?.fields).toMatchObject({ web: 'off' });
    const r = await get('/');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toBe('application/json');
  });

  it('/healthz and /metrics keep priority, and WebSocket peers still join on the same port', async () => {
    const lines: Array<{ level: LogLevel; event: string; fields: LogFields }> = [];
    await start({ webRoot: webTree().web, logger: recordingLogger(lines) });
    expect(lines.find((l) => l.event === 'server-listening')?.fields).toMatchObject({ url: server!.url, web: server!.webUrl });
    const health = await get('/healthz');
    expect([health.status, JSON.parse(health.body)]).toEqual([200, { status: 'ok' }]);
    expect((await get('/metrics')).status).toBe(200);
    expect((await get('/healthz?x=1')).status).toBe(200);

    const room = randomRoom();
    const a = await RawClient.open(server!.url);
    const b = await RawClient.open(`${server!.url}/`);
    clients.push(a, b);
    a.join(room);
    await a.next('joined');
    b.join(room);
    expect((await b.next('joined')).peers).toEqual([{ id: a.peerId }]);
  });
});

describe('loadWebClient', () => {
  it('maps files (recursively) to URL paths, / to index.html, and skips dotfiles', async () => {
    const { web } = webTree();
    const client = await loadWebClient(web);
    expect(client.built).toBe(true);
    expect([...client.files.keys()].sort()).toEqual(['/', '/app.css', '/app.js', '/app.js.map', '/favicon.ico', '/index.html', '/sub/icon.svg']);
    expect(client.files.get('/')).toBe(client.files.get('/index.html'));
    expect([...client.skipped].sort()).toEqual(['linked.txt', 'notes.md']);
  });

  it('a directory without index.html is not built; a file as the root is an error', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rt-web-noindex-'));
    writeFileSync(path.join(dir, 'app.js'), APP);
    expect((await loadWebClient(dir)).built).toBe(false);
    await expect(loadWebClient(path.join(dir, 'app.js'))).rejects.toThrow(WebRootError);
    await expect(loadWebClient(path.join(dir, 'app.js'))).rejects.toThrow(/is not a directory/);
  });
});
