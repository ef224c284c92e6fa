/**
 * Re-chunks a stream of timestamped PCM records (whatever sizes the device
 * delivers) into frames of exactly `frameSamples`, each stamped with the
 * capture time of its first sample, and parses the device child's input
 * record framing ([u32 byteLength][u64 captureTimeNs][PCM], see
 * device-protocol.ts).
 */
import { PCM_RECORD_HEADER_BYTES } from './device-protocol.js';

const NS_PER_SAMPLE_48K = 1e9 / 48_000;

export class FrameChunker {
  private readonly frame: Int16Array;
  private filled = 0;
  private frameStartNs = 0n;

  constructor(
    private readonly frameSamples: number,
    private readonly onFrame: (pcm: Int16Array, captureTimeNs: bigint) => void,
  ) {
    if (!(frameSamples > 0)) throw new RangeError(`frameSamples must be > 0, got ${frameSamples}`);
    this.frame = new Int16Array(frameSamples);
  }

  /** Add samples whose first sample was captured at `captureTimeNs`. */
  push(samples: Int16Array, captureTimeNs: bigint): void {
    let offset = 0;
    while (offset < samples.length) {
      if (this.filled === 0) this.frameStartNs = captureTimeNs + BigInt(Math.round(offset * NS_PER_SAMPLE_48K));
      const n = Math.min(this.frameSamples - this.filled, samples.length - offset);
      this.frame.set(samples.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.frameSamples) {
        this.filled = 0;
        this.onFrame(this.frame, this.frameStartNs);
      }
    }
  }
}

/** Parses input records from a byte stream split at arbitrary points. */
export class PcmRecordParser {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly onRecord: (samples: Int16Array, captureTimeNs: bigint) => void) {}

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    while (this.buffered.length >= PCM_RECORD_HEADER_BYTES) {
      const byteLength = this.buffered.readUInt32LE(0);
      const total = PCM_RECORD_HEADER_BYTES + byteLength;
      if (this.buffered.length < total) return;
      const captureTimeNs = this.buffered.readBigUInt64LE(4);
      // Copy into an aligned buffer: an Int16Array view needs an even byte offset.
      const pcm = new Int16Array(Math.floor(byteLength / 2));
      Buffer.from(pcm.buffer).set(this.buffered.subarray(PCM_RECORD_HEADER_BYTES, PCM_RECORD_HEADER_BYTES + pcm.length * 2));
      this.buffered = this.buffered.subarray(total);
      this.onRecord(pcm, captureTimeNs);
    }
  }
}
