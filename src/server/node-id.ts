/**
 * A signaling node's name when several share rooms through Redis
 * (docs/architecture.md §5, "Several nodes"): given with `--node-id`, or
 * made up at start. Log lines carry it, and Redis keys its channel by it
 * (with a random suffix per start, so a node restarted under the same name
 * never receives what was meant for its previous life).
 */
import { randomBytes } from 'node:crypto';

/** Letters, digits, `.`, `_` and `-`: safe in log lines, Redis channel names and the records' space-separated fields. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/u;

export function isValidNodeId(id: string): boolean {
  return NODE_ID_PATTERN.test(id);
}

/** A fresh node name: `node-` and 6 random base64url characters. */
export function generateNodeId(): string {
  return `node-${randomBytes(5).toString('base64url').slice(0, 6)}`;
}

/** This start of node `nodeId`: its name and a random suffix (what Redis records and channels are keyed by). */
export function nodeInstance(nodeId: string): string {
  return `${nodeId}~${randomBytes(6).toString('base64url')}`;
}
