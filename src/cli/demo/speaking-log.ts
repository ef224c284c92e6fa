/**
 * Headless mode's view of the call: one log line when a peer starts or
 * stops speaking (what the TUI shows as the speaking mark), so a CI log
 * shows the bots talking without a terminal.
 */
import type { SessionController } from '../../engine/index.js';
import type { Logger } from '../../core/logger.js';

/** Subscribes to `controller`; returns the unsubscribe function. */
export function logSpeakingChanges(controller: Pick<SessionController, 'subscribe'>, logger: Logger): () => void {
  const speaking = new Map<string, boolean>();
  return controller.subscribe((snapshot) => {
    const present = new Set<string>();
    for (const peer of snapshot.peers) {
      present.add(peer.id);
      const was = speaking.get(peer.id) ?? false;
      if (peer.speaking !== was) {
        speaking.set(peer.id, peer.speaking);
        logger.info(peer.speaking ? 'peer-speaking' : 'peer-quiet', { peer: peer.id, name: peer.name });
      }
    }
    for (const id of [...speaking.keys()]) if (!present.has(id)) speaking.delete(id);
  });
}
