/**
 * The room directory: what the signaling server asks of "the rooms", whether
 * they live in this process (memory-directory.ts, the default) or are shared
 * by several nodes through Redis (redis-directory.ts, `serve --redis`;
 * docs/architecture.md §5, "Several nodes").
 *
 * The server owns connections (sockets, rate limits, liveness); the
 * directory owns rooms: membership, the lock and who may come back in,
 * knocks, and delivering frames to the members. Each operation changes the
 * room and tells everyone concerned in one step, in the order a single
 * server always used: a join sends `joined` to the newcomer, then
 * `peer-joined` to the others (and `lock` after a relock).
 *
 * What happens to a connection because of someone else (its id taken over,
 * its knock answered, its place lost) comes back as DirectoryEvents, keyed by
 * the connection's id on this node.
 */
import type { MediaModeThresholds } from './media-mode.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { ErrorCode, LeaveReason } from '../protocol/index.js';
import type { RoomMember } from './room.js';

/** Why a knock ends when the last member leaves (the newcomer is told this). */
export const NOBODY_LEFT_TO_ANSWER = 'nobody is left in the room to answer';

/** A connection as the directory sees it (PeerSession on the server). */
export interface DirectoryMember extends RoomMember {
  /** Unique on this node for the node's lifetime. */
  readonly connId: number;
}

export type DirectoryJoin =
  | {
      ok: true;
      /** This join took over a place its client still held (a fast reconnect, maybe through another node). */
      resumed: boolean;
      /** This join locked the room again (protocol `relock`). */
      relocked: boolean;
      roomSize: number;
    }
  | { ok: false; code: ErrorCode; message: string };

export type DirectoryKnock =
  | { ok: true; pending: number }
  /** `retry`: the room is no longer locked (or lets this id in, or is gone): join again. */
  | { ok: false; reason: 'too-many-knocks' | 'id-knocking' | 'retry' };

/** How a knock by one of this node's connections ended, as far as that connection is concerned. */
export type KnockEnding = 'admitted' | 'denied' | 'timeout';

export interface DirectoryEvents {
  /** The same client took its id back on a newer connection: close this one without announcing a leave. */
  replaced(connId: number): void;
  /** This connection's knock ended; on 'admitted' its id may now enter the locked room (join it). */
  knockEnded(connId: number, outcome: KnockEnding, by: string | undefined, why: string | undefined): void;
  /** This connection lost its place (the rooms moved on without it): close it so that its client rejoins. */
  evicted(connId: number, why: string): void;
  /** The shared state became unreachable (true) or reachable again (false). Only a shared directory calls it. */
  outage(down: boolean, detail: string): void;
}

/** What every directory is built with (the server's settings). */
export interface DirectoryOptions {
  maxPeersPerRoom: number;
  maxRooms: number;
  /** Told to every client in `joined`; a shared directory also paces presence by it. */
  heartbeatMs: number;
  knockTimeoutMs: number;
  maxKnocksPerRoom: number;
  clock: Clock;
  log: Logger;
  events: DirectoryEvents;
  /**
   * The SFU (serve --janus) of rooms created with `sfu` and of rooms past the size threshold
   * (media-mode.ts); told to their members in `joined` and `media-path`. A shared directory
   * stores a new room's route and thresholds with it in Redis, so every node tells the same.
   */
  sfu?: { readonly janus: string; readonly publishers: number } & MediaModeThresholds;
}

export interface RoomDirectory {
  /**
   * Put `m` into `roomId` (or give it its place back). On success `joined`
   * has been sent to `m` and the room told. `relock`: the ids the client
   * knew in a room it last saw locked (protocol/messages.ts). `wantsSfu`: the
   * room's first member asks for its media through the SFU (docs/architecture.md §11);
   * later members follow the room, whatever they ask.
   */
  join(m: DirectoryMember, roomId: string, relock: readonly string[] | undefined, wantsSfu?: boolean): Promise<DirectoryJoin>;
  /** Take `m` out of `roomId` if it still holds its place; the others are told why. */
  leave(m: DirectoryMember, roomId: string, reason: LeaveReason): Promise<{ left: boolean; roomSize: number }>;
  /**
   * Relay a sealed payload to peer `to` of the room; false when there is no
   * such peer (or `m` is no longer in the room). The relay is under way when
   * this returns, behind the connection's earlier operations; the answer is
   * at once where the directory knows it at once (in memory), else a promise
   * the server does not wait on before the connection's next message, so a
   * burst of signals is not a chain of round trips to Redis.
   */
  relay(m: DirectoryMember, roomId: string, to: string, payload: string): boolean | Promise<boolean>;
  /** Lock or unlock; everyone in the room is told, and unlocking lets every knock in. False when `m` is no longer in the room. */
  setLock(m: DirectoryMember, roomId: string, locked: boolean): Promise<boolean>;
  /** `m` knocks at the locked `roomId`: the members are asked. */
  knock(m: DirectoryMember, roomId: string): Promise<DirectoryKnock>;
  /** A member answers the knock by `knockerId`; false when it had already ended (the first answer decides). */
  answerKnock(m: DirectoryMember, roomId: string, knockerId: string, admit: boolean): Promise<boolean>;
  /** The knocking connection `m` went away: its knock ends as withdrawn. */
  withdrawKnock(m: DirectoryMember, roomId: string): Promise<void>;
  /** How long a knock waits for an answer. */
  readonly knockTimeoutMs: number;
  /** Rooms with members on this node, and this node's members (GET /metrics). */
  localCounts(): { rooms: number; peers: number };
  /** Stop: timers cancelled, pending knocks dropped; idempotent. */
  close(): Promise<void>;
}

/** Thrown by a shared directory while its shared state cannot be reached. */
export class DirectoryUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DirectoryUnavailableError';
  }
}
