import { describe, expect, it } from 'vitest';
import { buildConfigSchema, hostContext } from '../../src/config/schema.js';

const host = hostContext({ homeDir: '/home/ada', username: 'ada', env: {} });

describe('config janus (serve: the Janus for SFU rooms, docs/architecture.md §11)', () => {
  it('absent by default; a ws:// or wss:// URL; anything else is refused saying what is expected', () => {
    const schema = buildConfigSchema(host);
    expect(schema.parse({}).janus).toBeUndefined();
    expect(schema.parse({ janus: 'ws://127.0.0.1:8188' }).janus).toBe('ws://127.0.0.1:8188');
    expect(schema.parse({ janus: 'wss://sfu.example.org/janus' }).janus).toBe('wss://sfu.example.org/janus');
    const bad = schema.safeParse({ janus: 'http://127.0.0.1:8088' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toContain("ws:// or wss:// URL of Janus's WebSocket API");
  });
});
