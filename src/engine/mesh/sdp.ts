/**
 * The little SDP reading a link needs. Before setRemoteDescription the
 * answerer must pre-add its own audio track with the offer's `a=mid` and
 * Opus payload type, or libdatachannel accepts the offer and then drops the
 * audio (docs/architecture.md §7). Opus is registered as `opus/48000/2`
 * whatever the channel count (RFC 7587 §7). RED (RFC 2198) is
 * `red/48000/2`, usable for us only if its fmtp lists nothing but the Opus
 * payload type (Chromium's `a=fmtp:63 111/111`): the answerer adds it to
 * its track when offered, and the offerer learns from the answer whether
 * the other end took it.
 */

export interface OfferedAudio {
  mid: string;
  opusPayloadType: number;
  /** RED over this Opus, or null when the section does not carry it. */
  redPayloadType: number | null;
}

/** The first audio m-section's mid, Opus and RED payload types, or null if there is no usable one. */
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
    return { mid, opusPayloadType, redPayloadType: redOverOpus(section, opusPayloadType) };
  }
  return null;
}

/**
 * The payload type of `red/48000/2` in an audio section if its blocks may
 * only be Opus as `opusPayloadType` (fmtp `111/111`, or `111` alone), else
 * null. No fmtp would allow any block type (RFC 2198 §5 leaves the list
 * optional), which we do not decode, so that RED is not used. Dynamic
 * payload types only: 96–127, and 35–63 (RFC 3550 §5.1; Chromium picks 63),
 * never 64–95, which RTCP multiplexing reserves (RFC 5761 §4).
 */
export function redOverOpus(section: string, opusPayloadType: number): number | null {
  const rtpmap = /^a=rtpmap:(\d{1,3}) red\/48000(?:\/\d)?\s*$/gim;
  for (let m = rtpmap.exec(section); m !== null; m = rtpmap.exec(section)) {
    const pt = Number(m[1]);
    if (!((pt >= 96 && pt <= 127) || (pt >= 35 && pt <= 63)) || pt === opusPayloadType) continue;
    const fmtp = new RegExp(`^a=fmtp:${pt} (\\S+)\\s*$`, 'm').exec(section)?.[1];
    if (fmtp === undefined) continue;
    const blocks = fmtp.split('/');
    if (blocks.every((b) => b === String(opusPayloadType))) return pt;
  }
  return null;
}

/**
 * What the other end took of our RED offer: the RED payload type in its
 * answer if it kept ours over our Opus (an answer uses the offer's types,
 * RFC 3264 §6.1), else null (a plain-Opus peer, e.g. an older terminal).
 */
export function findAnsweredRed(answerSdp: string, opusPayloadType: number, redPayloadType: number): number | null {
  const offered = findOfferedAudio(answerSdp);
  if (offered === null || offered.opusPayloadType !== opusPayloadType) return null;
  return offered.redPayloadType === redPayloadType ? redPayloadType : null;
}

/** True when the SDP carries ICE candidates itself (an offerer that gathered before offering, as Janus does). */
export function carriesCandidates(sdp: string): boolean {
  return /^a=candidate:/m.test(sdp);
}

/**
 * The offer as the answerer applies it to become the DTLS server
 * (`a=setup:passive` in its answer; RFC 5763 §5 and RFC 8842 §5.3 let an
 * answerer choose passive when the offer says actpass). libdatachannel has
 * no API to choose the answer's role; it derives it from the offer's (active
 * offer → passive answer), so the offer's actpass is presented as active.
 * Sections that already name a role are left alone.
 *
 * When: libdatachannel creates a connection's DTLS transport only once its
 * ICE is connected and drops DTLS packets that come earlier (its first
 * retransmission is 1 s later), so the side whose ICE connects first should
 * be the server. An offer that brings its candidates lets the answerer check
 * at once, and an offerer answers checks before it has the answer, so the
 * answerer connects first: passive (Janus's offers). A terminal's offer
 * comes without them and its candidates only after our answer is applied
 * (PeerLink.onLocalCandidate), so the offerer connects first and the
 * answerer stays libdatachannel's default, the client (docs/architecture.md
 * §6, "DTLS roles and the answer").
 */
export function offerForPassiveAnswer(offerSdp: string): string {
  return offerSdp.replace(/^a=setup:actpass(?=\r?$)/gm, 'a=setup:active');
}
