import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { engineLinkFactory } from '../../../src/engine/media/engine-links.js';
import type { PeerLinkOptions } from '../../../src/engine/mesh/peer-link.js';
import { FakeLink } from '../room/fakes.js';

describe('engineLinkFactory', () => {
  it("delivers each link's RTP and RTCP to the engine under the link's peer id, and tells the room only when it came", () => {
    const clock = new ManualClock(500);
    const received: Array<[string, number, number]> = [];
    const packets: number[] = [];
    let made: PeerLinkOptions | undefined;
    const factory = engineLinkFactory({ receive: (id, bytes, at) => received.push([id, bytes.length, at ?? -1]) }, (o) => {
      made = o;
      return new FakeLink(o, clock);
    });
    factory({ peerId: 'p', role: 'offerer', iceServers: [], ssrc: 1, cname: 'c', clock, onSignal: () => undefined, onState: () => undefined, onPacket: (t) => packets.push(t) });
    expect(made).toMatchObject({ peerId: 'p', role: 'offerer', ssrc: 1 });
    expect('onPacket' in made!).toBe(false);
    made!.onRtp(new Uint8Array(20), 510);
    clock.advance(5);
    made!.onRtcp!(new Uint8Array(8));
    expect(received).toEqual([
      ['p', 20, 510],
      ['p', 8, 505],
    ]);
    expect(packets).toEqual([510, 505]);
  });
});
