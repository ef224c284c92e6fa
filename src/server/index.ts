/** The signaling server (`roundtable serve`). */
export {
  startSignalingServer,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_HOST,
  DEFAULT_MAX_PEERS_PER_ROOM,
  DEFAULT_MAX_PEERS_PER_SFU_ROOM,
  defaultRoomLimit,
  DEFAULT_PORT,
  type ClusterOptions,
  type SignalingServer,
  type SignalingServerOptions,
} from './server.js';
export { CONTENT_SECURITY_POLICY, defaultWebRoot, WEB_NOT_BUILT_MESSAGE, WebRootError } from './static-files.js';
export { DEFAULT_LIMITS, resolveLimits, type ServerLimits } from './limits.js';
export type { MetricsSnapshot } from './metrics.js';
export { RoomManager } from './room-manager.js';
export { Room, type RoomMember } from './room.js';
export { TokenBucket } from './token-bucket.js';
export { generateNodeId, isValidNodeId } from './node-id.js';
export { redactRedisUrl, redisUrlProblem } from './redis-url.js';
export type { RoomDirectory, DirectoryEvents, DirectoryMember } from './directory.js';
