/**
 * The WebSocket as the signaling client (and the Janus client,
 * sfu/janus-client.ts) needs it, so that one client runs over `ws` in Node
 * (node-socket.ts) and over the browser's WebSocket in the web client
 * (src/web/browser-socket.ts): each protocol exists once
 * (docs/architecture.md §7).
 */

export interface SignalSocketHandlers {
  onOpen(): void;
  onText(text: string): void;
  /** A binary frame arrived (the protocol has none: counted as invalid). */
  onBinary(): void;
  onError(message: string): void;
  /** Called once, last. */
  onClose(code: number, reason: string): void;
}

export interface SignalSocketOptions {
  /** Give up on an opening handshake after this long (then error + close). */
  handshakeTimeoutMs: number;
  /** Largest frame accepted from the server. */
  maxPayloadBytes: number;
  /** The WebSocket subprotocol to ask for (RFC 6455 §1.9): Janus wants `janus-protocol`; signaling asks for none. */
  protocol?: string;
}

export interface SignalSocket {
  readonly isOpen: boolean;
  readonly isClosed: boolean;
  /** Resolves once onClose has been called. */
  readonly closed: Promise<void>;
  send(text: string): void;
  /** Closing handshake (code 1000). */
  close(reason: string): void;
  /** Drop the connection now, without a handshake where the platform allows. */
  terminate(): void;
}

/** Opens one socket; throws synchronously on a malformed URL. */
export type SignalSocketOpener = (url: string, handlers: SignalSocketHandlers, options: SignalSocketOptions) => SignalSocket;
