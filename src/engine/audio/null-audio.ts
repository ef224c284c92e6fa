/**
 * Audio ends that do nothing, for the demo's bots (they speak a WAV and
 * need hear no one) and for a user without a microphone.
 */
import { assertFrameMs, type FrameMs } from '../../core/media-format.js';
import type { AudioSink, AudioSource } from './types.js';

/**
 * A speaker that never pulls. Nothing is decoded or mixed for it (saves a
 * bot's CPU on a small machine); arriving packets wait in the remote
 * stream's jitter buffer, which is bounded (receive/jitter-buffer.ts
 * maxPackets) and drops its oldest.
 */
export class NullSink implements AudioSink {
  readonly frameMs: FrameMs;
  readonly underflows = 0;

  constructor(frameMs: FrameMs) {
    this.frameMs = assertFrameMs(frameMs);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}

/** A microphone that never delivers a frame: nothing is encoded or sent. */
export class NoInputSource implements AudioSource {
  readonly frameMs: FrameMs;
  onEnd?: (() => void) | undefined;

  constructor(frameMs: FrameMs) {
    this.frameMs = assertFrameMs(frameMs);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
