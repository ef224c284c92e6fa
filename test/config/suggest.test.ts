import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from '../../src/config/suggest.js';

describe('suggest', () => {
  it('computes edit distance', () => {
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('Server', 'server')).toBe(0);
  });

  it('suggests only plausible typos', () => {
    expect(closestMatch('bitrat', ['bitrate', 'dtx', 'frameMs'])).toBe('bitrate');
    expect(closestMatch('sevrer', ['server', 'name'])).toBe('server');
    expect(closestMatch('volume', ['server', 'name'])).toBeUndefined();
    expect(closestMatch('x', [])).toBeUndefined();
  });
});
