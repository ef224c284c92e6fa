import { describe, expect, it } from 'vitest';
import { InvalidJoinCodeError } from '../../src/protocol/join-code.js';
import { codeFromFragment, signalingUrlForPage, webLink } from '../../src/protocol/web-link.js';

describe('web links', () => {
  it('turns a ws:// or wss:// server URL into the page link with the normalized code in the fragment', () => {
    expect(webLink('ws://127.0.0.1:8080', 'Purple-Otter-Lamp-River-42')).toBe('http://127.0.0.1:8080/#purple-otter-lamp-river-42');
    expect(webLink('wss://talk.example.org/some/path?x=1', 'purple otter lamp river 42')).toBe('https://talk.example.org/#purple-otter-lamp-river-42');
    expect(webLink('http://localhost:9000/', 'purple-otter-lamp-river-42')).toBe('http://localhost:9000/#purple-otter-lamp-river-42');
  });

  it('refuses other schemes and bad codes', () => {
    expect(() => webLink('ftp://x', 'purple-otter-lamp-river-42')).toThrow(/not a server URL/);
    expect(() => webLink('ws://x', 'nope')).toThrow(InvalidJoinCodeError);
  });

  it('reads the code from a fragment, null when absent', () => {
    expect(codeFromFragment('#Purple-Otter-Lamp-River-42')).toBe('purple-otter-lamp-river-42');
    expect(codeFromFragment('#purple%20otter%20lamp%20river%2042')).toBe('purple-otter-lamp-river-42');
    expect(codeFromFragment('')).toBeNull();
    expect(codeFromFragment('#')).toBeNull();
    expect(() => codeFromFragment('#not-a-code')).toThrow(InvalidJoinCodeError);
  });

  it('finds the signaling socket on the page host', () => {
    expect(signalingUrlForPage('http://127.0.0.1:8080/#abc')).toBe('ws://127.0.0.1:8080/');
    expect(signalingUrlForPage('https://talk.example.org/')).toBe('wss://talk.example.org/');
  });
});
