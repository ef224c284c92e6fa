/**
 * The one module that imports node-datachannel (DESIGN.md §2). It re-exports
 * the classes PeerLink builds links from, and owns the process-wide
 * concerns: the native logger (which needs a JS callback, and must never
 * throw back into native code) and the final cleanup() without which the
 * process does not exit (DESIGN.md §4).
 */
import nodeDataChannel from 'node-datachannel';

export { Audio, PeerConnection, RtcpSrReporter, RtpPacketizationConfig } from 'node-datachannel';
export type { DataChannel, RtcConfig, Track } from 'node-datachannel';
import { silentLogger, type Logger } from '../../core/log.js';

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
 * Release every native resource so the process can exit. Close all links
 * first; after this, creating a new PeerLink is not supported.
 */
export function shutdownMesh(): void {
  try {
    nodeDataChannel.cleanup();
  } catch (err) {
    nativeLogger.warn('mesh-cleanup-failed', { err });
  }
}
