/** Client side of signaling, used by the mesh. */
export {
  SignalingClient,
  SignalingError,
  type ReconnectOptions,
  type SignalingClientOptions,
  type SignalingCounters,
  type SignalingEvents,
  type SignalingPeer,
  type SignalingState,
} from './client.js';
export { backoffDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from '../../core/backoff.js';
