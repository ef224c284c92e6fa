/**
 * Which peer row is selected. Remembered by id (so the highlight follows a
 * peer when others join or leave) plus the last index (so when the selected
 * peer leaves, the row that moved into its place is selected, clamped to the
 * list).
 */
export interface Selection {
  readonly peerId: string | undefined;
  readonly index: number;
}

export const NO_SELECTION: Selection = { peerId: undefined, index: 0 };

interface HasId {
  readonly id: string;
}

/** Index of the selected row in `peers`, or -1 when there are none. */
export function selectedIndex(peers: readonly HasId[], selection: Selection): number {
  if (peers.length === 0) return -1;
  if (selection.peerId !== undefined) {
    const found = peers.findIndex((p) => p.id === selection.peerId);
    if (found >= 0) return found;
  }
  return Math.min(Math.max(0, selection.index), peers.length - 1);
}

/** Move up (-1) or down (+1), wrapping around the ends. */
export function moveSelection(peers: readonly HasId[], selection: Selection, delta: number): Selection {
  if (peers.length === 0) return selection;
  const from = selectedIndex(peers, selection);
  const to = (((from + delta) % peers.length) + peers.length) % peers.length;
  return { peerId: peers[to]?.id, index: to };
}
