import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerList } from '../../../src/ui/components/PeerList.js';
import { layoutFor } from '../../../src/ui/layout.js';
import { makePeer } from '../fake-controller.js';

afterEach(() => cleanup());

const peers = [
  makePeer('p1', { name: 'alice', speaking: true, level: 1, rttMs: 120.4, lossPercent: 12.3, jitterBufferMs: 80 }),
  makePeer('p2', { name: 'a-very-long-display-name-indeed', mutedByMe: true, volumePercent: 0, state: 'failed' }),
];

function lines(columns: number, selected = 0): string[] {
  const r = render(<PeerList peers={peers} selected={selected} layout={layoutFor(columns)} />);
  return (r.lastFrame() ?? '').split('\n');
}

describe('PeerList', () => {
  it('wide: column heads and every figure, names cut with an ellipsis', () => {
    const [head, alice, other] = lines(80);
    expect(head).toMatch(/peer\s+level\s+vol\s+loss\s+jbuf\s+rtt\s+state/);
    expect(alice).toMatch(/^▸ ● alice\s+██████████\s+100%\s+12%\s+80ms\s+120ms\s+connected$/);
    expect(other).toMatch(/^ {2}○ a-very-long-displ…\s+·+\s+0% muted\s+0\.0%\s+40ms\s+–\s+failed$/);
  });

  it('medium: link figures move to the stats panel', () => {
    const [head, alice] = lines(60);
    expect(head).not.toContain('loss');
    expect(alice).not.toContain('120ms');
    expect(alice).toContain('connected');
    expect(alice).toContain('████████'); // 8-cell meter
  });

  it('narrow: name, volume, muted mark, state symbol', () => {
    const [, alice, other] = lines(36, 1);
    expect(alice).toMatch(/^ {2}● alice\s+100%\s+✓$/);
    expect(other).toMatch(/^▸ ○ a-very-long-display…\s+0% M {2}!$/);
  });

  it('a peer who records has a red REC beside the name (wide) or a dot (narrow), never cut off', () => {
    const rec = [makePeer('p3', { name: 'a-very-long-display-name-indeed', recording: true })];
    const wide = (render(<PeerList peers={rec} selected={-1} layout={layoutFor(80)} />).lastFrame() ?? '').split('\n')[1]!;
    expect(wide).toMatch(/^ {2}○ a-very-long-… ●REC ·+/); // 18 name cells: 13 of name, 5 of mark
    const narrow = (render(<PeerList peers={rec} selected={-1} layout={layoutFor(36)} />).lastFrame() ?? '').split('\n')[1]!;
    expect(narrow).toMatch(/^ {2}○ a-very-long-displ… ●\s+100%/); // 20 name cells: 18 of name, 2 of mark
  });

  it('says so when there is nobody', () => {
    const r = render(<PeerList peers={[]} selected={-1} layout={layoutFor(80)} />);
    expect(r.lastFrame()).toBe('No one else here yet.');
  });
});
