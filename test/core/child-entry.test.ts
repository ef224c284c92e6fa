import { describe, expect, it } from 'vitest';
import { siblingEntry } from '../../src/core/child-entry.js';

describe('siblingEntry', () => {
  it('names the compiled sibling with no loader under dist/', () => {
    expect(siblingEntry('file:///app/dist/src/engine/media/remote-media.js', 'media-process')).toEqual({ script: '/app/dist/src/engine/media/media-process.js', execArgv: [] });
  });

  it('names the TypeScript sibling and runs it through tsx from the sources', () => {
    const e = siblingEntry(import.meta.url, 'process-figures.test');
    expect(e.script).toMatch(/test\/core\/process-figures\.test\.ts$/);
    expect(e.execArgv[0]).toBe('--import');
    expect(e.execArgv[1]).toMatch(/^file:.*tsx/);
  });
});
