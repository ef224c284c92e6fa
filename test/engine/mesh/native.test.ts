import { afterAll, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../../src/core/logger.js';
import { configureMeshLogging, shutdownMesh } from '../../../src/engine/mesh/native.js';
import { PeerLink } from '../../../src/engine/mesh/peer-link.js';

/** A logger that records lines, to see where libdatachannel's own logs go. */
function recordingLogger(lines: Array<{ event: string; fields: LogFields }>, bound: LogFields = {}): Logger {
  const rec = (event: string, fields?: LogFields): void => void lines.push({ event, fields: { ...bound, ...fields } });
  return { debug: rec, info: rec, warn: rec, error: rec, child: (f) => recordingLogger(lines, { ...bound, ...f }), close: async () => undefined };
}

afterAll(() => shutdownMesh());

it('routes libdatachannel log lines to our logger through the initLogger callback', async () => {
  const lines: Array<{ event: string; fields: LogFields }> = [];
  configureMeshLogging(recordingLogger(lines), 'Debug');
  const link = new PeerLink({
    peerId: 'x',
    role: 'offerer',
    iceServers: [],
    bindAddress: '127.0.0.1',
    ssrc: 1,
    cname: 'c',
    onSignal: () => undefined,
    onRtp: () => undefined,
    onState: () => undefined,
  });
  link.start();
  const start = Date.now();
  while (!lines.some((l) => l.event === 'native-log') && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 10));
  link.close();
  const native = lines.filter((l) => l.event === 'native-log');
  expect(native.length).toBeGreaterThan(0);
  expect(native[0]!.fields.component).toBe('libdatachannel');
  expect(typeof native[0]!.fields.message).toBe('string');
});
