import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildRtp, parseRtp, type RtpPacket } from '../../../src/engine/rtp/packet.js';
import { parseRtcp } from '../../../src/engine/rtcp/packets.js';
import { opusPacketSamples } from '../../../src/engine/rtp/opus-payload.js';

const fixture = (name: string): Buffer => readFileSync(fileURLToPath(new URL(`../../../fixtures/rtp/${name}`, import.meta.url)));
const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');

function parsed(name: string): RtpPacket {
  const r = parseRtp(fixture(name));
  if (!r.ok) throw new Error(`${name}: ${r.error.message}`);
  return r.packet;
}

function rebuild(p: RtpPacket): Buffer {
  return buildRtp({
    sequenceNumber: p.sequenceNumber,
    timestamp: p.timestamp,
    ssrc: p.ssrc,
    payloadType: p.payloadType,
    marker: p.marker,
    payload: p.payload,
    csrcs: p.csrcs,
    extension: p.extension,
    paddingBytes: p.paddingBytes,
  });
}

describe('golden RTP packets (fixtures/rtp)', () => {
  it('minimal.bin', () => {
    const p = parsed('minimal.bin');
    expect(p).toMatchObject({ version: 2, marker: true, payloadType: 111, sequenceNumber: 0x1234, timestamp: 0xdeadbeef, ssrc: 0x11223344, csrcs: [], extension: null, paddingBytes: 0, headerBytes: 12 });
    expect(Buffer.from(p.payload)).toEqual(hex('78010203'));
    expect(opusPacketSamples(p.payload)).toBe(960);
  });

  it('csrcs.bin', () => {
    const p = parsed('csrcs.bin');
    expect(p).toMatchObject({ marker: false, payloadType: 111, sequenceNumber: 65535, timestamp: 2400, ssrc: 0xcafebabe, csrcs: [0x01020304, 0xa0b0c0d0], headerBytes: 20 });
    expect(Buffer.from(p.payload)).toEqual(hex('FCFFFE'));
  });

  it('extension.bin', () => {
    const p = parsed('extension.bin');
    expect(p).toMatchObject({ marker: true, sequenceNumber: 1, timestamp: 0, ssrc: 1, headerBytes: 20 });
    expect(p.extension?.profile).toBe(0xbede);
    expect(Buffer.from(p.extension!.data)).toEqual(hex('10AA0000'));
    expect(Buffer.from(p.payload)).toEqual(hex('0841'));
  });

  it('padding.bin', () => {
    const p = parsed('padding.bin');
    expect(p).toMatchObject({ sequenceNumber: 0x8000, timestamp: 0x7fffffff, ssrc: 0x0badf00d, paddingBytes: 4 });
    expect(Buffer.from(p.payload)).toEqual(hex('7899'));
  });

  it('all-features.bin', () => {
    const p = parsed('all-features.bin');
    expect(p).toMatchObject({ marker: true, payloadType: 96, sequenceNumber: 0xabcd, timestamp: 0x01020304, ssrc: 0x05060708, csrcs: [0x99887766], paddingBytes: 2, headerBytes: 28 });
    expect(p.extension?.profile).toBe(0x1000);
    expect(Buffer.from(p.extension!.data)).toEqual(hex('0102ABCD00000000'));
    expect(Buffer.from(p.payload)).toEqual(hex('7B050102030405'));
    expect(opusPacketSamples(p.payload)).toBe(4800);
  });

  it.each(['minimal.bin', 'csrcs.bin', 'extension.bin', 'padding.bin', 'all-features.bin'])('buildRtp reproduces %s byte for byte', (name) => {
    expect(rebuild(parsed(name))).toEqual(fixture(name));
  });

  it('rtcp-sr-sdes.bin parses to the SR, its block and the SDES', () => {
    const r = parseRtcp(fixture('rtcp-sr-sdes.bin'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.packets).toHaveLength(2);
    expect(r.packets[0]).toEqual({
      type: 'sr',
      ssrc: 0x11223344,
      ntpSeconds: 0xe8000001,
      ntpFraction: 0x80000000,
      rtpTimestamp: 123456,
      packetCount: 100,
      octetCount: 10000,
      reports: [{ ssrc: 0x55667788, fractionLost: 64, cumulativeLost: -2, extendedHighestSeq: 65541, jitter: 32, lastSr: 0x00018000, delaySinceLastSr: 0x8000 }],
    });
    const sdes = r.packets[1]!;
    expect(sdes.type).toBe('other');
    if (sdes.type === 'other') {
      expect(sdes.packetType).toBe(202);
      expect(sdes.count).toBe(1);
      expect(Buffer.from(sdes.body)).toEqual(hex('11223344 01026162 00000000'));
    }
  });
});
