/**
 * Where control sockets live and how `roundtable ctl` finds one.
 *
 * Each session listens on `<dir>/<pid>.sock`, in a directory only its user
 * can enter (0700): `$XDG_RUNTIME_DIR/roundtable/` (the per-user runtime
 * directory of the XDG Base Directory spec), else `<tmpdir>/roundtable-<uid>`.
 * The socket itself is 0600. A session given `--control PATH` listens there
 * instead (the directory is then the user's choice).
 *
 * A socket file whose process died without removing it (SIGKILL, a crash)
 * refuses connections: it is stale, and is removed when found.
 */
import { connect } from 'node:net';
import { chmodSync, lstatSync, mkdirSync, readdirSync, unlinkSync, type Stats } from 'node:fs';
import path from 'node:path';

/** A control socket could not be used or found; the message says why in words, the hint what to do. */
export class ControlSocketError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ControlSocketError';
  }
}

/** sockaddr_un.sun_path is 108 bytes on Linux, the last one a NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

export interface ControlPlace {
  env: NodeJS.ProcessEnv;
  uid: number;
  tmpdir: string;
}

/** The per-user directory of control sockets. */
export function controlDir({ env, uid, tmpdir }: ControlPlace): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime !== undefined && path.isAbsolute(runtime)) return path.join(runtime, 'roundtable');
  return path.join(tmpdir, `roundtable-${uid}`);
}

export function socketPathFor(dir: string, pid: number): string {
  return path.join(dir, `${pid}.sock`);
}

export function checkSocketPathLength(socketPath: string): void {
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new ControlSocketError(
      `the control socket path is too long for a Unix socket (${Buffer.byteLength(socketPath)} bytes, at most ${MAX_SOCKET_PATH_BYTES}): ${socketPath}`,
      'choose a shorter path with --control PATH',
    );
  }
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Make the socket directory if needed and check it is ours alone: a real
 * directory (not a symlink), owned by `uid`, mode 0700 (tightened if we own
 * it and it is looser). Anything else is refused: a directory someone else
 * made in a shared tmpdir could let them read or replace our socket.
 */
export function ensurePrivateDir(dir: string, uid: number): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      throw new ControlSocketError(`cannot create the control socket directory ${dir}: ${(err as Error).message}`, 'use --control PATH, or --no-control to go without');
    }
  }
  const st = lstatOrUndefined(dir);
  if (st === undefined || !st.isDirectory() || st.isSymbolicLink()) {
    throw new ControlSocketError(`${dir} is not a directory`, 'remove it, or use --control PATH');
  }
  if (st.uid !== uid) {
    throw new ControlSocketError(
      `the control socket directory ${dir} belongs to another user (uid ${st.uid}), so it is not private`,
      'remove it, or use --control PATH in a directory of your own',
    );
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

export type SocketProbe = 'live' | 'stale' | 'denied' | 'missing';

/** Whether something listens on `socketPath` (one connection attempt, closed at once). */
export function probeSocket(socketPath: string, timeoutMs = 1000): Promise<SocketProbe> {
  return new Promise((resolve) => {
    const sock = connect(socketPath);
    const done = (result: SocketProbe): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(result);
    };
    // Connected but silent: a listener that is alive, only busy.
    const timer = setTimeout(() => done('live'), timeoutMs);
    sock.once('connect', () => done('live'));
    sock.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') done('missing');
      else if (err.code === 'EACCES' || err.code === 'EPERM') done('denied');
      else done('stale'); // ECONNREFUSED: nobody listens; ENOTSOCK and the like: not a socket we can use
    });
  });
}

/** Remove a stale socket file, if it is a socket (never any other kind of file). */
export function removeStaleSocket(socketPath: string): boolean {
  const st = lstatOrUndefined(socketPath);
  if (st === undefined || !st.isSocket()) return false;
  try {
    unlinkSync(socketPath);
    return true;
  } catch {
    return false;
  }
}

export interface FoundSession {
  readonly pid: number;
  readonly path: string;
}

/** Sessions with a socket in `dir` (pids from the file names), stale ones removed. */
export async function liveSessions(dir: string): Promise<FoundSession[]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'EACCES') throw new ControlSocketError(`permission denied reading ${dir}`, 'it belongs to another user; run ctl as the user who started the session');
    throw err;
  }
  const found: FoundSession[] = [];
  for (const name of names.sort()) {
    const m = /^(\d+)\.sock$/.exec(name);
    if (m === null) continue;
    const socketPath = path.join(dir, name);
    const probe = await probeSocket(socketPath);
    if (probe === 'live') found.push({ pid: Number(m[1]), path: socketPath });
    else if (probe === 'stale') removeStaleSocket(socketPath);
    else if (probe === 'denied') throw new ControlSocketError(`permission denied on ${socketPath}`, 'it belongs to another user; run ctl as the user who started the session');
  }
  return found.sort((a, b) => a.pid - b.pid);
}

export const NO_SESSION_MESSAGE = 'no roundtable session is running; start one with `roundtable join CODE`';

/**
 * The socket `roundtable ctl` talks to: `--control PATH` as given, the
 * socket of `--pid`, or the only session running. Throws a
 * ControlSocketError saying what is wrong otherwise.
 */
export async function findControlSocket(opts: { dir: string; pid?: number; path?: string }): Promise<string> {
  if (opts.path !== undefined) {
    const probe = await probeSocket(opts.path);
    if (probe === 'live') return opts.path;
    if (probe === 'denied') throw new ControlSocketError(`permission denied on ${opts.path}`, 'it belongs to another user; run ctl as the user who started the session');
    if (probe === 'stale') {
      removeStaleSocket(opts.path);
      throw new ControlSocketError(`no roundtable session listens on ${opts.path} (a stale socket file, left by a session that ended without removing it)`);
    }
    throw new ControlSocketError(`no control socket at ${opts.path}`, 'check the path given to `join --control`');
  }
  const sessions = await liveSessions(opts.dir);
  if (opts.pid !== undefined) {
    const match = sessions.find((s) => s.pid === opts.pid);
    if (match !== undefined) return match.path;
    const others = sessions.length > 0 ? `; running: ${sessions.map((s) => s.pid).join(', ')}` : '';
    throw new ControlSocketError(`no roundtable session with pid ${opts.pid} has a control socket in ${opts.dir}${others}`);
  }
  if (sessions.length === 0) {
    throw new ControlSocketError(NO_SESSION_MESSAGE, `control sockets are looked for in ${opts.dir}; a session started with --control PATH needs ctl --control PATH`);
  }
  if (sessions.length > 1) {
    throw new ControlSocketError(`several roundtable sessions are running (pids ${sessions.map((s) => s.pid).join(', ')}): choose with --pid`);
  }
  return sessions[0]!.path;
}
