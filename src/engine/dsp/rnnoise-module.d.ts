// Minimal types for the synchronous emscripten build of @jitsi/rnnoise-wasm
// 0.2.1 (the package ships no types): only what dsp/rnnoise.ts uses.
declare module '@jitsi/rnnoise-wasm/dist/rnnoise-sync.js' {
  export interface RnnoiseWasmModule {
    /** Current view of the wasm memory; replaced if the memory grows. */
    readonly HEAPF32: Float32Array;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    /** A denoiser state with the built-in model (pass 0). */
    _rnnoise_create(model: number): number;
    /** Re-initialise a state (forget history). */
    _rnnoise_init(state: number, model: number): number;
    _rnnoise_destroy(state: number): void;
    /** Denoise 480 float samples in the int16 range; returns the voice probability 0..1. */
    _rnnoise_process_frame(state: number, outPointer: number, inPointer: number): number;
  }
  /** Compiles and instantiates the embedded wasm synchronously. */
  const createRNNWasmModuleSync: () => RnnoiseWasmModule;
  export default createRNNWasmModuleSync;
}
