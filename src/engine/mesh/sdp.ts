/**
 * The little SDP reading the answerer needs: before setRemoteDescription it
 * must pre-add its own audio track with the offer's `a=mid` and Opus payload
 * type, or libdatachannel accepts the offer and then drops the audio
 * (DESIGN.md §7). Opus is registered as `opus/48000/2` whatever the channel
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
