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

describe('StatsPanel: what our encoder sends', () => {
  const codecFrame = (codec: Parameters<typeof StatsPanel>[0]['codec'], columns: number): string =>
    (render(<StatsPanel peers={[]} columns={columns} codec={codec} />).lastFrame() ?? '').replace(/\s+/g, ' ');

  it('shows bitrate, frame and whether low delay is on, in the wide table and the narrow list alike', () => {
    for (const columns of [120, 60]) {
      expect(codecFrame({ frameMs: 20, bitrateBps: 32_000, lowDelay: true }, columns)).toContain('you send: Opus 32 kb/s in 20 ms frames, low delay');
      const plain = codecFrame({ frameMs: 10, bitrateBps: 24_000, lowDelay: false }, columns);
      expect(plain).toContain('you send: Opus 24 kb/s in 10 ms frames');
      expect(plain).toContain('audio.lowDelay');
    }
  });

  it('says nothing of it where the encoder is not ours', () => {
    expect(codecFrame(undefined, 120)).not.toContain('you send');
  });
});
