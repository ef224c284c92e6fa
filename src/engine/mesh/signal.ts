/**
 * What one PeerLink sends to the other through the signaling server: the SDP
 * offer/answer (RFC 8829 JSEP model) and ICE candidates trickled one by one
 * as they are gathered (RFC 8838). The payload arrives from the network, so
 * it is validated here before it gets near the native library.
 */

export type LinkSignal =
  | { type: 'description'; sdp: string; descType: 'offer' | 'answer' }
  | { type: 'candidate'; candidate: string; mid: string };

/** Generous caps: a real offer is ~1–3 kB, a candidate line ~100 bytes. */
export const MAX_SDP_BYTES = 64 * 1024;
export const MAX_CANDIDATE_BYTES = 1024;

export type SignalCheck = { ok: true; signal: LinkSignal } | { ok: false; reason: string };

export function checkLinkSignal(value: unknown): SignalCheck {
  if (value === null || typeof value !== 'object') return { ok: false, reason: 'signal is not an object' };
  const v = value as Record<string, unknown>;
  if (v.type === 'description') {
    if (v.descType !== 'offer' && v.descType !== 'answer') return { ok: false, reason: 'descType must be offer or answer' };
    if (typeof v.sdp !== 'string' || v.sdp.length === 0) return { ok: false, reason: 'sdp must be a non-empty string' };
    if (v.sdp.length > MAX_SDP_BYTES) return { ok: false, reason: `sdp longer than ${MAX_SDP_BYTES}` };
    if (!v.sdp.startsWith('v=0')) return { ok: false, reason: 'sdp does not start with v=0 (RFC 8866 §5)' };
    return { ok: true, signal: { type: 'description', sdp: v.sdp, descType: v.descType } };
  }
  if (v.type === 'candidate') {
    if (typeof v.candidate !== 'string' || typeof v.mid !== 'string') return { ok: false, reason: 'candidate and mid must be strings' };
    if (v.candidate.length > MAX_CANDIDATE_BYTES || v.mid.length > 64) return { ok: false, reason: 'candidate or mid too long' };
    const candidate = stripAttributePrefix(v.candidate);
    // RFC 8839 §5.1: candidate-attribute = "candidate" ":" foundation SP component-id SP ...
    if (!/^candidate:\S+ \d+ \S+ \d+ \S+ \d+ typ \S+/.test(candidate)) return { ok: false, reason: 'malformed candidate line' };
    return { ok: true, signal: { type: 'candidate', candidate, mid: v.mid } };
  }
  return { ok: false, reason: `unknown signal type ${JSON.stringify(String(v.type)).slice(0, 40)}` };
}

/** libdatachannel emits candidates as `a=candidate:...`; browsers want `candidate:...`. */
export function stripAttributePrefix(candidate: string): string {
  return candidate.startsWith('a=') ? candidate.slice(2) : candidate;
}

/** The `typ` field of a candidate line (host, srflx, prflx, relay), or null. */
export function candidateType(candidate: string): string | null {
  const m = / typ (\S+)/.exec(candidate);
  return m ? m[1]! : null;
}
