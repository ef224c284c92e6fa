import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { Header } from '../../../src/ui/components/Header.js';
import { makeSnapshot } from '../fake-controller.js';

afterEach(() => cleanup());

const frame = (snapshot: ReturnType<typeof makeSnapshot>): string => render(<Header snapshot={snapshot} columns={120} leaving={false} />).lastFrame() ?? '';

describe('Header: how the room\'s media travels (docs/architecture.md §11)', () => {
  it('says "via SFU — end-to-end encrypted, the SFU cannot hear" in an SFU room, "mesh" in a mesh room, nothing before the server has said', () => {
    expect(frame(makeSnapshot({ mediaPath: 'sfu' }))).toContain('media via SFU — end-to-end encrypted, the SFU cannot hear');
    expect(frame(makeSnapshot({ mediaPath: 'mesh' }))).toContain('media mesh');
    expect(frame(makeSnapshot())).not.toContain('media ');
  });
});
