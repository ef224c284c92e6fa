/** One remote peer's stream, fed by one path at a time while a room switches (docs/architecture.md §11). */
import { describe, expect, it } from 'vitest';
import { PeerPaths } from '../../../src/engine/media/peer-paths.js';

describe('PeerPaths', () => {
  it('mesh → SFU: the stream stays on the mesh until the preferred SFU brings audio, then never takes mesh audio', () => {
    const p = new PeerPaths();
    expect(p.add('a', 'mesh')).toEqual({ kind: 'new' });
    expect(p.audio('a', 'mesh')).toBe('play');
    expect(p.add('a', 'sfu')).toEqual({ kind: 'second' });
    // Not preferred yet: SFU audio is dropped.
    expect(p.audio('a', 'sfu')).toBe('drop');
    p.preferred = 'sfu';
    expect(p.audio('a', 'mesh')).toBe('play');
    expect(p.audio('a', 'sfu')).toBe('moved');
    expect(p.from('a')).toBe('sfu');
    expect(p.audio('a', 'mesh')).toBe('drop');
    expect(p.audio('a', 'sfu')).toBe('play');
    // The mesh link closes under a stream that plays from the SFU: nothing moves.
    expect(p.remove('a', 'mesh')).toEqual({ kind: 'none' });
    expect(p.has('a', 'mesh')).toBe(false);
    expect(p.remove('a', 'sfu')).toEqual({ kind: 'gone' });
    expect(p.from('a')).toBeUndefined();
  });

  it('a path that closes under the stream moves it to the other one', () => {
    const p = new PeerPaths();
    p.add('a', 'sfu');
    p.add('a', 'mesh');
    expect(p.from('a')).toBe('sfu');
    expect(p.remove('a', 'sfu')).toEqual({ kind: 'moved', to: 'mesh' });
    expect(p.audio('a', 'mesh')).toBe('play');
    expect(p.remove('a', 'sfu')).toEqual({ kind: 'none' });
  });

  it('audio of an unknown peer, or of a path it does not have, is dropped', () => {
    const p = new PeerPaths();
    p.preferred = 'sfu';
    expect(p.audio('x', 'sfu')).toBe('drop');
    p.add('a', 'mesh');
    expect(p.audio('a', 'sfu')).toBe('drop');
    expect(p.from('a')).toBe('mesh');
  });
});
