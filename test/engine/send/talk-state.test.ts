import { describe, expect, it } from 'vitest';
import { TalkState } from '../../../src/engine/send/talk-state.js';

describe('TalkState', () => {
  it('transmits unless muted, and in push-to-talk mode only while the key is held', () => {
    const seen: boolean[] = [];
    const t = new TalkState((on) => seen.push(on));
    expect(t.transmitting).toBe(true);
    t.setMuted(true);
    t.setMuted(false);
    t.setPushToTalk(true);
    t.setTalking(true);
    t.setMuted(true); // muted wins over the held key
    t.setMuted(false);
    t.setTalking(false);
    expect(seen).toEqual([false, true, false, true, false, true, false]);
    expect({ muted: t.muted, pushToTalk: t.pushToTalk, talking: t.talking }).toEqual({ muted: false, pushToTalk: true, talking: false });
  });

  it('leaving push-to-talk releases the key, so switching back does not leave the microphone open', () => {
    const t = new TalkState(() => undefined);
    t.setPushToTalk(true);
    t.setTalking(true);
    t.setPushToTalk(false);
    expect(t.talking).toBe(false);
    t.setPushToTalk(true);
    expect(t.transmitting).toBe(false);
  });
});
