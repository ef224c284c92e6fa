/**
 * Joining a room from the page: the terminal's room (engine/room/session.ts)
 * and signaling client (engine/signaling/client.ts) over the browser's
 * WebSocket, WebCrypto and RTCPeerConnection. The protocol, the end-to-end
 * encryption and the mesh rules are therefore the terminal's own
 * (docs/architecture.md §7).
 */
import type { Logger } from '../core/logger.js';
import type { IceServerConfig } from '../engine/mesh/ice-servers.js';
import { Session } from '../engine/room/session.js';
import { SignalingClient } from '../engine/signaling/client.js';
import { browserClock } from './browser-clock.js';
import { BrowserMedia } from './browser-media.js';
import { openBrowserSocket } from './browser-socket.js';

export interface BrowserJoinOptions {
  code: string;
  name: string;
  /** ws(s)://host:port/ of the server that served the page. */
  serverUrl: string;
  iceServers: readonly IceServerConfig[];
  /** Only TURN-relayed candidates (the page's relay=only). */
  relayOnly?: boolean;
  /** The browser's echo cancellation / noise suppression / gain control (default on). */
  processing: boolean;
  logger: Logger;
  /** The room is locked: we knocked and wait for someone inside to let us in. */
  onKnocking?: () => void;
}

export interface BrowserParticipant {
  readonly session: Session;
  readonly media: BrowserMedia;
}

/**
 * Builds the participant and joins. The AudioContext is made before the
 * first await, while the click that called this still counts as a user
 * gesture (autoplay policy). Rejects with the microphone's DOMException or
 * the signaling client's SignalingError; nothing is left open then.
 */
export async function joinFromBrowser(opts: BrowserJoinOptions): Promise<BrowserParticipant> {
  const clock = browserClock();
  const media = new BrowserMedia({
    clock,
    logger: opts.logger,
    processing: opts.processing,
    iceServers: opts.iceServers,
    ...(opts.relayOnly === true ? { relayOnly: true } : {}),
  });
  const signaling = new SignalingClient({
    openSocket: openBrowserSocket,
    url: opts.serverUrl,
    code: opts.code,
    name: opts.name,
    clock,
    logger: opts.logger,
    // A page reload is cheap, but a short server restart should not need one.
    connectAttempts: 2,
  });
  const session = new Session({
    engine: media,
    linkFactory: media.linkFactory,
    signaling,
    roomCode: opts.code,
    serverUrl: opts.serverUrl,
    name: opts.name,
    iceServers: [...opts.iceServers],
    ...(opts.relayOnly === true ? { relayOnly: true } : {}),
    clock,
    logger: opts.logger,
  });
  const unsubscribe = session.subscribe((s) => {
    if (s.phase !== 'knocking') return;
    unsubscribe();
    opts.onKnocking?.();
  });
  try {
    await session.start();
  } catch (err) {
    await media.stop().catch(() => undefined);
    throw err;
  } finally {
    unsubscribe();
  }
  return { session, media };
}
