/**
 * The client side of the control socket (`roundtable ctl`): connect, send
 * one request, read its response (validated with the shared schema). Every
 * failure is a ControlSocketError whose message says what went wrong in
 * words: nobody listening, no permission, no answer, a garbled answer.
 */
import { connect, type Socket } from 'node:net';
import { encodeControlLine, LineSplitter, parseControlResponse, type ControlRequestBody, type ControlResponse } from './protocol.js';
import { ControlSocketError, NO_SESSION_MESSAGE } from './socket-path.js';

export interface ControlExchange {
  readonly response: ControlResponse;
  /** Resolves when the session closes the connection (after `leave`: once it has left), or after `timeoutMs`. */
  closed(timeoutMs: number): Promise<boolean>;
}

function connectError(socketPath: string, err: NodeJS.ErrnoException): ControlSocketError {
  switch (err.code) {
    case 'ENOENT':
      return new ControlSocketError(`${NO_SESSION_MESSAGE} (no socket at ${socketPath})`);
    case 'ECONNREFUSED':
      return new ControlSocketError(`the session behind ${socketPath} is gone (nobody listens; a stale socket file)`);
    case 'EACCES':
    case 'EPERM':
      return new ControlSocketError(`permission denied on ${socketPath}`, 'it belongs to another user; run ctl as the user who started the session');
    default:
      return new ControlSocketError(`cannot talk to the session at ${socketPath}: ${err.message}`);
  }
}

/** Send one request and wait for its response (at most `timeoutMs`). */
export function requestControl(socketPath: string, request: ControlRequestBody, timeoutMs = 5000): Promise<ControlExchange> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(socketPath);
    socket.setEncoding('utf8');
    const lines = new LineSplitter();
    let answered = false;
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    const fail = (err: ControlSocketError): void => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new ControlSocketError(`the session at ${socketPath} did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => socket.write(encodeControlLine(request)));
    socket.on('error', (err: NodeJS.ErrnoException) => fail(connectError(socketPath, err)));
    socket.once('close', () => fail(new ControlSocketError(`the session at ${socketPath} closed the connection without answering`)));
    socket.on('data', (chunk: string) => {
      if (answered) return;
      let got: string[];
      try {
        got = lines.push(chunk);
      } catch (err) {
        fail(new ControlSocketError(`the session's answer is too long: ${(err as Error).message}`));
        return;
      }
      const first = got[0];
      if (first === undefined) return;
      const parsed = parseControlResponse(first);
      if (!parsed.ok) {
        fail(new ControlSocketError(`the session's answer is not understood: ${parsed.error}`));
        return;
      }
      answered = true;
      clearTimeout(timer);
      // After leave the connection stays open: the session closes it once it has left.
      if (request.cmd !== 'leave') socket.end();
      resolve({
        response: parsed.value,
        closed: async (waitMs) => {
          let t: ReturnType<typeof setTimeout> | undefined;
          const gone = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => (t = setTimeout(() => r(false), waitMs)))]);
          clearTimeout(t);
          socket.destroy();
          return gone;
        },
      });
    });
  });
}
