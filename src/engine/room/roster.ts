/**
 * Who is in the call, from the signaling server's events
 * (docs/architecture.md §4, "mesh rules"):
 *
 * - `joined` lists the peers that were here first: we are the newcomer and
 *   OFFER to each of them. `peer-joined` announces a newcomer, which offers
 *   to us: its entry waits for that offer. The role is fixed for the life of
 *   the entry, so rebuilds never glare. An offer that overtakes its sender's
 *   announcement (events race) creates the answering entry itself; any other
 *   signal from an unknown peer is stale.
 * - A peer the server reports 'left' is torn down at once. For other reasons
 *   it stays while its link is alive (room/liveness.ts), and is swept later.
 * - A peer already known that the server lists again (our rejoin, or its
 *   own) keeps its entry and link: signaling outages never touch links.
 *
 * Every entry is registered with the media engine through a transport that
 * follows whatever link is current, so a rebuilt link keeps the peer's
 * jitter buffer, decoder and stats.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { MediaPort } from '../media/media-port.js';
import type { SignalingEvents, SignalingPeer } from '../signaling/client.js';
import { parseEnvelope } from './envelope.js';
import { isOffer, type LinkLifecycle } from './link-lifecycle.js';
import { linkAlive, quietPeersOffServer } from './liveness.js';
import { createPeerEntry, type PeerEntry, type PeerRole } from './peer-entry.js';
import type { PeerSessionStats } from './views.js';

export interface RosterOptions {
  readonly engine: Pick<MediaPort, 'addPeer' | 'removePeer'>;
  readonly links: LinkLifecycle;
  /** The server's current list, for the name of a peer whose offer overtook its announcement. */
  readonly serverPeers: () => readonly SignalingPeer[];
  readonly clock: Clock;
  readonly log: Logger;
  readonly aliveWindowMs: number;
  /** The figures kept for a peer that leaves (views.ts). */
  readonly finalStats: (entry: PeerEntry, goneReason: string) => PeerSessionStats;
  /** Something a snapshot shows has changed. */
  readonly changed: () => void;
  /** A peer came into the call (a new entry), or left it (torn down). */
  readonly arrived?: (entry: PeerEntry) => void;
  readonly departed?: (entry: PeerEntry, reason: string) => void;
  /** A chat-channel message a peer sent through the relay (envelope.ts `chat`). */
  readonly chat?: (entry: PeerEntry, text: string) => void;
}

export class Roster {
  private readonly opts: RosterOptions;
  private readonly entries = new Map<string, PeerEntry>();
  private readonly gone: PeerSessionStats[] = [];
  /**
   * The room's media goes through the SFU (docs/architecture.md §11): new
   * entries are names and presence only, no links; the media side adds and
   * removes each peer's stream itself, by peer id, as the SFU announces it.
   * While a room switches, entries keep or get their mesh path one by one
   * (releaseMesh, buildMesh), so `entry.mesh` says what each one has.
   */
  viaSfu = false;

  constructor(options: RosterOptions) {
    this.opts = options;
  }

  /** Current peers, in the order they became known. */
  get peers(): IterableIterator<PeerEntry> {
    return this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Final figures of the peers that left, in the order they left. */
  get departed(): readonly PeerSessionStats[] {
    return this.gone;
  }

  /** True while `entry` is the one the roster holds for its peer. */
  holds(entry: PeerEntry): boolean {
    return this.entries.get(entry.id) === entry;
  }

  onJoined(e: SignalingEvents['joined']): void {
    this.opts.log.info('joined', { selfId: e.selfId, peers: e.peers.length, rejoin: e.rejoin });
    for (const p of e.peers) {
      const entry = this.entries.get(p.id);
      if (entry !== undefined) {
        entry.inRoster = true;
        entry.name = p.name;
        continue;
      }
      // They were here first: we are the newcomer and offer.
      this.add(p.id, p.name, 'offerer');
    }
    this.opts.changed();
  }

  onPeerJoined(e: SignalingEvents['peer-joined']): void {
    const entry = this.entries.get(e.id);
    if (entry !== undefined) {
      entry.inRoster = true;
      entry.name = e.name;
      this.opts.log.info('peer-back-on-server', { peer: e.id, name: e.name });
      return;
    }
    // The newcomer offers to us: wait for its offer.
    this.add(e.id, e.name, 'answerer');
    this.opts.changed();
  }

  onPeerLeft(e: SignalingEvents['peer-left']): void {
    const entry = this.entries.get(e.id);
    if (entry === undefined) return;
    if (e.reason !== 'left' && linkAlive(entry, this.opts.clock.now(), this.opts.aliveWindowMs)) {
      // Its signaling dropped but media still flows: keep the call, the liveness sweep checks again.
      entry.inRoster = false;
      this.opts.log.info('peer-off-server-link-alive', { peer: e.id, name: entry.name, reason: e.reason });
      return;
    }
    this.teardown(entry, e.reason);
  }

  /** A relayed payload from `from`: a session envelope for its links. */
  onSignal(from: string, data: unknown): void {
    const env = parseEnvelope(data);
    if (env === null) {
      this.opts.log.warn('bad-envelope', { from });
      return;
    }
    let entry = this.entries.get(from);
    if (env.t === 'chat') {
      // Only from someone in the call: a message has to count for a peer we know.
      if (entry !== undefined) this.opts.chat?.(entry, env.text);
      else this.opts.log.warn('chat-from-unknown-peer', { from });
      return;
    }
    if (env.t === 'via') {
      if (entry !== undefined && (entry.heardVia !== env.path || entry.heardSfu !== env.sfu)) {
        entry.heardVia = env.path;
        entry.heardSfu = env.sfu;
        this.opts.log.info('peer-hears-us-via', { peer: from, path: env.path, sfu: env.sfu });
      }
      return;
    }
    if (entry === undefined) {
      // An offer from someone not announced yet (events raced); anything else is stale.
      // Through the SFU nobody offers: each member talks to the SFU.
      if (this.viaSfu || env.t !== 'link' || !isOffer(env.signal)) return;
      entry = this.add(from, this.nameOf(from), 'answerer');
    }
    // A peer whose mesh path is closed has no link to negotiate (a late candidate of the one we closed).
    if (!entry.mesh) return;
    this.opts.links.onEnvelope(entry, env);
  }

  /**
   * The room went through the SFU and this peer's stream plays from it: close
   * the mesh link, keep the entry. The media side keeps the peer's stream
   * (it is fed by the SFU now); `removePeer` only ends its mesh path there.
   */
  releaseMesh(entry: PeerEntry, reason: string): void {
    if (!entry.mesh) return;
    this.opts.links.release(entry);
    entry.mesh = false;
    entry.linkState = 'none';
    this.opts.engine.removePeer(entry.id);
    this.opts.log.info('mesh-link-closed', { peer: entry.id, name: entry.name, reason });
    this.opts.changed();
  }

  /**
   * The room came back to the mesh: this peer's mesh path again, by the same
   * rule as at the start (the entry's role: whoever joined later offers), in
   * a newer generation than any link the two ever had, so the answer follows.
   */
  buildMesh(entry: PeerEntry): void {
    if (entry.mesh) return;
    this.attachMesh(entry);
    if (entry.role === 'offerer') this.opts.links.replaceLink(entry, entry.gen + 1);
  }

  /** Tear down the peers that are off the server and whose link went quiet (liveness.ts). */
  sweep(): void {
    for (const entry of quietPeersOffServer([...this.entries.values()], this.opts.clock.now(), this.opts.aliveWindowMs)) {
      this.teardown(entry, 'disconnected');
    }
  }

  /** The peer is gone: close its link, drop it from the engine, keep its final figures. */
  teardown(entry: PeerEntry, reason: string): void {
    if (!this.holds(entry)) return;
    const final = this.opts.finalStats(entry, reason);
    this.opts.links.release(entry);
    this.entries.delete(entry.id);
    if (entry.mesh) this.opts.engine.removePeer(entry.id);
    entry.state = 'closed';
    this.gone.push({ ...final, state: 'closed' });
    this.opts.log.info('peer-left', { peer: entry.id, name: entry.name, reason });
    this.opts.departed?.(entry, reason);
    this.opts.changed();
  }

  /** We leave: say so on every link first (a BYE, mesh/peer-link.ts sayGoodbye). */
  sayGoodbye(): void {
    for (const entry of this.entries.values()) entry.link?.sayGoodbye?.();
  }

  /** We leave: release every peer (the engine drops its peers when it stops). */
  releaseAll(reason: string): void {
    for (const entry of [...this.entries.values()]) {
      const final = this.opts.finalStats(entry, reason);
      this.opts.links.release(entry);
      this.gone.push({ ...final, state: 'closed' });
    }
    this.entries.clear();
  }

  private add(id: string, name: string, role: PeerRole): PeerEntry {
    const entry = createPeerEntry(id, name, role, this.opts.clock.now());
    this.entries.set(id, entry);
    if (this.viaSfu) {
      this.opts.log.info('peer-joined', { peer: id, name, via: 'sfu' });
      this.opts.arrived?.(entry);
      return entry;
    }
    this.attachMesh(entry);
    this.opts.log.info('peer-joined', { peer: id, name, role });
    this.opts.arrived?.(entry);
    if (role === 'offerer') this.opts.links.replaceLink(entry, 1);
    return entry;
  }

  /** The peer's media follows its current link (a rebuilt link keeps the peer's stream and stats). */
  private attachMesh(entry: PeerEntry): void {
    entry.mesh = true;
    this.opts.engine.addPeer(entry.id, {
      sendRtp: (packet) => entry.link?.sendRtp(packet) ?? false,
      sendRtcp: (packet) => entry.link?.sendRtcp(packet) ?? false,
      isOpen: () => entry.link?.isOpen === true,
    });
  }

  private nameOf(id: string): string {
    return this.opts.serverPeers().find((p) => p.id === id)?.name ?? `peer-${id.slice(0, 6)}`;
  }
}
