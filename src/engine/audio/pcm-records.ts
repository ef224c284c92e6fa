/**
 * Parses the device child's input record framing
 * ([u32 byteLength][u64 captureTimeNs][PCM], see device-protocol.ts) from a
 * byte stream split at arbitrary points. Framer then cuts the PCM into frames.
 */
import { PCM_RECORD_HEADER_BYTES } from './device-protocol.js';

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
