/**
 * The page's SFrame worker (RFC 9605; docs/architecture.md §11): each
 * RTCRtpScriptTransform the page makes runs here, off the page's main
 * thread. On our uplink every encoded Opus frame is sealed before
 * libwebrtc packetizes it; on a subscription every frame is opened before
 * libwebrtc's decoder (NetEQ) sees it, and one that does not open (another
 * member's KID, tampered, malformed) is dropped, which NetEQ conceals. The
 * RTP header is libwebrtc's own and stays clear, as Janus needs to forward.
 *
 * One sender per KID for the worker's life: a new uplink (Janus hung up, we
 * publish again) reuses it, so its counter carries on and no nonce repeats
 * under one key (§4.4.3).
 *
 * Built as its own bundle (scripts/build-web.mjs → dist/web/sframe-worker.js).
 */
import type { FromSFrameWorker, SFrameTransformOptions } from './sframe-worker-protocol.js';
import { WebSFrameReceiver, WebSFrameSender } from './sframe-web.js';

interface EncodedFrame {
  data: ArrayBuffer;
}

interface Transformer {
  readonly options: SFrameTransformOptions;
  readonly readable: ReadableStream<EncodedFrame>;
  readonly writable: WritableStream<EncodedFrame>;
}

interface WorkerScope {
  onrtctransform: ((event: { transformer: Transformer }) => void) | null;
  postMessage(message: FromSFrameWorker): void;
}

const scope = globalThis as unknown as WorkerScope;
const senders = new Map<string, Promise<WebSFrameSender>>();
const counts = { sealed: 0, opened: 0, refused: 0 };
let reported = '';

setInterval(() => {
  const now = `${counts.sealed}/${counts.opened}/${counts.refused}`;
  if (now === reported) return;
  reported = now;
  scope.postMessage({ t: 'counts', ...counts });
}, 1000);

function sealing(o: SFrameTransformOptions): TransformStream<EncodedFrame, EncodedFrame> {
  let sender = senders.get(o.kid);
  if (sender === undefined) {
    sender = WebSFrameSender.create(BigInt(o.kid), o.baseKey);
    senders.set(o.kid, sender);
  }
  const ready = sender;
  return new TransformStream({
    async transform(frame, controller) {
      const sealed = await (await ready).encrypt(new Uint8Array(frame.data));
      frame.data = sealed.buffer as ArrayBuffer;
      counts.sealed++;
      controller.enqueue(frame);
    },
  });
}

function opening(o: SFrameTransformOptions): TransformStream<EncodedFrame, EncodedFrame> {
  const receiver = new WebSFrameReceiver();
  const ready = receiver.addKey(BigInt(o.kid), o.baseKey);
  let first = true;
  return new TransformStream({
    async transform(frame, controller) {
      await ready;
      const plain = await receiver.decrypt(new Uint8Array(frame.data));
      if (typeof plain === 'string') {
        counts.refused++;
        return;
      }
      frame.data = plain.buffer as ArrayBuffer;
      counts.opened++;
      controller.enqueue(frame);
      if (first) {
        first = false;
        scope.postMessage({ t: 'first', peerId: o.peerId });
      }
    },
  });
}

scope.onrtctransform = ({ transformer }) => {
  const o = transformer.options;
  const stage = o.side === 'seal' ? sealing(o) : opening(o);
  // The pipe ends when the transceiver stops; nothing to report then.
  transformer.readable.pipeThrough(stage).pipeTo(transformer.writable).catch(() => undefined);
};
