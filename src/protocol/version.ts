/**
 * Version of the signaling protocol. Every message carries it as `v`; a peer
 * or server that sees another value answers `unsupported-version` instead of
 * guessing. It is also bound into the payload encryption's associated data.
 */
export const PROTOCOL_VERSION = 1 as const;
