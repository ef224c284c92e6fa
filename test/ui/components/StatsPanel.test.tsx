import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { StatsPanel } from '../../../src/ui/components/StatsPanel.js';

afterEach(() => cleanup());

const frame = (priority: Parameters<typeof StatsPanel>[0]['priority'], columns = 120): string => (render(<StatsPanel peers={[]} columns={columns} priority={priority} />).lastFrame() ?? '').replace(/\s+/g, ' ');

describe('StatsPanel: how the system schedules the audio engine (README, "Audio first on the CPU")', () => {
  it('says real time, or what is missing and where to look, in the wide table and the narrow list alike', () => {
    for (const columns of [120, 60]) {
      expect(frame('realtime', columns)).toContain('audio engine: real-time priority');
      expect(frame('raised', columns)).toContain('raised priority, not real time');
      expect(frame('raised', columns)).toContain('audio group');
      expect(frame('normal', columns)).toContain('normal priority');
      expect(frame('normal', columns)).toContain('audio.realtimePriority');
    }
  });

  it('says nothing of it where the engine is not a process of ours', () => {
    expect(frame(undefined)).not.toContain('audio engine');
  });
});
