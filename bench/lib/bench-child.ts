/**
 * A benchmark's helper process (a load generator, a signaling node) forked
 * from a module beside the caller, whether the benchmarks run from sources
 * (tsx) or from dist/bench (compiled), with an IPC channel: the child gets
 * its config as the first message and answers `{ ok, result | error }`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Fork `name` (a module name without extension, in the directory of `callerUrl`); `marker` is set to '1' in its environment.
 * PROF_DIR=DIR in the environment writes each helper's CPU profile there (--cpu-prof), to see where a run's time went.
 */
export function forkSibling(callerUrl: string, name: string, marker: string): ChildProcess {
  const self = fileURLToPath(callerUrl);
  const isTs = self.endsWith('.ts');
  const dir = self.slice(0, self.lastIndexOf('/') + 1);
  return fork(`${dir}${name}.${isTs ? 'ts' : 'js'}`, [], {
    execArgv: [...(isTs ? ['--import', 'tsx'] : []), ...(process.env.PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROF_DIR}`] : [])],
    env: { ...process.env, [marker]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

type Reply<R> = { ok: true; result: R } | { ok: false; error: string };

/** Send `request` and wait for the child's next `{ ok, result | error }` (or its end). */
export function ask<R>(child: ChildProcess, request: unknown, what: string): Promise<R> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Reply<R>): void => {
      cleanup();
      if (m.ok) resolve(m.result);
      else reject(new Error(`${what} failed: ${m.error}`));
    };
    // 'close' (not 'exit') comes after the IPC channel has delivered everything.
    const onClose = (code: number | null): void => {
      cleanup();
      reject(new Error(`${what} exited with code ${code} before reporting`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('close', onClose);
    };
    child.on('message', onMessage);
    child.once('close', onClose);
    child.once('error', reject);
    child.send(request as object);
  });
}

/** In a child: answer every request with `handle`'s result (or its error). */
export function serveRequests<Q, R>(handle: (request: Q) => Promise<R>): void {
  process.on('message', (request: Q) => {
    handle(request).then(
      (result) => process.send!({ ok: true, result }),
      (err: unknown) => process.send!({ ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
}
