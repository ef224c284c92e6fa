/**
 * What the page and its SFrame worker (sframe-transform.ts) say to each
 * other (docs/architecture.md §11). Options ride on each
 * RTCRtpScriptTransform (structured clone); the worker answers with
 * messages. Keys never leave the page and its own worker.
 */

/** The options of one RTCRtpScriptTransform: seal our uplink, or open one subscription. */
export interface SFrameTransformOptions {
  readonly side: 'seal' | 'open';
  /** The KID, as a decimal string (the sender's, ours when sealing). */
  readonly kid: string;
  readonly baseKey: Uint8Array;
  /** Whose frames these are: ours (seal) or the subscription's peer (open). */
  readonly peerId: string;
}

export type FromSFrameWorker =
  /** The first frame of this subscription opened: the SFU brings this peer's audio. */
  | { readonly t: 'first'; readonly peerId: string }
  /** Running totals, at most once a second while they change. */
  | { readonly t: 'counts'; readonly sealed: number; readonly opened: number; readonly refused: number };

/** The worker's file, beside the page's own bundle (scripts/build-web.mjs). */
export const SFRAME_WORKER_URL = 'sframe-worker.js';
