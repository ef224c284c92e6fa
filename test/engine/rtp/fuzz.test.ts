/**
 * Robustness fuzz: 100,000+ random and mutated inputs through parseRtp,
 * isRtcp and parseRtcp. Every call must return a packet or a typed error,
 * never throw, and every returned view must lie inside the input buffer.
 * A seeded PRNG makes every run identical; a failure prints the seed and
 * the input's hex so it can be replayed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildRtp, parseRtp } from '../../../src/engine/rtp/packet.js';
import { buildReceiverReport, buildSenderReport, isRtcp, parseRtcp } from '../../../src/engine/rtcp/packets.js';
import { opusPacketSamples } from '../../../src/engine/rtp/opus-payload.js';
import { createRandom } from '../../../src/engine/sim/prng.js';

/** mulberry32: small, fast, good enough for fuzzing, fully reproducible. */
function prng(seed: number): () => number {
  const random = createRandom(seed);
  return () => random.next();
}

const SEED = 0x5eed_2026;
const ITERATIONS = 120_000;

const fixtureDir = fileURLToPath(new URL('../../../fixtures/rtp/', import.meta.url));
const goldenRtp = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.bin') && !f.startsWith('rtcp'))
  .map((f) => new Uint8Array(readFileSync(fixtureDir + f)));
const goldenRtcp = [
  new Uint8Array(readFileSync(fixtureDir + 'rtcp-sr-sdes.bin')),
  new Uint8Array(
    Buffer.concat([
      buildSenderReport({ ssrc: 1, ntpSeconds: 2, ntpFraction: 3, rtpTimestamp: 4, packetCount: 5, octetCount: 6, reports: [{ ssrc: 9, fractionLost: 1, cumulativeLost: 2, extendedHighestSeq: 3, jitter: 4, lastSr: 5, delaySinceLastSr: 6 }] }),
      buildReceiverReport({ ssrc: 1, reports: [] }),
    ]),
  ),
];

function within(view: Uint8Array, input: Uint8Array): boolean {
  return view.buffer === input.buffer && view.byteOffset >= input.byteOffset && view.byteOffset + view.byteLength <= input.byteOffset + input.byteLength;
}

function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  const int = (n: number): number => Math.floor(rnd() * n);
  // Sometimes place the packet at an offset in a bigger buffer, so out-of-bounds reads would hit neighbours.
  const lead = int(4);
  const backing = new Uint8Array(lead + src.length + 8);
  backing.fill(0xee);
  backing.set(src, lead);
  let buf = backing.subarray(lead, lead + src.length);
  const kind = int(8);
  switch (kind) {
    case 0: {
      // bit flips
      const flips = 1 + int(4);
      for (let i = 0; i < flips && buf.length > 0; i++) buf[int(buf.length)]! ^= 1 << int(8);
      break;
    }
    case 1:
      buf = buf.subarray(0, int(buf.length + 1)); // truncation
      break;
    case 2:
      if (buf.length > 0) buf[0] = (buf[0]! & 0xf0) | int(16); // CC lies
      break;
    case 3:
      if (buf.length > 0) buf[0] = buf[0]! | 0x10; // X set
      if (buf.length > 15) {
        buf[14] = int(256); // extension length lies
        buf[15] = int(256);
      }
      break;
    case 4:
      if (buf.length > 0) {
        buf[0] = buf[0]! | 0x20; // P set
        buf[buf.length - 1] = int(256); // padding count lies
      }
      break;
    case 5:
      if (buf.length > 3) {
        buf[2] = int(256); // RTCP length lies
        buf[3] = int(256);
      }
      break;
    case 6:
      if (buf.length > 0) buf[0] = (buf[0]! & 0xe0) | int(32); // RTCP report count lies
      break;
    default: {
      // random bytes over a random span
      const start = int(buf.length + 1);
      const end = start + int(buf.length - start + 1);
      for (let i = start; i < end; i++) buf[i] = int(256);
    }
  }
  return buf;
}

function randomBytes(rnd: () => number): Uint8Array {
  const len = Math.floor(rnd() * 80);
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = Math.floor(rnd() * 256);
  // Bias towards version 2 so the deeper parse paths get exercised.
  if (len > 0 && rnd() < 0.7) out[0] = 0x80 | (out[0]! & 0x3f);
  return out;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

describe('RTP/RTCP parser fuzz', () => {
  it(`survives ${ITERATIONS} random and mutated inputs (seed ${SEED.toString(16)})`, () => {
    const rnd = prng(SEED);
    let rtpOk = 0;
    let rtpErr = 0;
    let rtcpOk = 0;
    let rtcpErr = 0;
    const codes = new Set<string>();
    for (let i = 0; i < ITERATIONS; i++) {
      const r = rnd();
      const input =
        r < 0.45
          ? mutate(goldenRtp[Math.floor(rnd() * goldenRtp.length)]!, rnd)
          : r < 0.8
            ? mutate(goldenRtcp[Math.floor(rnd() * goldenRtcp.length)]!, rnd)
            : randomBytes(rnd);
      let rtp: ReturnType<typeof parseRtp>;
      let rtcp: ReturnType<typeof parseRtcp>;
      try {
        isRtcp(input);
        rtp = parseRtp(input);
        rtcp = parseRtcp(input);
      } catch (err) {
        throw new Error(`iteration ${i} threw on ${hex(input)}: ${String(err)}`);
      }
      if (rtp.ok) {
        rtpOk++;
        const p = rtp.packet;
        if (!within(p.payload, input)) throw new Error(`iteration ${i}: payload outside input ${hex(input)}`);
        if (p.extension && !within(p.extension.data, input)) throw new Error(`iteration ${i}: extension outside input ${hex(input)}`);
        if (p.headerBytes + p.payload.length + p.paddingBytes !== input.length) throw new Error(`iteration ${i}: lengths do not add up ${hex(input)}`);
        if (p.csrcs.length > 15 || p.payloadType > 127 || p.sequenceNumber > 0xffff) throw new Error(`iteration ${i}: impossible fields`);
        // The Opus TOC reader must also survive whatever payload comes out.
        const samples = opusPacketSamples(p.payload);
        if (samples !== null && (samples < 120 || samples > 5760)) throw new Error(`iteration ${i}: impossible Opus duration ${samples}`);
      } else {
        rtpErr++;
        codes.add(`rtp:${rtp.error.code}`);
        if (typeof rtp.error.message !== 'string') throw new Error('error without message');
      }
      if (rtcp.ok) {
        rtcpOk++;
        for (const p of rtcp.packets) {
          if (p.type === 'other' && !within(p.body, input)) throw new Error(`iteration ${i}: RTCP body outside input ${hex(input)}`);
        }
      } else {
        rtcpErr++;
        codes.add(`rtcp:${rtcp.error.code}`);
      }
    }
    expect(rtpOk + rtpErr).toBe(ITERATIONS);
    expect(rtcpOk + rtcpErr).toBe(ITERATIONS);
    // The corpus must reach both outcomes and every error path, or the fuzz proves little.
    expect(rtpOk).toBeGreaterThan(1000);
    expect(rtpErr).toBeGreaterThan(1000);
    expect(rtcpOk).toBeGreaterThan(1000);
    expect(rtcpErr).toBeGreaterThan(1000);
    for (const c of ['too-short', 'bad-version', 'truncated-csrcs', 'truncated-extension', 'bad-padding']) expect(codes).toContain(`rtp:${c}`);
    for (const c of ['too-short', 'bad-version', 'bad-length', 'bad-padding', 'truncated-reports']) expect(codes).toContain(`rtcp:${c}`);
  });

  it('random valid packets round-trip through buildRtp and parseRtp', () => {
    const rnd = prng(SEED + 1);
    const int = (n: number): number => Math.floor(rnd() * n);
    for (let i = 0; i < 2000; i++) {
      const fields = {
        sequenceNumber: int(0x10000),
        timestamp: int(0x100000000),
        ssrc: int(0x100000000),
        payloadType: int(128),
        marker: rnd() < 0.5,
        payload: Uint8Array.from({ length: int(200) }, () => int(256)),
        csrcs: Array.from({ length: int(16) }, () => int(0x100000000)),
        extension: rnd() < 0.5 ? { profile: int(0x10000), data: Uint8Array.from({ length: 4 * int(5) }, () => int(256)) } : null,
        paddingBytes: rnd() < 0.5 ? 1 + int(255) : 0,
      };
      const r = parseRtp(buildRtp(fields));
      if (!r.ok) throw new Error(`round trip ${i} failed: ${r.error.message}`);
      expect(r.packet.sequenceNumber).toBe(fields.sequenceNumber);
      expect(r.packet.timestamp).toBe(fields.timestamp);
      expect(r.packet.csrcs).toEqual(fields.csrcs);
      expect(Buffer.from(r.packet.payload)).toEqual(Buffer.from(fields.payload));
      expect(r.packet.paddingBytes).toBe(fields.paddingBytes);
    }
  });
});
