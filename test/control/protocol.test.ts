import { describe, expect, it } from 'vitest';
import {
  encodeControlLine,
  LineSplitter,
  parseControlRequest,
  parseControlResponse,
  type ControlStatus,
} from '../../src/control/protocol.js';

const STATUS: ControlStatus = {
  pid: 42,
  room: 'purple-otter-lamp-river-42',
  server: 'ws://127.0.0.1:8787',
  phase: 'in-call',
  locked: false,
  self: { name: 'me', muted: false, deafened: false, pushToTalk: false, talking: false, speaking: false, micLevel: 0, processing: { 'echo-cancellation': 'off', 'noise-suppression': 'on', 'auto-gain': 'on' } },
  peers: [{ id: 'abcdef0123456789', name: 'ada', state: 'connected', speaking: true, level: 0.4, volumePercent: 100, mutedByMe: false }],
  knocks: [{ id: 'zyxwvu9876543210', name: 'dan', since: '2026-12-05T06:00:00.000Z' }],
  chat: [
    { at: '2026-12-05T06:00:01.000Z', kind: 'notice', from: '', self: false, text: 'dan asks to join' },
    { at: '2026-12-05T06:00:02.000Z', kind: 'message', from: 'ada', self: false, text: 'hi' },
  ],
};

describe('control protocol', () => {
  it('round-trips every request through encode and parse', () => {
    const requests = [
      { cmd: 'status' },
      { id: 7, cmd: 'mute' },
      { cmd: 'unmute' },
      { cmd: 'toggle-mute' },
      { cmd: 'deafen' },
      { cmd: 'undeafen' },
      { cmd: 'volume', peer: 'ada', percent: 80 },
      { cmd: 'ptt', action: 'press' },
      { cmd: 'lock' },
      { cmd: 'unlock' },
      { cmd: 'admit', peer: 'dan' },
      { cmd: 'deny', peer: 'dan' },
      { cmd: 'say', text: 'back in 5' },
      { cmd: 'record', action: 'start', path: '/home/ada/call.wav' },
      { cmd: 'record', action: 'start' },
      { cmd: 'record', action: 'stop' },
      { cmd: 'leave' },
    ] as const;
    for (const r of requests) {
      const line = encodeControlLine(r);
      expect(line.endsWith('\n')).toBe(true);
      expect(parseControlRequest(line.trim())).toEqual({ ok: true, value: { v: 1, ...r } });
    }
  });

  it('refuses junk with a reason: not JSON, not an object, wrong version, unknown command, out-of-range volume', () => {
    expect(parseControlRequest('{nope')).toEqual({ ok: false, error: 'request is not valid JSON' });
    expect(parseControlRequest('[1]')).toEqual({ ok: false, error: 'request must be a JSON object' });
    expect(parseControlRequest('{"cmd":"mute"}')).toMatchObject({ ok: false, error: expect.stringMatching(/version \(missing\) not supported/) });
    expect(parseControlRequest('{"v":2,"cmd":"mute"}')).toMatchObject({ ok: false, error: expect.stringMatching(/version 2 not supported/) });
    expect(parseControlRequest('{"v":1,"cmd":"dance"}')).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid cmd/) });
    expect(parseControlRequest('{"v":1,"cmd":"volume","peer":"ada","percent":250}')).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid percent/) });
    expect(parseControlRequest('{"v":1,"cmd":"volume","peer":"","percent":50}')).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid peer/) });
    expect(parseControlRequest('{"v":1,"cmd":"ptt","action":"hold"}')).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid action/) });
  });

  it('responses: a status, or an error with a code and an optional hint', () => {
    const ok = encodeControlLine({ id: 1, ok: true, status: STATUS });
    expect(parseControlResponse(ok.trim())).toEqual({ ok: true, value: { v: 1, id: 1, ok: true, status: STATUS } });
    const err = encodeControlLine({ ok: false, code: 'unknown-peer', error: 'no peer "x"', hint: 'check the name' });
    expect(parseControlResponse(err.trim())).toMatchObject({ ok: true, value: { ok: false, code: 'unknown-peer', hint: 'check the name' } });
    // A status without the lock is not a status.
    const { locked: _locked, ...noLock } = STATUS;
    expect(parseControlResponse(JSON.stringify({ v: 1, ok: true, status: noLock }))).toMatchObject({ ok: false, error: expect.stringMatching(/locked/) });
  });

  it('LineSplitter joins chunks into lines, skips blank ones, and refuses an endless line', () => {
    const s = new LineSplitter(16);
    expect(s.push('{"a":')).toEqual([]);
    expect(s.push('1}\r\n\n{"b":2}\n{"c"')).toEqual(['{"a":1}', '{"b":2}']);
    expect(s.push(':3}\n')).toEqual(['{"c":3}']);
    expect(() => s.push('x'.repeat(17))).toThrow(RangeError);
  });
});
