import { describe, expect, it } from 'vitest';
import { announcements, meterPercent, peerRow, selfRow, soundNotStarted, statusLines, TURN_TCP_HINT } from '../../../src/web/page/view-model.js';
import type { AudioEndsState } from '../../../src/engine/api.js';

/** The browser's ends, its speaker lost (the page's sound not started) or playing. */
function browserEnds(soundStarted: boolean): AudioEndsState {
  return {
    input: { kind: 'device', name: '', health: 'ok' },
    output: soundStarted
      ? { kind: 'device', name: '', health: 'ok' }
      : { kind: 'device', name: '', health: 'lost', problem: 'the browser has not started this page\'s sound' },
    devices: null,
  };
}
import { makePeer, makeSelf, makeSnapshot } from '../../ui/fake-controller.js';

describe('meterPercent', () => {
  it('whole percent, garbage as 0', () => {
    expect(meterPercent(0.424)).toBe(42);
    expect(meterPercent(3)).toBe(100);
    expect(meterPercent(Number.NaN)).toBe(0);
    expect(meterPercent(-1)).toBe(0);
  });
});

describe('selfRow', () => {
  it('an open mic', () => {
    const v = selfRow(makeSelf({ name: 'ada', micLevel: 0.5, speaking: true }));
    expect(v).toMatchObject({ name: 'ada (you)', levelPercent: 50, live: true, speaking: true });
    expect(v.badges.map((b) => b.text)).toEqual(['mic open']);
  });

  it('muted and deafened: not live, so not shown speaking', () => {
    const v = selfRow(makeSelf({ muted: true, deafened: true, speaking: true }));
    expect(v.live).toBe(false);
    expect(v.speaking).toBe(false);
    expect(v.badges.map((b) => b.text)).toEqual(['muted', 'deafened']);
  });

  it('push-to-talk: live only while talking', () => {
    expect(selfRow(makeSelf({ pushToTalk: true })).live).toBe(false);
    expect(selfRow(makeSelf({ pushToTalk: true })).badges.map((b) => b.text)).toEqual(['push-to-talk: hold Space or Talk']);
    const talking = selfRow(makeSelf({ pushToTalk: true, talking: true }));
    expect(talking.live).toBe(true);
    expect(talking.badges).toEqual([{ text: 'push-to-talk: talking', tone: 'green' }]);
  });
});

describe('peerRow', () => {
  it('uses the TUI words and figure formats', () => {
    const v = peerRow(makePeer('b', { name: 'bob', state: 'reconnecting', level: 0.25, volumePercent: 150, lossPercent: 0.4, jitterBufferMs: 39.6, rttMs: null }));
    expect(v).toMatchObject({ id: 'b', name: 'bob', stateText: 'reconnecting', stateTone: 'yellow', levelPercent: 25, volumePercent: 150, volumeText: '150%' });
    expect(v.link).toEqual([
      { label: 'loss', value: '0.4%' },
      { label: 'jitter buffer', value: '40ms' },
      { label: 'RTT', value: '–' },
    ]);
  });

  it('colours loss like the TUI: yellow from 1 %, red from 5 %', () => {
    expect(peerRow(makePeer('b', { lossPercent: 0.9 })).link[0]?.tone).toBeUndefined();
    expect(peerRow(makePeer('b', { lossPercent: 1 })).link[0]?.tone).toBe('yellow');
    expect(peerRow(makePeer('b', { lossPercent: 12.4 })).link[0]).toEqual({ label: 'loss', value: '12%', tone: 'red' });
  });

  it('packet counts as in the stats panel', () => {
    const v = peerRow(makePeer('b', { packetsReceived: 1200, packetsLost: 3, packetsLate: 1, framesConcealed: 4 }));
    expect(v.counts.map((f) => `${f.label} ${f.value}`)).toEqual(['received 1200', 'lost 3', 'late 1', 'concealed 4']);
  });

  it('a garbage volume shows as 100 %', () => {
    expect(peerRow(makePeer('b', { volumePercent: Number.NaN })).volumePercent).toBe(100);
  });

  it("carries a terminal peer's recording mark", () => {
    expect(peerRow(makePeer('b')).recording).toBe(false);
    expect(peerRow(makePeer('b', { recording: true })).recording).toBe(true);
  });
});

describe('statusLines', () => {
  it("the page's sound not started: says why and what to click", () => {
    const snapshot = makeSnapshot({ phase: 'in-call', self: makeSelf({ audio: browserEnds(false) }) });
    expect(soundNotStarted(snapshot)).toBe("the browser has not started this page's sound");
    const line = statusLines(snapshot).find((l) => l.key === 'sound');
    expect(line).toMatchObject({ tone: 'red', text: "Your sound is off: the browser has not started this page's sound." });
    expect(line?.hint).toMatch(/click Enable sound/);
    const playing = makeSnapshot({ phase: 'in-call', self: makeSelf({ audio: browserEnds(true) }) });
    expect(soundNotStarted(playing)).toBeNull();
    expect(statusLines(playing).some((l) => l.key === 'sound')).toBe(false);
  });

  it('waiting for peers: nobody here, and that a mistyped code is an empty room', () => {
    const [line] = statusLines(makeSnapshot({ phase: 'waiting-for-peers' }));
    expect(line?.text).toMatch(/Nobody else is here yet/);
    expect(line?.hint).toMatch(/mistyped code leads to a different, empty room/);
  });

  it('reconnecting to the server: calls keep going', () => {
    expect(statusLines(makeSnapshot({ phase: 'reconnecting-server' }))[0]?.text).toMatch(/reconnecting.*keep going/);
  });

  it('failed: the engine error and its hint, nothing else', () => {
    const lines = statusLines(
      makeSnapshot({ phase: 'failed', error: { message: 'media stopped', hint: 'reload' }, peers: [makePeer('b', { state: 'connecting' })] }),
    );
    expect(lines).toEqual([{ key: 'phase', text: 'The call failed: media stopped', hint: 'reload', tone: 'red' }]);
  });

  it('an error outside failed is shown beside the phase', () => {
    const lines = statusLines(makeSnapshot({ phase: 'in-call', error: { message: 'output device lost' } }));
    expect(lines).toEqual([{ key: 'error', text: 'output device lost', tone: 'red' }]);
  });

  it('a page relay-only through TURN over TCP says why a mesh link does not come up, and not in a room through the SFU', () => {
    const peers = [makePeer('a', { name: 'ann', state: 'reconnecting' }), makePeer('c', { name: 'cy', state: 'failed' })];
    const mesh = statusLines(makeSnapshot({ peers }), false, { turnTcpOnly: true });
    expect(mesh.map((l) => l.hint)).toEqual([TURN_TCP_HINT, TURN_TCP_HINT]);
    expect(TURN_TCP_HINT).toMatch(/UDP/);
    const sfu = statusLines(makeSnapshot({ peers, mediaPath: 'sfu' }), false, { turnTcpOnly: true });
    expect(sfu.map((l) => l.hint)).not.toContain(TURN_TCP_HINT);
    expect(statusLines(makeSnapshot({ peers }))[1]?.hint).toMatch(/firewall or VPN/);
  });

  it('per peer: connecting, reconnecting, and a failed link with what to try', () => {
    const lines = statusLines(
      makeSnapshot({
        peers: [makePeer('a', { name: 'ann', state: 'connecting' }), makePeer('b', { name: 'bob', state: 'connected' }), makePeer('c', { name: 'cy', state: 'failed' })],
      }),
    );
    expect(lines.map((l) => l.key)).toEqual(['peer:a', 'peer:c']);
    expect(lines[0]?.text).toBe('Connecting to ann…');
    expect(lines[1]?.text).toMatch(/connection to cy failed/);
    expect(lines[1]?.hint).toMatch(/firewall or VPN/);
  });

  it('leaving hides everything else', () => {
    expect(statusLines(makeSnapshot({ peers: [makePeer('a', { state: 'failed' })] }), true)).toEqual([{ key: 'phase', text: 'Leaving…', tone: 'gray' }]);
  });
});

describe('announcements', () => {
  it("the page's sound stopping and starting", () => {
    const off = makeSnapshot({ phase: 'in-call', self: makeSelf({ audio: browserEnds(false) }) });
    const on = makeSnapshot({ phase: 'in-call', self: makeSelf({ audio: browserEnds(true) }) });
    expect(announcements(on, off)).toEqual(['Your sound is off: press Enable sound.']);
    expect(announcements(off, on)).toEqual(['Sound on.']);
    expect(announcements(off, off)).toEqual([]);
  });

  const ann = makePeer('a', { name: 'ann' });
  const bob = makePeer('b', { name: 'bob' });

  it('the first snapshot says you are in', () => {
    expect(announcements(null, makeSnapshot({ phase: 'waiting-for-peers' }))).toEqual(['You joined the room. Nobody else is here yet.']);
    expect(announcements(null, makeSnapshot({ phase: 'in-call', peers: [ann] }))).toEqual(['You joined the room. 1 other person here.']);
    expect(announcements(null, makeSnapshot({ phase: 'connecting-server' }))).toEqual([]);
  });

  it('peers joining and leaving', () => {
    const before = makeSnapshot({ peers: [ann] });
    expect(announcements(before, makeSnapshot({ peers: [ann, bob] }))).toEqual(['bob joined.']);
    expect(announcements(before, makeSnapshot({ peers: [bob] }))).toEqual(['bob joined.', 'ann left.']);
  });

  it('a link failing and coming back', () => {
    const failed = makeSnapshot({ peers: [{ ...ann, state: 'failed' }] });
    expect(announcements(makeSnapshot({ peers: [ann] }), failed)).toEqual(['The connection to ann failed.']);
    expect(announcements(failed, makeSnapshot({ peers: [ann] }))).toEqual(['Connected to ann again.']);
  });

  it('someone starting and stopping a recording', () => {
    const ann = makePeer('a', { name: 'ann' });
    const recording = makeSnapshot({ peers: [{ ...ann, recording: true }] });
    expect(announcements(makeSnapshot({ peers: [ann] }), recording)).toEqual(['ann started recording the call.']);
    expect(announcements(recording, makeSnapshot({ peers: [ann] }))).toEqual(['ann stopped recording.']);
  });

  it('the room being locked and unlocked', () => {
    const locked = makeSnapshot({ locked: true });
    expect(announcements(makeSnapshot(), locked)).toEqual(['The room is locked: nobody new may join.']);
    expect(announcements(locked, makeSnapshot())).toEqual(['The room is unlocked.']);
  });

  it('the server dropping and returning', () => {
    const lost = makeSnapshot({ phase: 'reconnecting-server' });
    expect(announcements(makeSnapshot(), lost)).toEqual(['Lost the server, reconnecting.']);
    expect(announcements(lost, makeSnapshot())).toEqual(['Back in touch with the server.']);
  });

  it('a new error once, not on every snapshot', () => {
    const withError = makeSnapshot({ error: { message: 'output device lost' } });
    expect(announcements(makeSnapshot(), withError)).toEqual(['output device lost']);
    expect(announcements(withError, { ...withError })).toEqual([]);
  });

  it('your own mute, deafen and push-to-talk changes; not levels', () => {
    const s = makeSnapshot();
    expect(announcements(s, makeSnapshot({ self: makeSelf({ muted: true }) }))).toEqual(['Microphone muted.']);
    expect(announcements(s, makeSnapshot({ self: makeSelf({ deafened: true }) }))).toEqual(['Deafened: you hear nobody.']);
    expect(announcements(s, makeSnapshot({ self: makeSelf({ pushToTalk: true }) }))[0]).toMatch(/Push-to-talk on/);
    expect(announcements(s, makeSnapshot({ self: makeSelf({ micLevel: 0.9, speaking: true }), peers: [] }))).toEqual([]);
  });
});
