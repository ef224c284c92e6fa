import { describe, expect, it } from 'vitest';
import { toYaml } from '../../src/cli/yaml-out.js';

describe('toYaml', () => {
  it('writes mappings, sequences and scalars, quoting what YAML would misread', () => {
    const text = toYaml({
      plain: 'ws://127.0.0.1:8787',
      word: 'space',
      looksBool: 'yes',
      looksNumber: '123',
      indicator: '?',
      colonSpace: 'a: b',
      hash: 'a #b',
      empty: '',
      n: 20,
      b: false,
      list: [{ urls: 'stun:x', username: 'u' }, { urls: ['turn:a', 'turn:b'] }],
      none: [],
      nested: { inner: { deep: 1 } },
      skipped: undefined,
    });
    expect(text).toBe(
      [
        'plain: ws://127.0.0.1:8787',
        'word: space',
        'looksBool: "yes"',
        'looksNumber: "123"',
        'indicator: "?"',
        'colonSpace: "a: b"',
        'hash: "a #b"',
        'empty: ""',
        'n: 20',
        'b: false',
        'list:',
        '  - urls: stun:x',
        '    username: u',
        '  - urls:',
        '      - turn:a',
        '      - turn:b',
        'none: []',
        'nested:',
        '  inner:',
        '    deep: 1',
        '',
      ].join('\n'),
    );
  });

  it('adds a trailing comment to the leaves the callback names', () => {
    expect(toYaml({ a: { b: 1, c: 2 } }, (key) => (key === 'a.c' ? 'from flag' : undefined))).toBe('a:\n  b: 1\n  c: 2  # from flag\n');
  });
});
