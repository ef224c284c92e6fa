/**
 * The control socket's server, in the control process of a running `join`,
 * `create` or `demo` (docs/architecture.md §1): it reads requests
 * (protocol.ts), turns each into SessionActions, and answers with the status
 * that follows. It talks to the session only through SessionController
 * (dispatch, snapshot, subscribe), as the terminal UI does, so every command
 * behaves the same with the TUI or --headless, and none reaches the media
 * process except through the session.
 *
 * Lifecycle: the socket is made owner-only (0600, created under umask 0177
 * so it is never open to others even for a moment), and removed on close()
 * and, as a last resort, when the process exits. The server and its
 * connections are unref'd: they never keep the process alive after the
 * session has left.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { silentLogger, type Logger } from '../core/logger.js';
import { describeMediaPath, type AudioEndName, type PeerView, type SessionAction, type SessionController, type SessionSnapshot } from '../engine/api.js';
import {
  encodeControlLine,
  LineSplitter,
  parseControlRequest,
  type ControlErrorCode,
  type ControlRequest,
  type ControlResponseBody,
  type ControlStatus,
} from './protocol.js';
import { checkSocketPathLength, ControlSocketError, probeSocket, removeStaleSocket } from './socket-path.js';

export interface ControlServerOptions {
  path: string;
  controller: SessionController;
  logger?: Logger;
  /** Reported in the status (default process.pid). */
  pid?: number;
  /** How long lock/unlock wait for the signaling server to confirm (default 3000 ms). */
  confirmTimeoutMs?: number;
  /** How long `record` waits for the media side to open or finish the file (default 10 s: a busy machine, a slow disk). */
  recordTimeoutMs?: number;
}

export interface ControlServer {
  readonly path: string;
  /** Stop listening, end connections, remove the socket file. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_CONFIRM_TIMEOUT_MS = 3000;
/** A device opens within its own 5 s limit (audio/open.ts), and listing spawns a process: give both longer. */
const DEVICE_CONFIRM_TIMEOUT_MS = 8000;
const DEFAULT_RECORD_TIMEOUT_MS = 10_000;
/** Chat lines a status carries. */
export const STATUS_CHAT_LINES = 20;

/** The status a response carries: what `ctl status` prints. */
export function controlStatus(snapshot: SessionSnapshot, pid: number): ControlStatus {
  const self = snapshot.self;
  return {
    pid,
    room: snapshot.roomCode,
    server: snapshot.serverUrl,
    phase: snapshot.phase,
    locked: snapshot.locked,
    ...(snapshot.mediaPath !== undefined ? { media: { path: snapshot.mediaPath, description: describeMediaPath(snapshot.mediaPath) } } : {}),
    self: {
      name: self.name,
      muted: self.muted,
      deafened: self.deafened,
      pushToTalk: self.pushToTalk,
      talking: self.talking,
      speaking: self.speaking,
      micLevel: round3(self.micLevel),
      processing: self.processing,
      recording: { state: self.recording.state, path: self.recording.path, seconds: Math.round(self.recording.seconds * 10) / 10, error: self.recording.error },
      ...(self.priority !== undefined ? { priority: self.priority } : {}),
      ...(self.codec !== undefined ? { codec: { frameMs: self.codec.frameMs, bitrateBps: self.codec.bitrateBps, lowDelay: self.codec.lowDelay } } : {}),
    },
    ...(self.audio !== undefined
      ? {
          audio: {
            input: self.audio.input,
            output: self.audio.output,
            devices:
              self.audio.devices === null
                ? null
                : {
                    input: [...self.audio.devices.input],
                    output: [...self.audio.devices.output],
                    ...(self.audio.devices.defaultInput !== undefined ? { defaultInput: self.audio.devices.defaultInput } : {}),
                    ...(self.audio.devices.defaultOutput !== undefined ? { defaultOutput: self.audio.devices.defaultOutput } : {}),
                    listedAt: new Date(self.audio.devices.listedAtMs).toISOString(),
                  },
          },
        }
      : {}),
    peers: snapshot.peers.map((p) => ({
      id: p.id,
      name: p.name,
      state: p.state,
      speaking: p.speaking,
      level: round3(p.level),
      volumePercent: p.volumePercent,
      mutedByMe: p.mutedByMe,
      recording: p.recording,
    })),
    knocks: snapshot.knocks.map((k) => ({ id: k.id, name: k.name, since: new Date(k.sinceMs).toISOString() })),
    chat: snapshot.chat.slice(-STATUS_CHAT_LINES).map((l) => ({ at: new Date(l.atMs).toISOString(), kind: l.kind, from: l.from, self: l.self, text: l.text })),
  };
}

function round3(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1000) / 1000 : 0;
}

/** A command that cannot be done, as the response says it. */
class Refusal extends Error {
  constructor(
    readonly code: ControlErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Shortest id prefix accepted in place of a peer's name. */
const MIN_ID_PREFIX = 4;

/**
 * The peer a user means by `name`: an exact id, else a name (any case),
 * else the start of an id. Several matches, or none, is a Refusal naming
 * the peers there are. `what` says whether peers in the room or knocks at
 * its door are searched.
 */
export function resolvePeer<P extends Pick<PeerView, 'id' | 'name'>>(peers: readonly P[], name: string, what: 'peer' | 'knock' = 'peer'): P {
  const byId = peers.find((p) => p.id === name);
  if (byId !== undefined) return byId;
  const lower = name.toLowerCase();
  let matches = peers.filter((p) => p.name.toLowerCase() === lower);
  if (matches.length === 0 && name.length >= MIN_ID_PREFIX) matches = peers.filter((p) => p.id.startsWith(name));
  if (matches.length === 1) return matches[0]!;
  const list = (ps: readonly P[]): string => ps.map((p) => `${p.name} (${p.id})`).join(', ');
  if (what === 'knock') {
    if (matches.length > 1) throw new Refusal('ambiguous-knock', `"${name}" could be any of ${matches.length} knocks: ${list(matches)}`, 'name the newcomer by its id (or the start of it)');
    throw new Refusal('unknown-knock', peers.length === 0 ? `nobody is knocking (no "${name}")` : `nobody named "${name}" is knocking; knocking: ${list(peers)}`);
  }
  if (matches.length > 1) {
    throw new Refusal('ambiguous-peer', `"${name}" could be any of ${matches.length} peers: ${list(matches)}`, 'name the peer by its id (or the start of it)');
  }
  throw new Refusal(
    'unknown-peer',
    peers.length === 0 ? `no peer "${name}": nobody else is in the room` : `no peer "${name}" in the room; peers: ${list(peers)}`,
  );
}

const CONNECTED_PHASES: ReadonlySet<string> = new Set(['in-call', 'waiting-for-peers']);
const OVER_PHASES: ReadonlySet<string> = new Set(['leaving', 'left', 'failed']);

export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const socketPath = opts.path;
  const controller = opts.controller;
  const log = (opts.logger ?? silentLogger).child({ component: 'control' });
  const pid = opts.pid ?? process.pid;
  const confirmTimeoutMs = opts.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;
  const recordTimeoutMs = opts.recordTimeoutMs ?? DEFAULT_RECORD_TIMEOUT_MS;
  checkSocketPathLength(socketPath);
  await clearOldSocket(socketPath);

  const connections = new Set<Socket>();
  const server = createServer((socket) => serve(socket));
  server.on('error', (err) => log.warn('control-server-error', { error: err.message }));

  const serve = (socket: Socket): void => {
    socket.unref();
    connections.add(socket);
    socket.setEncoding('utf8');
    const lines = new LineSplitter();
    // One request at a time per connection: responses keep the requests' order.
    let queue: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: string) => {
      let got: string[];
      try {
        got = lines.push(chunk);
      } catch (err) {
        write(socket, { ok: false, code: 'bad-request', error: (err as Error).message });
        socket.end();
        return;
      }
      for (const line of got) queue = queue.then(() => handleLine(socket, line));
    });
    socket.on('error', (err) => log.debug('control-connection-error', { error: err.message }));
    socket.on('close', () => connections.delete(socket));
  };

  const write = (socket: Socket, body: ControlResponseBody, then?: () => void): void => {
    if (socket.destroyed || !socket.writable) return;
    socket.write(encodeControlLine(body), () => then?.());
  };

  const handleLine = async (socket: Socket, line: string): Promise<void> => {
    const parsed = parseControlRequest(line);
    if (!parsed.ok) {
      write(socket, { ok: false, code: 'bad-request', error: parsed.error });
      return;
    }
    const req = parsed.value;
    const id = req.id !== undefined ? { id: req.id } : {};
    try {
      const afterAnswer = await run(req);
      write(socket, { ...id, ok: true, status: controlStatus(controller.snapshot(), pid) }, afterAnswer);
      log.info('control-command', { cmd: req.cmd });
    } catch (err) {
      const refusal = err instanceof Refusal ? err : new Refusal('internal', err instanceof Error ? err.message : String(err));
      write(socket, { ...id, ok: false, code: refusal.code, error: refusal.message, ...(refusal.hint !== undefined ? { hint: refusal.hint } : {}) });
      log.info('control-command-refused', { cmd: req.cmd, code: refusal.code });
    }
  };

  const dispatch = (action: SessionAction): void => controller.dispatch(action);

  /** Do the command; what it returns runs once the answer is written (leave: after telling the caller). */
  const run = async (req: ControlRequest): Promise<(() => void) | undefined> => {
    const snap = controller.snapshot();
    if (req.cmd === 'status') return undefined;
    if (OVER_PHASES.has(snap.phase)) throw new Refusal('session-over', `the session is ${snap.phase === 'failed' ? 'over (it failed)' : 'leaving'}`);
    const self = snap.self;
    switch (req.cmd) {
      case 'mute':
      case 'unmute':
        if (self.muted !== (req.cmd === 'mute')) dispatch({ type: 'toggle-mute' });
        return undefined;
      case 'toggle-mute':
        dispatch({ type: 'toggle-mute' });
        return undefined;
      case 'deafen':
      case 'undeafen':
        if (self.deafened !== (req.cmd === 'deafen')) dispatch({ type: 'toggle-deafen' });
        return undefined;
      case 'volume': {
        const peer = resolvePeer(snap.peers, req.peer);
        dispatch({ type: 'set-peer-volume', peerId: peer.id, volumePercent: Math.round(req.percent) });
        return undefined;
      }
      case 'ptt':
        if (req.action === 'on' || req.action === 'off') {
          dispatch({ type: 'set-push-to-talk', enabled: req.action === 'on' });
          return undefined;
        }
        if (!self.pushToTalk) {
          throw new Refusal('ptt-off', 'push-to-talk is off, so there is nothing to press', 'turn it on with `roundtable ctl ptt on` (or the push-to-talk key in the call)');
        }
        dispatch({ type: 'talk', pressed: req.action === 'press' });
        return undefined;
      case 'lock':
      case 'unlock':
        await setLock(req.cmd === 'lock');
        return undefined;
      case 'admit':
      case 'deny':
        await answerKnock(resolvePeer(snap.knocks, req.peer, 'knock').id, req.cmd === 'admit');
        return undefined;
      case 'say':
        say(req.text);
        return undefined;
      case 'record':
        await record(req.action === 'start', req.path);
        return undefined;
      case 'leave':
        return () => dispatch({ type: 'leave' });
      case 'device':
        await switchDevice(req.end, req.name);
        return undefined;
      case 'devices':
        await listDevices();
        return undefined;
    }
  };

  /** Ask for another device and wait until it runs, or until the media side says why not. */
  const switchDevice = async (end: AudioEndName, name: string): Promise<void> => {
    const audio = controller.snapshot().self.audio;
    if (audio === undefined) throw new Refusal('no-device', 'this session has no sound devices to switch');
    if (audio[end].kind !== 'device') {
      const flag = end === 'input' ? '--input' : '--output';
      throw new Refusal('no-device', `the ${end} is ${audio[end].kind === 'file' ? `the file ${audio[end].name}` : 'nothing'}, not a sound device`, `start the session without ${flag} to use sound devices`);
    }
    const wanted = name.toLowerCase();
    const failure = `cannot switch to "${name}"`;
    let refused: string | undefined;
    await until(
      (s) => {
        const state = s.self.audio?.[end];
        if (state === undefined) return false;
        if (state.health !== 'switching' && state.problem?.startsWith(failure) === true) {
          refused = state.problem;
          return true;
        }
        return state.health === 'ok' && state.name.toLowerCase().includes(wanted);
      },
      () => dispatch({ type: 'set-device', end, device: name }),
      `switch to "${name}"`,
      'the media side',
      DEVICE_CONFIRM_TIMEOUT_MS,
    );
    if (refused !== undefined) throw new Refusal('no-device', refused, 'see the names `roundtable ctl devices` lists');
  };

  /** List the devices again and wait for the list. */
  const listDevices = async (): Promise<void> => {
    const askedAtMs = Date.now();
    await until((s) => (s.self.audio?.devices?.listedAtMs ?? 0) >= askedAtMs, () => dispatch({ type: 'refresh-devices' }), 'device list', 'the media side', DEVICE_CONFIRM_TIMEOUT_MS);
  };

  /** Ask for the lock and wait until the signaling server says it is done. */
  const setLock = async (locked: boolean): Promise<void> => {
    const snap = controller.snapshot();
    if (snap.locked === locked) return;
    if (!CONNECTED_PHASES.has(snap.phase)) {
      throw new Refusal('not-connected', `the room lock cannot change now: not connected to the signaling server (${snap.phase})`, 'try again once the session is back in touch with the server');
    }
    await until((s) => s.locked === locked, () => dispatch({ type: 'set-lock', locked }), locked ? 'lock' : 'unlock');
  };

  /** Wait until `done` holds for a snapshot (checked on every change after `start`), or refuse after the confirm timeout. */
  const until = (done: (s: SessionSnapshot) => boolean, start: () => void, what: string, by = 'the signaling server', timeoutMs = confirmTimeoutMs): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const stop = (): void => {
        clearTimeout(timer);
        unsubscribe();
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Refusal('not-confirmed', `${by} did not confirm the ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const unsubscribe = controller.subscribe((s) => {
        if (!done(s)) return;
        stop();
        resolve();
      });
      start();
    });

  /** Answer a knock and wait until it is over (ours or another member's answer decided). */
  const answerKnock = async (peerId: string, admit: boolean): Promise<void> => {
    if (!CONNECTED_PHASES.has(controller.snapshot().phase)) {
      throw new Refusal('not-connected', 'cannot answer a knock now: not connected to the signaling server', 'try again once the session is back in touch with the server');
    }
    await until((s) => !s.knocks.some((k) => k.id === peerId), () => dispatch({ type: 'answer-knock', peerId, admit }), admit ? 'admission' : 'refusal');
  };

  /**
   * Start recording and answer once the file records (its actual name in the
   * status), or refuse with why it could not; stop and answer once the file
   * is finished. Starting while recording (to no other file) and stopping
   * when nothing records are done already.
   */
  const record = async (start: boolean, file: string | undefined): Promise<void> => {
    const now = controller.snapshot().self.recording;
    const active = now.state === 'starting' || now.state === 'recording';
    if (!start) {
      if (now.state === 'off') return;
      await until((s) => s.self.recording.state === 'off', () => dispatch({ type: 'set-recording', recording: false }), 'end of the recording', 'the media side', recordTimeoutMs);
      return;
    }
    if (active) {
      if (file === undefined || file === now.path) return;
      throw new Refusal('already-recording', `already recording to ${now.path ?? 'a file'}`, 'stop it first: roundtable ctl record stop');
    }
    const before = controller.snapshot();
    const chatBefore = before.chat.at(-1)?.n ?? 0;
    const settled = (s: SessionSnapshot): boolean =>
      (s.self.recording.count > before.self.recording.count && (s.self.recording.state === 'recording' || s.self.recording.state === 'off')) ||
      s.chat.some((l) => l.n > chatBefore && l.kind === 'notice' && (l.text.startsWith('cannot record') || l.text === 'recording is not available here'));
    await until(settled, () => dispatch({ type: 'set-recording', recording: true, ...(file !== undefined ? { path: file } : {}) }), 'start of the recording', 'the media side', recordTimeoutMs);
    const after = controller.snapshot();
    if (after.self.recording.state === 'recording') return;
    // The session said why in the chat (a path it refused), or the media side in the recording's error.
    const refused = after.chat.find((l) => l.n > chatBefore && l.kind === 'notice')?.text;
    throw new Refusal('not-recorded', after.self.recording.error ?? refused ?? 'the recording did not start', 'check the file name and that its directory exists and is writable');
  };

  /** Send a chat line; the session refuses one that is too long or reaches nobody, in words. */
  const say = (text: string): void => {
    const before = controller.snapshot().chat.at(-1)?.n ?? 0;
    dispatch({ type: 'send-chat', text });
    const added = controller.snapshot().chat.filter((l) => l.n > before);
    if (added.some((l) => l.self && l.kind === 'message')) return;
    const why = added.find((l) => l.kind === 'notice')?.text ?? 'the message was not sent';
    throw new Refusal(why.includes('limit') ? 'too-long' : 'not-sent', why);
  };

  // Listen with a umask that leaves the socket to its owner from the start, then say so explicitly.
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(new ControlSocketError(`cannot listen on the control socket ${socketPath}: ${err.message}`, err.code === 'EACCES' ? 'the directory is not writable by you: use --control PATH, or --no-control' : 'use --control PATH, or --no-control'));
      };
      server.once('error', onError);
      server.listen(socketPath, () => {
        server.off('error', onError);
        resolve();
      });
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(socketPath, 0o600);
  server.unref();
  // Last resort for an exit that skips close() (process.exit on a fatal error): no socket file left behind.
  const onExit = (): void => removeIfOurs();
  process.on('exit', onExit);
  const listened = lstatSync(socketPath);
  const removeIfOurs = (): void => {
    try {
      const st = lstatSync(socketPath);
      // Only the file we made: another session may have taken the path since.
      if (st.ino === listened.ino && st.dev === listened.dev) unlinkSync(socketPath);
    } catch {
      // already gone
    }
  };
  log.info('control-socket', { path: socketPath });

  let closing: Promise<void> | undefined;
  return {
    path: socketPath,
    close: () => {
      closing ??= (async () => {
        process.off('exit', onExit);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const c of connections) c.end();
        // A caller that keeps its connection open must not hold up the exit.
        const timer = setTimeout(() => {
          for (const c of connections) c.destroy();
        }, 500);
        timer.unref();
        removeIfOurs();
        await closed;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}

/**
 * Before listening: a socket file left by a session that died is removed;
 * one that answers belongs to a running session (refused); any other file
 * is never touched.
 */
async function clearOldSocket(socketPath: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new ControlSocketError(`${socketPath} exists and is not a socket`, 'choose another path with --control PATH');
  const probe = await probeSocket(socketPath);
  if (probe === 'live') throw new ControlSocketError(`another roundtable session already listens on ${socketPath}`, 'choose another path with --control PATH');
  if (probe === 'denied') throw new ControlSocketError(`permission denied on ${socketPath}`, 'it belongs to another user: choose another path with --control PATH');
  removeStaleSocket(socketPath);
}
