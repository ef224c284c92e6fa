/**
 * The little SDP reading the answerer needs: before setRemoteDescription it
 * must pre-add its own audio track with the offer's `a=mid` and Opus payload
 * type, or libdatachannel accepts the offer and then drops the audio
 * (docs/architecture.md §7). Opus is registered as `opus/48000/2` whatever the channel
 * count (RFC 7587 §7).
 */

export interface OfferedAudio {
  mid: string;
  opusPayloadType: number;
}

/** The first audio m-section's mid and Opus payload type, or null if there is no usable one. */
export function findOfferedAudio(sdp: string): OfferedAudio | null {
  const sections = sdp.split(/\r?\n(?=m=)/);
  for (const section of sections) {
    if (!section.startsWith('m=audio ')) continue;
    // A port of 0 means the section is rejected/disabled (RFC 8866 §5.14).
    if (/^m=audio 0 /.test(section)) continue;
    const mid = /^a=mid:(\S+)\s*$/m.exec(section)?.[1];
    const pt = /^a=rtpmap:(\d{1,3}) opus\/48000(?:\/\d)?\s*$/im.exec(section)?.[1];
    if (mid === undefined || pt === undefined) continue;
    const opusPayloadType = Number(pt);
    // Dynamic payload types only (RFC 3551 §6).
    if (opusPayloadType < 96 || opusPayloadType > 127) continue;
    return { mid, opusPayloadType };
  }
  return null;
}

/**
 * The offer as the answerer applies it, so that the answerer becomes the
 * DTLS server (`a=setup:passive` in its answer, RFC 5763 §5 and RFC 8842
 * §5.3 let an answerer choose passive when the offer says actpass).
 *
 * Why: libdatachannel creates a connection's DTLS transport only when its
 * ICE reaches "connected", and drops any packet that arrives before then;
 * its DTLS retransmits after 1 s. As the default DTLS client (setup:active),
 * the answerer's ICE connects as soon as the offerer answers its first
 * check, often before the offerer has even received the answer, so the
 * ClientHello reached an offerer with no DTLS transport yet and the join
 * waited a second (in 35 of 120 loopback connections). As the server, the
 * answerer is listening before the offerer, which can only connect once it
 * has the answer, sends its first flight (0 of 120). libdatachannel has no
 * API to choose the answer's role; it derives it from the offer's (active
 * offer → passive answer), so we present the offer's actpass as active.
 * Sections that already name a role are left alone.
 */
export function offerForPassiveAnswer(offerSdp: string): string {
  return offerSdp.replace(/^a=setup:actpass(?=\r?$)/gm, 'a=setup:active');
}
