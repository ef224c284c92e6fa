/**
 * speexdsp (Debian's libspeexdsp.so.1) through koffi. This is the ONLY module
 * that touches the FFI (docs/architecture.md §6): the echo canceller and the
 * preprocessor (residual-echo suppression, automatic gain control) are
 * wrapped here in two small classes; the stages in this folder use those.
 *
 * Why koffi and a system library: speexdsp has no maintained npm binding, and
 * koffi's Linux binary comes as a registry package (@koromix/koffi-linux-x64),
 * so nothing is compiled at install time. The library itself is the Debian
 * package `libspeexdsp1`. When either is missing, `loadSpeexDsp()` throws a
 * SpeexDspUnavailableError naming what to install, and
 * `speexDspAvailability()` lets callers (the send chain, tests, benchmarks)
 * run without these stages instead.
 *
 * Pitfalls this module contains:
 * - Every sample buffer handed to speexdsp must hold exactly the frame size
 *   the state was made with: speexdsp does not know array lengths and would
 *   read or write past the end. Lengths are checked in JavaScript first.
 * - Typed arrays are passed as transient pointers (valid during the call
 *   only), which is all speexdsp needs: it copies what it keeps.
 * - The preprocessor keeps a raw pointer to the echo state it reads residual
 *   echo from (SPEEX_PREPROCESS_SET_ECHO_STATE): the echo state must outlive
 *   it, so the owner destroys the preprocessor first.
 * - speexdsp writes warnings to stderr itself (speex_warning): SET_VAD
 *   always does, so it is never called; the echo canceller does when it
 *   resets itself after diverging. The media process's stderr is not the
 *   terminal UI's (docs/architecture.md §1).
 * - speexdsp is built in floating point on Debian; the AGC exists only there
 *   (preprocess.c compiles it out in fixed point), which `SET_AGC` reports
 *   by returning -1.
 */
import { createRequire } from 'node:module';

// koffi is CommonJS-first; createRequire keeps the import explicit and lets a
// missing package become our own error rather than a module-load failure.
const require = createRequire(import.meta.url);

export const SPEEXDSP_LIBRARY = 'libspeexdsp.so.1';
export const SPEEXDSP_DEBIAN_PACKAGE = 'libspeexdsp1';

// speex_echo.h request numbers.
const SPEEX_ECHO_SET_SAMPLING_RATE = 24;

// speex_preprocess.h request numbers.
const SPEEX_PREPROCESS_SET_DENOISE = 0;
const SPEEX_PREPROCESS_SET_AGC = 2;
const SPEEX_PREPROCESS_SET_NOISE_SUPPRESS = 18;
const SPEEX_PREPROCESS_SET_ECHO_SUPPRESS = 20;
const SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE = 22;
const SPEEX_PREPROCESS_SET_ECHO_STATE = 24;
const SPEEX_PREPROCESS_SET_AGC_INCREMENT = 26;
const SPEEX_PREPROCESS_SET_AGC_DECREMENT = 28;
const SPEEX_PREPROCESS_SET_AGC_MAX_GAIN = 30;
const SPEEX_PREPROCESS_GET_AGC_GAIN = 35;
const SPEEX_PREPROCESS_GET_PROB = 45;
const SPEEX_PREPROCESS_SET_AGC_TARGET = 46;

/** libspeexdsp or koffi could not be loaded; says what to install. */
export class SpeexDspUnavailableError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(
      `speexdsp is not available (${reason}): echo cancellation and gain control need the Debian package ` +
        `${SPEEXDSP_DEBIAN_PACKAGE} (apt-get install ${SPEEXDSP_DEBIAN_PACKAGE})`,
      options,
    );
    this.name = 'SpeexDspUnavailableError';
  }
}

/** An opaque native pointer as koffi hands it out. */
type NativeState = object;
type Fn = (...args: unknown[]) => unknown;

interface Bindings {
  echoInit: Fn;
  echoDestroy: Fn;
  echoCancellation: Fn;
  echoReset: Fn;
  echoCtl: Fn;
  preInit: Fn;
  preDestroy: Fn;
  preRun: Fn;
  preCtl: Fn;
  preCtlState: Fn;
}

let bindings: Bindings | undefined;
let loadError: SpeexDspUnavailableError | undefined;

function bind(): Bindings {
  if (bindings !== undefined) return bindings;
  if (loadError !== undefined) throw loadError;
  let koffi: typeof import('koffi');
  try {
    koffi = require('koffi') as typeof import('koffi');
  } catch (err) {
    loadError = new SpeexDspUnavailableError('the koffi package cannot be loaded; run npm ci', { cause: err });
    throw loadError;
  }
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load(SPEEXDSP_LIBRARY);
  } catch (err) {
    loadError = new SpeexDspUnavailableError(`${SPEEXDSP_LIBRARY} not found`, { cause: err });
    throw loadError;
  }
  // Distinct anonymous opaque types, so that passing a preprocessor where an
  // echo state is expected fails in koffi instead of corrupting memory.
  // Anonymous because koffi's type names are process-wide and a second
  // registration of the same name (a module loaded twice) would throw.
  const echoPtr = koffi.pointer(koffi.opaque());
  const prePtr = koffi.pointer(koffi.opaque());
  // Plain pointers: a typed array then goes to C as a pointer to its own
  // memory (no copy), and what C writes there is what we read after.
  const i16 = koffi.pointer('int16_t');
  const anyPtr = koffi.pointer('void');
  bindings = {
    echoInit: lib.func('speex_echo_state_init', echoPtr, ['int', 'int']),
    echoDestroy: lib.func('speex_echo_state_destroy', 'void', [echoPtr]),
    echoCancellation: lib.func('speex_echo_cancellation', 'void', [echoPtr, i16, i16, i16]),
    echoReset: lib.func('speex_echo_state_reset', 'void', [echoPtr]),
    echoCtl: lib.func('speex_echo_ctl', 'int', [echoPtr, 'int', anyPtr]),
    preInit: lib.func('speex_preprocess_state_init', prePtr, ['int', 'int']),
    preDestroy: lib.func('speex_preprocess_state_destroy', 'void', [prePtr]),
    preRun: lib.func('speex_preprocess_run', 'int', [prePtr, i16]),
    preCtl: lib.func('speex_preprocess_ctl', 'int', [prePtr, 'int', anyPtr]),
    // SET_ECHO_STATE passes the echo state itself as the void* argument.
    preCtlState: lib.func('speex_preprocess_ctl', 'int', [prePtr, 'int', echoPtr]),
  };
  return bindings;
}

/** Load speexdsp now; throws SpeexDspUnavailableError naming the Debian package. */
export function loadSpeexDsp(): void {
  bind();
}

/** Whether speexdsp can be used here, and why not (the error's message). */
export function speexDspAvailability(): { available: true } | { available: false; reason: string } {
  try {
    bind();
    return { available: true };
  } catch (err) {
    return { available: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

function checkLength(name: string, x: Int16Array, frameSamples: number): void {
  if (x.length !== frameSamples) throw new RangeError(`${name} must hold ${frameSamples} samples; got ${x.length}`);
}

/** speexdsp's multidelay-block-frequency echo canceller (one per microphone). */
export class SpeexEcho {
  readonly frameSamples: number;
  readonly filterSamples: number;
  private state: NativeState | null;
  private readonly fns: Bindings;

  constructor(opts: { frameSamples: number; filterSamples: number; sampleRateHz: number }) {
    this.fns = bind();
    if (!Number.isInteger(opts.frameSamples) || opts.frameSamples <= 0) throw new RangeError(`frameSamples must be a positive integer; got ${opts.frameSamples}`);
    if (!Number.isInteger(opts.filterSamples) || opts.filterSamples < opts.frameSamples) {
      throw new RangeError(`filterSamples must be an integer ≥ frameSamples; got ${opts.filterSamples}`);
    }
    this.frameSamples = opts.frameSamples;
    this.filterSamples = opts.filterSamples;
    const state = this.fns.echoInit(opts.frameSamples, opts.filterSamples) as NativeState | null;
    if (state === null) throw new Error('speex_echo_state_init failed');
    this.state = state;
    // The canceller assumes 8 kHz until told; the rate sets its internal
    // time constants (notch filter, adaptation), not the frame size.
    this.fns.echoCtl(state, SPEEX_ECHO_SET_SAMPLING_RATE, Int32Array.of(opts.sampleRateHz));
  }

  /** out = rec with the echo of play removed; all three hold frameSamples. */
  cancel(rec: Int16Array, play: Int16Array, out: Int16Array): void {
    checkLength('rec', rec, this.frameSamples);
    checkLength('play', play, this.frameSamples);
    checkLength('out', out, this.frameSamples);
    this.fns.echoCancellation(this.live(), rec, play, out);
  }

  /** Forget the adapted filter (after the echo path changed completely). */
  reset(): void {
    this.fns.echoReset(this.live());
  }

  /** Native state for SpeexPreprocessor.attachEcho (this module only). */
  nativeState(): NativeState {
    return this.live();
  }

  get closed(): boolean {
    return this.state === null;
  }

  /** Idempotent. Destroy any preprocessor attached to it first. */
  close(): void {
    if (this.state === null) return;
    this.fns.echoDestroy(this.state);
    this.state = null;
  }

  private live(): NativeState {
    if (this.state === null) throw new Error('the speexdsp echo canceller is closed');
    return this.state;
  }
}

export interface PreprocessorSettings {
  /** Spectral gain (noise and residual-echo suppression) applied at all. */
  denoise: boolean;
  /** Most noise attenuation in dB (≤ 0); 0 leaves noise alone. */
  noiseSuppressDb?: number;
  /** Most residual-echo attenuation in dB (≤ 0) while the near end is quiet. */
  echoSuppressDb?: number;
  /** … and while the near end talks (double talk). */
  echoSuppressActiveDb?: number;
  agc: boolean;
  /** AGC target, speexdsp's loudness-weighted level in 16-bit sample units (1–32768). */
  agcTarget?: number;
  /** Most AGC gain in dB. */
  agcMaxGainDb?: number;
  /** How fast the AGC gain may rise / fall, in dB per second. */
  agcIncrementDbPerS?: number;
  agcDecrementDbPerS?: number;
}

/** speexdsp's preprocessor: residual-echo suppression, AGC (one per channel). */
export class SpeexPreprocessor {
  readonly frameSamples: number;
  private state: NativeState | null;
  private readonly fns: Bindings;
  /** Reused for every int CTL, so reads allocate nothing. */
  private readonly intArg = new Int32Array(1);

  constructor(opts: { frameSamples: number; sampleRateHz: number; settings: PreprocessorSettings }) {
    this.fns = bind();
    if (!Number.isInteger(opts.frameSamples) || opts.frameSamples <= 0) throw new RangeError(`frameSamples must be a positive integer; got ${opts.frameSamples}`);
    this.frameSamples = opts.frameSamples;
    const state = this.fns.preInit(opts.frameSamples, opts.sampleRateHz) as NativeState | null;
    if (state === null) throw new Error('speex_preprocess_state_init failed');
    this.state = state;
    const s = opts.settings;
    // VAD and dereverb stay at speexdsp's default, off. Not set explicitly:
    // SET_VAD prints a warning on stderr whatever the value.
    this.setInt(SPEEX_PREPROCESS_SET_DENOISE, s.denoise ? 1 : 0);
    if (s.noiseSuppressDb !== undefined) this.setInt(SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, Math.round(s.noiseSuppressDb));
    if (s.echoSuppressDb !== undefined) this.setInt(SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, Math.round(s.echoSuppressDb));
    if (s.echoSuppressActiveDb !== undefined) this.setInt(SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, Math.round(s.echoSuppressActiveDb));
    if (this.ctl(SPEEX_PREPROCESS_SET_AGC, s.agc ? 1 : 0) !== 0 && s.agc) {
      this.close();
      throw new Error(`${SPEEXDSP_LIBRARY} has no AGC (a fixed-point build)`);
    }
    if (s.agcTarget !== undefined) {
      if (!(s.agcTarget >= 1 && s.agcTarget <= 32768)) throw new RangeError(`agcTarget must be in 1..32768; got ${s.agcTarget}`);
      this.setInt(SPEEX_PREPROCESS_SET_AGC_TARGET, Math.round(s.agcTarget));
    }
    if (s.agcMaxGainDb !== undefined) this.setInt(SPEEX_PREPROCESS_SET_AGC_MAX_GAIN, Math.round(s.agcMaxGainDb));
    if (s.agcIncrementDbPerS !== undefined) this.setInt(SPEEX_PREPROCESS_SET_AGC_INCREMENT, Math.round(s.agcIncrementDbPerS));
    // speexdsp stores the decrement as a negative dB/s step.
    if (s.agcDecrementDbPerS !== undefined) this.setInt(SPEEX_PREPROCESS_SET_AGC_DECREMENT, -Math.abs(Math.round(s.agcDecrementDbPerS)));
  }

  /** Read residual echo from this canceller (it must outlive the preprocessor). */
  attachEcho(echo: SpeexEcho): void {
    const rc = this.fns.preCtlState(this.live(), SPEEX_PREPROCESS_SET_ECHO_STATE, echo.nativeState()) as number;
    if (rc !== 0) throw new Error('SPEEX_PREPROCESS_SET_ECHO_STATE failed');
  }

  /** Process one frame in place. */
  run(x: Int16Array): void {
    checkLength('x', x, this.frameSamples);
    this.fns.preRun(this.live(), x);
  }

  /** Current AGC gain in dB (speexdsp rounds it to whole dB). */
  agcGainDb(): number {
    this.ctl(SPEEX_PREPROCESS_GET_AGC_GAIN, 0);
    return this.intArg[0]!;
  }

  /** Speech probability of the last frame, 0–100 %. */
  speechProbabilityPercent(): number {
    this.ctl(SPEEX_PREPROCESS_GET_PROB, 0);
    return this.intArg[0]!;
  }

  get closed(): boolean {
    return this.state === null;
  }

  /** Idempotent. */
  close(): void {
    if (this.state === null) return;
    this.fns.preDestroy(this.state);
    this.state = null;
  }

  private setInt(request: number, value: number): void {
    if (this.ctl(request, value) !== 0) throw new Error(`speex_preprocess_ctl(${request}) failed`);
  }

  private ctl(request: number, value: number): number {
    this.intArg[0] = value;
    return this.fns.preCtl(this.live(), request, this.intArg) as number;
  }

  private live(): NativeState {
    if (this.state === null) throw new Error('the speexdsp preprocessor is closed');
    return this.state;
  }
}
