/**
 * When a room's media goes through the SFU (docs/architecture.md §11,
 * "Switching at a size"): a mesh costs every member one upstream per peer,
 * so a room that grows past `sfuThreshold` members moves to the SFU, and
 * one that shrinks to `meshThreshold` or fewer moves back. The two numbers
 * differ (hysteresis) so that a room whose size bounces around one of them
 * does not switch with every join and leave: each switch costs every member
 * a second path for a few seconds.
 *
 * Pure: the in-memory directory (memory-directory.ts) asks after every join
 * and leave and tells the members when the answer changed.
 */

/** Switch to the SFU when a 7th member joins. */
export const DEFAULT_SFU_THRESHOLD = 6;

export interface MediaModeThresholds {
  /** More members than this: the room goes through the SFU. 0 turns automatic switching off. */
  readonly sfuThreshold: number;
  /** This many members or fewer: an automatically switched room goes back to the mesh (≤ sfuThreshold). */
  readonly meshThreshold: number;
}

/**
 * The mesh threshold when none is given: two below the SFU threshold (a
 * room of 7 that switched returns to the mesh at 4), at least 1, so a room
 * that had to grow by one to switch must shrink by three to switch back.
 */
export function defaultMeshThreshold(sfuThreshold: number): number {
  return Math.min(sfuThreshold, Math.max(1, sfuThreshold - 2));
}

/** Checks the numbers a server was given; a message that says what is wrong, else undefined. */
export function thresholdsProblem(t: MediaModeThresholds): string | undefined {
  if (!Number.isInteger(t.sfuThreshold) || t.sfuThreshold < 0) return `the SFU threshold must be an integer >= 0 (0: never switch), got ${t.sfuThreshold}`;
  if (t.sfuThreshold === 0) return undefined;
  if (!Number.isInteger(t.meshThreshold) || t.meshThreshold < 1 || t.meshThreshold > t.sfuThreshold) {
    return `the mesh threshold must be an integer from 1 to the SFU threshold (${t.sfuThreshold}), got ${t.meshThreshold}`;
  }
  return undefined;
}

export interface RoomMode {
  /** The room's media goes through the SFU now. */
  readonly viaSfu: boolean;
  /** Its first member asked for the SFU (`create --sfu`): it stays there whatever its size. */
  readonly pinned: boolean;
}

/** The room's mode once it has `members` members. */
export function nextViaSfu(mode: RoomMode, members: number, t: MediaModeThresholds): boolean {
  if (mode.pinned) return true;
  if (t.sfuThreshold === 0) return mode.viaSfu;
  if (!mode.viaSfu) return members > t.sfuThreshold;
  return members > t.meshThreshold;
}
