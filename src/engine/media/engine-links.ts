/**
 * Links whose packets go straight into a media engine in the same thread:
 * the room builds links through a LinkFactory that only tells it a packet
 * arrived (for liveness, docs/architecture.md §4); this factory is where
 * each link's RTP and RTCP reach the engine (RFC 5761 §4: one transport
 * carries both). The media process uses it for its own links, and so do
 * tests and benchmarks that run the media path in their own thread.
 */
import { monotonicClock } from '../../core/clock.js';
import { PeerLink, type PeerLinkOptions } from '../mesh/peer-link.js';
import type { LinkFactory, SessionLink } from './media-port.js';
import type { MediaEngine } from './media-engine.js';

/** Builds the link itself from full PeerLink options (PeerLink in production, fakes in tests). */
export type MakeLink = (options: PeerLinkOptions) => SessionLink;

export const makePeerLink: MakeLink = (options) => new PeerLink(options);

export function engineLinkFactory(engine: Pick<MediaEngine, 'receive'>, makeLink: MakeLink = makePeerLink): LinkFactory {
  return ({ onPacket, ...options }) => {
    const clock = options.clock ?? monotonicClock;
    return makeLink({
      ...options,
      onRtp: (packet, arrivalMs) => {
        engine.receive(options.peerId, packet, arrivalMs);
        onPacket(arrivalMs);
      },
      onRtcp: (packet) => {
        const arrivalMs = clock.now();
        engine.receive(options.peerId, packet, arrivalMs);
        onPacket(arrivalMs);
      },
    });
  };
}
