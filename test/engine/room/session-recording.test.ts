/**
 * The Session's recording with the fakes of ./fakes.ts (a real MediaEngine
 * writing real files into a temporary directory, fake links, a ManualClock):
 * set-recording reaches the media side with the resolved path; our mark
 * goes to every peer whose chat channel is open, again on a new link, and
 * "stopped" when we stop; a peer's mark shows as PeerView.recording with a
 * chat notice; unknown channel messages are dropped without harm.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { samplesPerFrame } from '../../../src/core/media-format.js';
import { ChatLog, encodeChatMessage } from '../../../src/engine/room/chat.js';
import { encodeRecordingMark, parseRecordingMark } from '../../../src/engine/room/recording-mark.js';
import { readWavChannels } from '../../helpers/wav-channels.js';
import { inRoomWith, loud, setup } from './fakes.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rt-session-rec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const recording = (startWith?: string) => ({
  path: (requested: string | undefined) => {
    if (requested === 'bad') throw new Error('"bad" is not a name I like');
    return path.resolve(dir, requested ?? 'default.wav');
  },
  ...(startWith !== undefined ? { startWith } : {}),
});

/** Let the file open or close (real fs, however loaded the machine), then one session tick. */
async function settle(t: { clock: { advance(ms: number): void }; flush(): Promise<void>; engine: { recording: { state: string } } }): Promise<void> {
  for (let waited = 0; waited < 5000 && (t.engine.recording.state === 'starting' || t.engine.recording.state === 'stopping'); waited += 5) {
    await new Promise((r) => setTimeout(r, 5));
  }
  t.clock.advance(100);
  await t.flush();
}

const marks = (sent: readonly string[]): boolean[] => sent.map((m) => parseRecordingMark(m)?.on).filter((v): v is boolean => v !== undefined);

describe('Session recording', () => {
  it('records to the path it resolves, tells every open link, says so in the chat, and finishes the file on stop', async () => {
    const t = await inRoomWith([['ada', 'Ada']], { recording: recording() });
    const ada = t.linksFor('ada')[0]!;
    ada.setState('connected');
    t.session.dispatch({ type: 'set-recording', recording: true, path: 'call.wav' });
    await settle(t);
    const self = t.session.snapshot().self;
    expect(self.recording).toMatchObject({ state: 'recording', path: path.join(dir, 'call.wav'), count: 1, error: null });
    expect(marks(ada.sentChat)).toEqual([true]);
    expect(t.session.snapshot().chat.at(-1)).toMatchObject({ kind: 'notice', text: `you are recording the call to ${path.join(dir, 'call.wav')}` });

    // A second start while recording changes nothing; ticks send nothing new.
    t.session.dispatch({ type: 'set-recording', recording: true, path: 'other.wav' });
    for (let i = 0; i < 10; i++) {
      t.source.push(loud());
      t.sink.pull();
      t.sink.pull();
      t.clock.advance(20);
    }
    await settle(t);
    expect(t.session.snapshot().self.recording.count).toBe(1);
    expect(marks(ada.sentChat)).toEqual([true]);

    t.session.dispatch({ type: 'set-recording', recording: false });
    await settle(t);
    expect(t.session.snapshot().self.recording).toMatchObject({ state: 'off', path: path.join(dir, 'call.wav'), error: null });
    expect(marks(ada.sentChat)).toEqual([true, false]);
    expect(t.session.snapshot().chat.at(-1)?.text).toBe(`recording saved: ${path.join(dir, 'call.wav')} (0 s)`);
    const wav = readWavChannels(path.join(dir, 'call.wav'));
    expect(wav.channels).toHaveLength(2);
    expect(wav.channels[1]!.length).toBe(20 * samplesPerFrame(10));
    // Our loud frames are on the left, after the FIFO's start delay.
    expect(Math.max(...wav.channels[0]!)).toBe(8000);
    await t.session.leave();
  });

  it('a link that opens later, and a rebuilt one, hear that we record; a peer told "on" hears "off" on its next link', async () => {
    const t = await inRoomWith([['ada', 'Ada']], { recording: recording('start.wav') });
    await settle(t);
    expect(t.session.snapshot().self.recording.state).toBe('recording');
    const first = t.linksFor('ada')[0]!;
    expect(first.sentChat).toEqual([]); // not open yet
    first.setState('connected');
    await settle(t);
    expect(marks(first.sentChat)).toEqual([true]);
    /** The link fails; the offerer builds the next one, which opens. */
    const rebuilt = async (old: typeof first): Promise<typeof first> => {
      old.setState('failed');
      t.clock.advance(10_000);
      await settle(t);
      const next = t.linksFor('ada').at(-1)!;
      expect(next).not.toBe(old);
      next.setState('connected');
      await settle(t);
      return next;
    };
    // The new link hears the mark again.
    const second = await rebuilt(first);
    expect(marks(second.sentChat)).toEqual([true]);
    // Stopped while the next link is being built: that link hears "off" (ada was told "on").
    t.session.dispatch({ type: 'set-recording', recording: false });
    const third = await rebuilt(second);
    expect(marks(third.sentChat)).toEqual([false]);
    await t.session.leave();
  });

  it('someone who never records sends no mark at all (older clients would only drop it)', async () => {
    const t = await inRoomWith([['ada', 'Ada']], { recording: recording() });
    t.linksFor('ada')[0]!.setState('connected');
    for (let i = 0; i < 5; i++) await settle(t);
    expect(t.linksFor('ada')[0]!.sentChat).toEqual([]);
    await t.session.leave();
  });

  it("a peer's mark shows beside its name with a notice; an unknown message type is dropped without harm", async () => {
    const t = await inRoomWith([['ada', 'Ada']]);
    const ada = t.linksFor('ada')[0]!;
    ada.setState('connected');
    expect(t.session.snapshot().peers[0]!.recording).toBe(false);
    ada.receiveChat(encodeRecordingMark(true));
    ada.receiveChat(encodeRecordingMark(true)); // said again on a new link: no second notice
    expect(t.session.snapshot().peers[0]!.recording).toBe(true);
    ada.receiveChat(JSON.stringify({ t: 'future-thing', x: 1 }));
    ada.receiveChat(JSON.stringify({ t: 'rec', on: 'yes' }));
    ada.receiveChat(encodeChatMessage({ seq: 1, text: 'hi' }));
    ada.receiveChat(encodeRecordingMark(false));
    const snap = t.session.snapshot();
    expect(snap.peers[0]!.recording).toBe(false);
    expect(snap.chat.map((l) => (l.kind === 'notice' ? `* ${l.text}` : `${l.from}: ${l.text}`))).toEqual(['* Ada is here', '* Ada started recording', 'Ada: hi', '* Ada stopped recording']);
    await t.session.leave();
  });

  it('where the media side cannot record, or the path is refused, the chat says so', async () => {
    const none = await inRoomWith([]);
    none.session.dispatch({ type: 'set-recording', recording: true });
    expect(none.session.snapshot().chat.at(-1)?.text).toBe('recording is not available here');
    expect(none.session.snapshot().self.recording.state).toBe('off');
    await none.session.leave();

    const t = await setup({ recording: recording() });
    await t.session.start();
    t.session.dispatch({ type: 'set-recording', recording: true, path: 'bad' });
    expect(t.session.snapshot().chat.at(-1)?.text).toBe('cannot record: "bad" is not a name I like');
    t.session.dispatch({ type: 'set-recording', recording: true, path: 'no-such-dir/x.wav' });
    await settle(t);
    expect(t.session.snapshot().self.recording).toMatchObject({ state: 'off', count: 1 });
    expect(t.session.snapshot().chat.at(-1)?.text).toMatch(/^cannot record: WAV file ".*no-such-dir\/x\.wav": cannot create: its directory does not exist$/);
    await t.session.leave();
  });

  it('a client from before the mark reads it as a chat message that does not parse: dropped, nothing shown, nothing thrown', () => {
    const log = new ChatLog(() => 0);
    expect(log.receive('ada', 'Ada', encodeRecordingMark(true))).toBe('invalid');
    expect(log.lines).toEqual([]);
  });
});

describe('Session recording mark without a data channel', () => {
  it('goes through the relay to a peer whose link is not up, and again on the link once it is', async () => {
    const t = await inRoomWith([['ada', 'Ada']], { recording: recording() });
    const ada = t.linksFor('ada')[0]!;
    t.session.dispatch({ type: 'set-recording', recording: true, path: 'relay.wav' });
    await settle(t);
    const relayedMarks = () => t.signaling.sent.filter((m) => m.to === 'ada' && m.data.t === 'chat').map((m) => parseRecordingMark(String(m.data.text))?.on);
    expect(relayedMarks()).toEqual([true]);
    expect(ada.sentChat).toEqual([]);
    // The link comes up: a new carrier, told again there; the relay says nothing more.
    ada.setState('connected');
    t.clock.advance(100);
    await t.flush();
    expect(marks(ada.sentChat)).toEqual([true]);
    expect(relayedMarks()).toEqual([true]);
    // A mark relayed by a peer counts for that peer, like one on its link.
    t.signaling.emit('signal', { from: 'ada', data: { t: 'chat', text: encodeRecordingMark(true) } });
    expect(t.session.snapshot().peers).toMatchObject([{ id: 'ada', recording: true }]);
    t.session.dispatch({ type: 'set-recording', recording: false });
    await settle(t);
    await t.session.leave();
  });
});
