import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { carriesCandidates, findAnsweredRed, findOfferedAudio, offerForPassiveAnswer, redOverOpus } from '../../../src/engine/mesh/sdp.js';

const HEAD = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n';

describe('findOfferedAudio', () => {
  it("reads a browser-style offer's audio mid and Opus payload type", () => {
    const sdp =
      HEAD +
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n' +
      'm=audio 9 UDP/TLS/RTP/SAVPF 109 9 0\r\na=mid:1\r\na=rtpmap:109 opus/48000/2\r\na=rtpmap:9 G722/8000/1\r\n';
    expect(findOfferedAudio(sdp)).toEqual({ mid: '1', opusPayloadType: 109, redPayloadType: null });
  });

  it('handles LF-only SDP and a rejected first audio section', () => {
    const sdp = HEAD.replace(/\r\n/g, '\n') + 'm=audio 0 RTP/SAVPF 111\na=mid:a0\na=rtpmap:111 opus/48000/2\nm=audio 9 RTP/SAVPF 111\na=mid:a1\na=rtpmap:111 OPUS/48000/2\n';
    expect(findOfferedAudio(sdp)).toEqual({ mid: 'a1', opusPayloadType: 111, redPayloadType: null });
  });

  it('returns null without usable Opus audio', () => {
    expect(findOfferedAudio(HEAD + 'm=video 9 RTP/SAVPF 96\r\na=mid:0\r\na=rtpmap:96 VP8/90000\r\n')).toBeNull();
    expect(findOfferedAudio(HEAD + 'm=audio 9 RTP/SAVPF 0\r\na=mid:0\r\na=rtpmap:0 PCMU/8000\r\n')).toBeNull();
    expect(findOfferedAudio(HEAD + 'm=audio 9 RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n')).toBeNull(); // no mid
    expect(findOfferedAudio(HEAD + 'm=audio 9 RTP/SAVPF 8\r\na=mid:0\r\na=rtpmap:8 opus/48000/2\r\n')).toBeNull(); // static PT
    expect(findOfferedAudio('garbage')).toBeNull();
  });
});

describe('RED (RFC 2198) beside Opus', () => {
  const chromium = readFileSync(new URL('../../../fixtures/sdp/chromium-156-offer.sdp', import.meta.url), 'utf8');

  it("reads Chromium 156's recorded offer: Opus 111 and red 63 with fmtp 111/111", () => {
    expect(findOfferedAudio(chromium)).toEqual({ mid: '0', opusPayloadType: 111, redPayloadType: 63 });
  });

  it('follows the payload types the offer chose, whatever they are', () => {
    const renumbered = chromium.replace(/\b111\b/g, '109').replace(/\b63\b/g, '121');
    expect(findOfferedAudio(renumbered)).toEqual({ mid: '0', opusPayloadType: 109, redPayloadType: 121 });
  });

  it('takes RED only over this Opus: fmtp naming another codec, or none, or a reserved type, is not used', () => {
    const section = (lines: string): string => `m=audio 9 RTP/SAVPF 111 63\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n${lines}`;
    expect(redOverOpus(section('a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n'), 111)).toBe(63);
    expect(redOverOpus(section('a=rtpmap:63 RED/48000/2\r\na=fmtp:63 111\r\n'), 111)).toBe(63);
    expect(redOverOpus(section('a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/0\r\n'), 111)).toBeNull(); // PCMU blocks: not ours to decode
    expect(redOverOpus(section('a=rtpmap:63 red/48000/2\r\n'), 111)).toBeNull(); // no fmtp: any block type
    expect(redOverOpus(section('a=rtpmap:72 red/48000/2\r\na=fmtp:72 111/111\r\n'), 111)).toBeNull(); // RTCP's range (RFC 5761 §4)
    expect(redOverOpus(section('a=rtpmap:63 red/8000/1\r\na=fmtp:63 111/111\r\n'), 111)).toBeNull(); // not Opus's clock
  });

  it('an answer keeps RED only if it lists our RED over our Opus', () => {
    const answer = (pts: string, extra: string): string => `${HEAD}m=audio 9 UDP/TLS/RTP/SAVPF ${pts}\r\na=mid:audio\r\na=rtpmap:111 opus/48000/2\r\n${extra}`;
    expect(findAnsweredRed(answer('63 111', 'a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n'), 111, 63)).toBe(63);
    expect(findAnsweredRed(answer('111', ''), 111, 63)).toBeNull(); // a plain-Opus peer (an older terminal)
    expect(findAnsweredRed(answer('63 111', 'a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n'), 109, 63)).toBeNull(); // not our Opus
  });
});

describe('offerForPassiveAnswer', () => {
  it('presents actpass as active in every section (CRLF and LF), so the answer says passive', () => {
    const sdp = HEAD + 'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=setup:actpass\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=setup:actpass\r\n';
    const out = offerForPassiveAnswer(sdp);
    expect(out).not.toContain('a=setup:actpass');
    expect(out.match(/a=setup:active\r\n/g)).toHaveLength(2);
    expect(offerForPassiveAnswer('a=setup:actpass\nx=1\n')).toBe('a=setup:active\nx=1\n');
  });

  it('leaves an offer that already names a role, and other lines, untouched', () => {
    const sdp = HEAD + 'm=audio 9 RTP/SAVPF 111\r\na=setup:passive\r\na=x-note:a=setup:actpass\r\n';
    expect(offerForPassiveAnswer(sdp)).toBe(sdp);
  });
});

describe('carriesCandidates', () => {
  it('tells an offer gathered first (Janus) from a trickled one (a terminal, a browser)', () => {
    expect(carriesCandidates(HEAD + 'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=candidate:1 1 udp 2013266431 10.0.0.2 40000 typ host\r\n')).toBe(true);
    expect(carriesCandidates(HEAD + 'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=x-note:a=candidate:1\r\n')).toBe(false);
  });
});
