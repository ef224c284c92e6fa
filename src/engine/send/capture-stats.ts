/** What the capture side reports (CapturePipeline in a terminal; the web client fills what it can see). */
export interface CapturePipelineStats {
  framesCaptured: number;
  packetsSent: number;
  /** Held back by the level gate (not muted). */
  framesGated: number;
  framesMuted: number;
  /** Encoded but not sent because DTX made them silence packets. */
  framesDtx: number;
  encodeErrors: number;
  /** Opus payload bytes sent (RTCP SR octet count counts payload only, RFC 3550 §6.4.1). */
  payloadOctets: number;
  /** RED headers and redundant frames in the packets built (RFC 2198), once per form and frame, however many peers took it. */
  redundantOctets: number;
  lastLevelDbfs: number;
  peers: number;
}

/** The figures before the first frame. */
export function emptyCaptureStats(): CapturePipelineStats {
  return { framesCaptured: 0, packetsSent: 0, framesGated: 0, framesMuted: 0, framesDtx: 0, encodeErrors: 0, payloadOctets: 0, redundantOctets: 0, lastLevelDbfs: -Infinity, peers: 0 };
}
