// Minimal types for the `wav` package (no @types/wav is installed): only the
// streaming Writer that wav-file.ts uses.
declare module 'wav' {
  import { Transform, type TransformOptions } from 'node:stream';

  export interface WriterOptions extends TransformOptions {
    format?: number;
    channels?: number;
    sampleRate?: number;
    bitDepth?: number;
  }

  /**
   * Pushes a 44-byte RIFF/WAVE header (sizes set to a maximum) followed by the
   * PCM written to it; after the readable side ends it emits 'header' with the
   * corrected header, to be written over the first bytes of a seekable file.
   */
  export class Writer extends Transform {
    constructor(options?: WriterOptions);
    on(event: 'header', listener: (header: Buffer) => void): this;
    on(event: string | symbol, listener: (...args: any[]) => void): this;
    once(event: 'header', listener: (header: Buffer) => void): this;
    once(event: string | symbol, listener: (...args: any[]) => void): this;
  }
}
