/**
 * The network a browser in an SFU room is tested and measured in
 * (docs/architecture.md §11): Janus and coturn in the Janus namespace
 * (janus.ts: it needs an interface of its own), where the caller also runs
 * `roundtable serve` on SERVE_PORT and the terminals; Chromium in a
 * namespace with only `lo` (netns.ts), joined to the other by ns-bridge.ts
 * (the server's, Janus's and TURN's TCP ports, and TURN over UDP). The page
 * is loaded from 127.0.0.1 (only there is it a secure context) and is
 * relay-only through that TURN, so no packet leaves either namespace.
 * Used by test/e2e/browser-sfu.test.ts and bench/browser-latency.ts.
 */
import { startCoturnIn, type NamespacedCoturn } from './coturn.js';
import { startJanus, type JanusInstance } from './janus.js';
import { createNetNs, type NetNs } from './netns.js';
import { bridgeTcp, type NsBridge } from './ns-bridge.js';

/** Fixed ports: both namespaces are fresh, and the bridge carries these. */
export const SERVE_PORT = 8400;
export const JANUS_WS_PORT = 8188;

export interface BrowserSfuNet {
  readonly janus: JanusInstance;
  readonly turn: NamespacedCoturn;
  /** Chromium's namespace (only `lo`, plus the Janus namespace's address on it for the bridge). */
  readonly chromeNs: NetNs;
  /**
   * The page's query for `code`: no STUN, relay-only through the bridged TURN
   * over `turnOver` (TCP reaches Janus; a mesh link to a terminal needs UDP,
   * libjuice #355), no voice processing, the participant exposed (?debug=1).
   */
  pageUrl(code: string, turnOver: 'tcp' | 'udp'): string;
  stop(): Promise<void>;
}

/**
 * Start Janus and coturn, let the caller start `roundtable serve` in the
 * Janus namespace on SERVE_PORT (`startServe`), then bridge the browser's
 * namespace to it. Everything started is stopped again on failure.
 */
export async function startBrowserSfuNet(opts: { dir: string; startServe(janus: JanusInstance): Promise<void> }): Promise<BrowserSfuNet> {
  const janus = await startJanus();
  if (new URL(janus.wsUrl).port !== String(JANUS_WS_PORT)) {
    await janus.stop();
    throw new Error(`Janus listens on ${janus.wsUrl}, not port ${JANUS_WS_PORT} as the bridge expects`);
  }
  const turn = startCoturnIn(janus.ns, janus.address);
  let chromeNs: NetNs | undefined;
  let bridge: NsBridge | undefined;
  const stop = async (): Promise<void> => {
    await bridge?.stop();
    chromeNs?.remove();
    await turn.stop();
    await janus.stop();
  };
  try {
    await opts.startServe(janus);
    chromeNs = createNetNs('rt-websfu');
    bridge = await bridgeTcp({ client: chromeNs, server: janus.ns, host: janus.address, ports: [SERVE_PORT, JANUS_WS_PORT, turn.port], udpPorts: [turn.port], dir: opts.dir });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    janus,
    turn,
    chromeNs,
    pageUrl: (code, turnOver) => {
      // TURN at 127.0.0.1 (bridged): libwebrtc will not reach a TURN server on another address from its loopback network (error 701).
      const turnUrl = `turn:127.0.0.1:${turn.port}${turnOver === 'tcp' ? '?transport=tcp' : ''}`;
      return `http://127.0.0.1:${SERVE_PORT}/?ice=none&processing=off&debug=1&turn=${encodeURIComponent(turnUrl)}&turnUser=${turn.username}&turnCredential=${turn.credential}&relay=only#${code}`;
    },
    stop,
  };
}
