import { describe, expect, it } from 'vitest';
import { moveSelection, NO_SELECTION, selectedIndex } from '../../src/ui/selection.js';

const peers = (...ids: string[]) => ids.map((id) => ({ id }));

describe('selection', () => {
  it('starts on the first peer, none when empty', () => {
    expect(selectedIndex(peers('a', 'b'), NO_SELECTION)).toBe(0);
    expect(selectedIndex([], NO_SELECTION)).toBe(-1);
  });

  it('wraps at both ends', () => {
    const list = peers('a', 'b', 'c');
    const up = moveSelection(list, NO_SELECTION, -1);
    expect(up).toEqual({ peerId: 'c', index: 2 });
    const down = moveSelection(list, up, 1);
    expect(down).toEqual({ peerId: 'a', index: 0 });
  });

  it('follows the selected peer when rows move', () => {
    const sel = moveSelection(peers('a', 'b', 'c'), NO_SELECTION, 1); // b
    expect(selectedIndex(peers('z', 'a', 'b', 'c'), sel)).toBe(2);
  });

  it('clamps to the list when the selected peer leaves', () => {
    const sel = { peerId: 'c', index: 2 };
    expect(selectedIndex(peers('a', 'b'), sel)).toBe(1);
    expect(selectedIndex(peers('a', 'b', 'd'), { peerId: 'c', index: 2 })).toBe(2);
  });

  it('moving with no peers keeps the selection', () => {
    expect(moveSelection([], NO_SELECTION, 1)).toBe(NO_SELECTION);
  });
});
