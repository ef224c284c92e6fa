/**
 * `server` names one signaling server or several nodes to fail over between
 * (docs/architecture.md §5, "Several nodes"): a list in the file, URLs
 * separated by commas from --server and ROUNDTABLE_SERVER; and `serve`,
 * the section only `roundtable serve` reads.
 */
import { describe, expect, it } from 'vitest';
import { buildConfigSchema, hostContext, serverUrls } from '../../src/config/schema.js';

const schema = buildConfigSchema(hostContext({ homeDir: '/home/ada', username: 'ada', env: {} }));
const issue = (input: unknown): string | undefined => {
  const r = schema.safeParse(input);
  return r.success ? undefined : `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`;
};

describe('config server: one URL, several separated by commas, or a list', () => {
  it('keeps what was given, and serverUrls lists the URLs in order', () => {
    expect(schema.parse({ server: 'wss://a.example' }).server).toBe('wss://a.example');
    expect(serverUrls('wss://a.example')).toEqual(['wss://a.example']);
    const commas = schema.parse({ server: 'wss://a.example, ws://b.example:8787' }).server;
    expect(serverUrls(commas)).toEqual(['wss://a.example', 'ws://b.example:8787']);
    const list = schema.parse({ server: ['wss://a.example', 'wss://b.example'] }).server;
    expect(serverUrls(list)).toEqual(['wss://a.example', 'wss://b.example']);
  });

  it('refuses a bad URL anywhere, an empty list, and more than 8', () => {
    const one = 'a ws:// or wss:// URL of a signaling server';
    expect(issue({ server: 'wss://a.example,http://b' })).toBe(`server: ${one}`);
    expect(issue({ server: ['wss://a.example', 'ftp://b'] })).toBe(`server.1: ${one}`);
    expect(issue({ server: [] })).toBe('server: at least one signaling server URL');
    expect(issue({ server: ',' })).toBe(`server: ${one}`);
    const any = 'server: a ws:// or wss:// URL of a signaling server, several separated by commas, or a list of them (at most 8)';
    expect(issue({ server: Array.from({ length: 9 }, (_, i) => `ws://n${i}.example`) })).toBe(any);
    expect(issue({ server: 'ws://a.example,'.repeat(9) })).toBe('server: at most 8 signaling server URLs');
    expect(issue({ server: 42 })).toBe(any);
  });
});

describe('config serve: redis and nodeId for roundtable serve', () => {
  it('is absent by default, and takes a redis:// URL and a node name', () => {
    expect(schema.parse({}).serve).toBeUndefined();
    expect(schema.parse({ serve: { redis: 'redis://127.0.0.1:6379', nodeId: 'node-a' } }).serve).toEqual({ redis: 'redis://127.0.0.1:6379', nodeId: 'node-a' });
    expect(schema.parse({ serve: { redis: 'rediss://user:pw@redis.example:6380' } }).serve?.redis).toBe('rediss://user:pw@redis.example:6380');
  });

  it('refuses another scheme, a node name with spaces, and unknown settings', () => {
    expect(issue({ serve: { redis: 'http://127.0.0.1:6379' } })).toBe('serve.redis: a redis:// or rediss:// URL (leave out for a single signaling node)');
    expect(issue({ serve: { nodeId: 'node a' } })).toBe("serve.nodeId: 1 to 64 letters, digits, '.', '_' or '-'");
    expect(issue({ serve: { redis: 'redis://x', port: 1 } })).toMatch(/^serve: /);
  });
});
