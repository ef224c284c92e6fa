/**
 * Entry point of a participant's media process, forked by media/remote-media.ts
 * with an IPC channel (docs/architecture.md §1). It runs a MediaHost and
 * ends by itself: after `stop` it closes the links and the engine, releases
 * node-datachannel (cleanup(), without which the process never exits,
 * docs/architecture.md §6) and disconnects. If the control process goes
 * away first (the IPC channel closes), it stops the same way, so no media
 * process outlives its participant; and where this thread cannot run (a
 * native deadlock), a guard thread ends the process (orphan-guard.ts).
 */
import { shutdownMesh, configureMeshLogging } from '../mesh/native.js';
import type { FromMedia, ToMedia } from './host-protocol.js';
import { MediaHost } from './media-host.js';
import { startOrphanGuard } from './orphan-guard.js';

const send = process.send?.bind(process);
if (send === undefined) {
  process.stderr.write('roundtable media process: this module is started by roundtable itself (it needs an IPC channel)\n');
  process.exitCode = 2;
} else {
  const host = new MediaHost({
    send: (message: FromMedia) => {
      if (message.ev === 'stopped') {
        // The last word. Release the native library first, whoever asked for the stop (without
        // cleanup() this process would never exit), then let the channel close once it is written.
        shutdownMesh();
        if (process.connected) send(message, () => process.disconnect());
        return;
      }
      if (process.connected) send(message);
    },
  });
  configureMeshLogging(host.logger);
  // Ctrl-C in a terminal signals the whole foreground process group, this process included. The
  // control process owns our life (it stops us in order, so an output file is finished); if it
  // dies instead, the IPC channel closes and we stop ourselves below.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);
  // If this thread is ever parked on a native lock when the control process dies, nothing above
  // runs: the guard thread ends the process instead (orphan-guard.ts).
  startOrphanGuard();
  process.on('message', (m) => host.handle(m as ToMedia));
  process.once('disconnect', () => host.handle({ op: 'stop' }));
  // A control process that died while this one was still loading (e.g. on EPIPE when its stdout
  // closed) closed the channel before the listener above existed: its 'disconnect' is gone, and
  // node-datachannel, loaded by now, keeps this process alive until cleanup(). Stop now instead.
  if (!process.connected) host.handle({ op: 'stop' });
}
