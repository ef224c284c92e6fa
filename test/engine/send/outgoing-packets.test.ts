import { describe, expect, it } from 'vitest';
import { parseRtp } from '../../../src/engine/rtp/packet.js';
import { makeRedBlocks, parseRedPayload } from '../../../src/engine/rtp/red-payload.js';
import { OutgoingPackets } from '../../../src/engine/send/outgoing-packets.js';
import type { RtpStamp } from '../../../src/engine/send/rtp-timeline.js';

const stamp = (seq: number, marker = false): RtpStamp => ({ sequenceNumber: seq, timestamp: 1000 + seq * 960, ssrc: 0x5eed, marker });
const opus = (tag: number, n = 5): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i === 0 ? 0x78 : tag));

/** The blocks of a RED packet: [payload type, timestamp offset, first data byte after the TOC]. */
function blocksOf(packet: Uint8Array): Array<[number, number, number]> {
  const p = parseRtp(packet);
  if (!p.ok) throw new Error(p.error.message);
  const blocks = makeRedBlocks();
  const n = parseRedPayload(p.packet.payload, blocks);
  if (typeof n === 'string') throw new Error(n);
  return blocks.slice(0, n).map((b) => [b.payloadType, b.timestampOffset, p.packet.payload[b.start + 1]!]);
}

describe('OutgoingPackets', () => {
  it('builds plain Opus, RED-1 and RED-2 of one frame, each at most once, with the earlier frames oldest first', () => {
    const out = new OutgoingPackets({ slots: 6, opusPayloadType: 111, redPayloadType: 63 });
    for (let seq = 0; seq < 3; seq++) {
      out.frame(stamp(seq, seq === 0), opus(seq + 1));
      if (seq < 2) out.packet(0);
    }
    const plain = out.packet(0);
    const red1 = out.packet(1);
    const red2 = out.packet(2);
    expect(out.packet(2)).toBe(red2); // the same bytes for every peer at this distance
    const p = parseRtp(plain);
    expect(p.ok && [p.packet.payloadType, p.packet.sequenceNumber, p.packet.timestamp, p.packet.ssrc, Array.from(p.packet.payload)]).toEqual([111, 2, 1000 + 2 * 960, 0x5eed, [0x78, 3, 3, 3, 3]]);
    const r = parseRtp(red2);
    expect(r.ok && [r.packet.payloadType, r.packet.sequenceNumber, r.packet.marker]).toEqual([63, 2, false]);
    expect(blocksOf(red1)).toEqual([[111, 960, 2], [111, 0, 3]]);
    expect(blocksOf(red2)).toEqual([[111, 1920, 1], [111, 960, 2], [111, 0, 3]]);
    expect(out.stats).toEqual({ redundantBytes: 4 + 5 + 1 + (8 + 10 + 1), builtPlain: 3, builtRed1: 1, builtRed2: 1 });
  });

  it('never reaches across a frame that was not sent: the talkspurt after it starts without redundancy', () => {
    const out = new OutgoingPackets({ slots: 6, opusPayloadType: 111, redPayloadType: 63 });
    out.frame(stamp(0), opus(1));
    out.packet(2);
    out.frame(stamp(1), opus(2));
    expect(blocksOf(out.packet(2))).toEqual([[111, 960, 1], [111, 0, 2]]); // only one earlier frame exists
    out.gap();
    out.frame({ ...stamp(2, true), timestamp: 1000 + 4 * 960 }, opus(3));
    expect(blocksOf(out.packet(2))).toEqual([[111, 0, 3]]); // RED with no redundant block
    expect(() => {
      out.gap();
      out.packet(0);
    }).toThrow();
  });

  it('keeps a packet intact for slots − 1 later frames, and reuses its buffer after that', () => {
    const out = new OutgoingPackets({ slots: 3, opusPayloadType: 111, redPayloadType: 63 });
    out.frame(stamp(0), opus(1));
    const first = out.packet(1);
    const copy = Array.from(first);
    out.frame(stamp(1), opus(2));
    out.packet(1);
    out.frame(stamp(2), opus(3));
    out.packet(1);
    expect(Array.from(first)).toEqual(copy);
    out.frame(stamp(3), opus(4));
    out.packet(1);
    expect(Array.from(first)).not.toEqual(copy);
  });

  it('leaves out of the redundancy a frame too large for a RED block (10-bit length), and goes plain for an oversized one', () => {
    const out = new OutgoingPackets({ slots: 4, opusPayloadType: 111, redPayloadType: 63 });
    out.frame(stamp(0), opus(1, 1100));
    out.frame(stamp(1), opus(2));
    expect(blocksOf(out.packet(2))).toEqual([[111, 0, 2]]);
    out.frame(stamp(2), opus(3, 1400));
    const big = parseRtp(out.packet(2));
    expect(big.ok && [big.packet.payloadType, big.packet.payload.length]).toEqual([111, 1400]);
  });
});
