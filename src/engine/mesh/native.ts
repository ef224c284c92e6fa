/**
 * The one module that imports node-datachannel (docs/architecture.md §6). It re-exports
 * the classes PeerLink builds links from, and owns the process-wide
 * concerns: the native logger (which needs a JS callback, and must never
 * throw back into native code) and the final cleanup() without which the
 * process does not exit (docs/architecture.md §6).
 */
import nodeDataChannel from 'node-datachannel';

export { Audio, PeerConnection, RtcpSrReporter, RtpPacketizationConfig } from 'node-datachannel';
export type { DataChannel, RtcConfig, Track } from 'node-datachannel';
import { silentLogger, type Logger } from '../../core/logger.js';

type NativeLevel = 'Verbose' | 'Debug' | 'Info' | 'Warning' | 'Error' | 'Fatal';

let nativeLogger: Logger = silentLogger;
let loggerInstalled = false;

/**
 * Route libdatachannel's own log lines to `logger` at `level` and above.
 * Call once early (the CLI does); PeerLink installs a silent Warning-level
 * route on first use otherwise, so native logs never reach the terminal.
 */
export function configureMeshLogging(logger: Logger, level: NativeLevel = 'Warning'): void {
  nativeLogger = logger.child({ component: 'libdatachannel' });
  installNativeLogger(level);
}

/** @internal used by PeerLink. */
export function ensureNativeLogging(): void {
  if (!loggerInstalled) installNativeLogger('Warning');
}

function installNativeLogger(level: NativeLevel): void {
  loggerInstalled = true;
  nodeDataChannel.initLogger(level, (lvl, message) => {
    // Runs inside a native callback: an exception here would abort the process.
    try {
      if (lvl === 'Error' || lvl === 'Fatal') nativeLogger.error('native-log', { message });
      else if (lvl === 'Warning') nativeLogger.warn('native-log', { message });
      else nativeLogger.debug('native-log', { message });
    } catch {
      /* nothing sensible left to do: never rethrow into native code */
    }
  });
}

/**
 * Who owns a native object's memory (docs/architecture.md §6 "Native
 * bindings: facts and pitfalls"). node-datachannel 0.33 lists every Track
 * and DataChannel wrapper in a process-wide set that cleanup() walks, and
 * takes a wrapper out of it only right after delivering its onClosed
 * callback, or in cleanup() itself: the wrapper's destructor does not. So a
 * Track that the GC finalizes before its onClosed has been delivered stays
 * in that set as a dangling pointer, and cleanup() calls into freed memory:
 * SIGSEGV in rtc::Track::close(), SIGBUS, or a hang in
 * napi_release_threadsafe_function (backtraces in the commit message). The
 * window is real, not theoretical: close() called from a socket event (a
 * WebSocket 'close') queues onClosed for the next poll phase, while napi
 * finalizers run from an immediate, in the check phase before it. A Track
 * can also be closed by its PeerConnection from a libdatachannel thread,
 * whose onClosed then calls into the wrapper: it must still exist.
 *
 * Hence the rule: JS holds each Track and DataChannel from creation
 * (holdNative) until its onClosed has been delivered (releaseNative), or
 * until shutdownMesh() has run cleanup(); dropping the last JS reference is
 * never how one is let go. A PeerConnection needs no hold beyond its owner's
 * field: its destructor does leave its set, and close() makes its last
 * native call into the wrapper ('closed') and unhooks the rest before it
 * returns.
 */
const held = new Set<object>();

export function holdNative<T extends object>(obj: T): T {
  held.add(obj);
  return obj;
}

/**
 * Call from `obj`'s last callback. node-datachannel unregisters the wrapper
 * right after that callback returns, so the hold ends one turn later.
 */
export function releaseNative(obj: object): void {
  if (held.has(obj)) setImmediate(() => held.delete(obj));
}

/**
 * Release every native resource so the process can exit. Close all links
 * first; after this, creating a new PeerLink is not supported. cleanup()
 * closes and unregisters every wrapper still listed and joins
 * libdatachannel's threads; only then may the held objects be collected.
 */
export function shutdownMesh(): void {
  try {
    nodeDataChannel.cleanup();
    held.clear();
  } catch (err) {
    nativeLogger.warn('mesh-cleanup-failed', { err });
  }
}
