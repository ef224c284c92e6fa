/**
 * Which path feeds each remote peer's stream while a room switches between
 * the mesh and the SFU (docs/architecture.md §11, "Switching at a size"):
 * a peer has one stream and up to two paths that can feed it, its mesh link
 * and its SFU subscription. The stream takes audio from exactly one path at
 * a time (`from`): the two carry different SSRC, sequence and timestamp
 * spaces (Janus rewrites them), and mixing them would play garbage. The
 * first audio of the preferred path moves it there; a path that closes
 * under it moves it to the other one, if there is one.
 *
 * Pure bookkeeping, no media: the terminal's media process
 * (media/media-host.ts) and the web page (src/web/browser-media.ts) apply
 * the same rule, each to its own kind of stream.
 */
import type { MediaPath } from '../api.js';

interface PeerPathState {
  mesh: boolean;
  sfu: boolean;
  from: MediaPath;
}

/** What a change did to the peer's stream. */
export type PathChange =
  /** The peer had no stream: make one, fed by this path. */
  | { readonly kind: 'new' }
  /** A second path for a stream that plays from the other one. */
  | { readonly kind: 'second' }
  /** The stream now plays from `to` (its old path closed, or `to` brought audio). */
  | { readonly kind: 'moved'; readonly to: MediaPath }
  /** The last path closed: the stream goes. */
  | { readonly kind: 'gone' }
  | { readonly kind: 'none' };

export class PeerPaths {
  private readonly peers = new Map<string, PeerPathState>();
  /** The path a stream moves to as soon as it brings the peer's audio. */
  preferred: MediaPath = 'mesh';

  /** The path peer `id`'s stream plays from, or undefined when it has no stream. */
  from(id: string): MediaPath | undefined {
    return this.peers.get(id)?.from;
  }

  has(id: string, path: MediaPath): boolean {
    const p = this.peers.get(id);
    return p !== undefined && (path === 'mesh' ? p.mesh : p.sfu);
  }

  ids(): IterableIterator<string> {
    return this.peers.keys();
  }

  add(id: string, path: MediaPath): PathChange {
    const p = this.peers.get(id);
    if (p === undefined) {
      this.peers.set(id, { mesh: path === 'mesh', sfu: path === 'sfu', from: path });
      return { kind: 'new' };
    }
    if (path === 'mesh') p.mesh = true;
    else p.sfu = true;
    return { kind: 'second' };
  }

  remove(id: string, path: MediaPath): PathChange {
    const p = this.peers.get(id);
    if (p === undefined || !this.has(id, path)) return { kind: 'none' };
    if (path === 'mesh') p.mesh = false;
    else p.sfu = false;
    if (!p.mesh && !p.sfu) {
      this.peers.delete(id);
      return { kind: 'gone' };
    }
    if (p.from !== path) return { kind: 'none' };
    p.from = path === 'mesh' ? 'sfu' : 'mesh';
    return { kind: 'moved', to: p.from };
  }

  /**
   * Audio of peer `id` arrived on `path`: 'play' when its stream plays from
   * that path, 'moved' when this audio moves the stream there (the preferred
   * path's first audio), 'drop' otherwise.
   */
  audio(id: string, path: MediaPath): 'play' | 'moved' | 'drop' {
    const p = this.peers.get(id);
    if (p === undefined) return 'drop';
    if (p.from === path) return 'play';
    if (path !== this.preferred || !this.has(id, path)) return 'drop';
    p.from = path;
    return 'moved';
  }

  forget(id: string): void {
    this.peers.delete(id);
  }
}
