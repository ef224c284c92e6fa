/**
 * A microphone or speaker that survives being unplugged and can be swapped
 * mid-call (docs/architecture.md §2 "Devices that come and go").
 *
 * The engine sees one AudioSource / AudioSink for the whole call; behind it
 * a supervisor keeps one device (audio/device.ts, its own child process)
 * open at a time:
 *
 * - **Lost.** A device is lost when its process ends, or when it stops
 *   moving audio for `stallMs`. Both happen: when PulseAudio removes the
 *   sink or source a stream plays to and has nowhere to move it, PortAudio
 *   reports nothing and the stream simply stalls (measured with
 *   `pactl unload-module`: no error, no callback, for as long as we waited).
 *   The lost device's process is stopped and the same device is opened again
 *   with backoff until it returns; the call goes on meanwhile. A speaker
 *   that is gone is replaced by a clock that keeps pulling the mix, so every
 *   peer's jitter buffer stays in step (as when deafened) and the sound comes
 *   back current, not from a backlog.
 * - **Found again by name.** A device picked by name is reopened by that
 *   name; one picked by index is reopened by the name it had (indexes move
 *   when devices come and go); the system default is reopened as the
 *   default, wherever the system now points it.
 * - **Switch.** The new device opens while the old one still plays; only
 *   once it has moved its first frames (DEVICE_WARMUP_FRAMES) does audio
 *   move to it and the old one close. A device that will not open, or opens
 *   and moves nothing, leaves the old one as it was and says why. A reopened
 *   device warms up the same way.
 *
 * The first open is not retried: a device that cannot open at the start
 * (a wrong name) is an error the user must see at once, with the list of
 * devices there are.
 */
import { monotonicClock, FramePacer, PULL_EARLY_TOLERANCE_MS, type Clock, type TimerHandle } from '../../core/clock.js';
import { backoffDelayMs, resolveBackoff, type BackoffOptions } from '../../core/backoff.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { samplesPerFrame, type FrameMs } from '../../core/media-format.js';
import type { AudioEndName, AudioEndState } from './audio-ends.js';
import type { AudioDeviceError } from './device.js';
import type { AudioSink, AudioSource, FrameHandler, FramePuller, SinkStartOptions } from './types.js';
import { underflowsAfterWarmup } from './types.js';

/** A device end opened by the supervisor (audio/device.ts's DeviceSource / DeviceSink, or a test's). */
interface SupervisedDevice {
  readonly frameMs: FrameMs;
  readonly deviceName: string;
  /** Called once if the device fails after it started. */
  onError?: ((err: AudioDeviceError) => void) | undefined;
  stop(): Promise<void>;
}
export interface SupervisedSource extends SupervisedDevice, AudioSource {}
export interface SupervisedSink extends SupervisedDevice, AudioSink {}

/** No audio for this long from a running device means it is gone (a busy machine delays a frame by tens of ms, not a second). */
export const DEVICE_STALL_MS = 1000;

/**
 * For this long after a device starts, only a stall of DEVICE_START_STALL_MS
 * counts as a loss: a new PulseAudio stream may play its first frames and
 * then stall while the server settles its latency (1–2 s on an idle null
 * sink, up to 0.4 s on a busy one, measured while switching), which is a
 * hiccup, not a device gone.
 */
export const DEVICE_START_WINDOW_MS = 5000;
export const DEVICE_START_STALL_MS = 3000;

/**
 * Frames a new device must move before audio moves to it (a switch or a
 * reopen), so a device that opens but plays nothing, or stalls while it
 * starts, never takes over from one that works.
 */
export const DEVICE_WARMUP_FRAMES = 5;

/** Reopening a lost device: soon at first, then every 2 s at most, for as long as the call lasts. */
export const DEVICE_RETRY_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialDelayMs: 250, maxDelayMs: 2000, factor: 2, jitter: 0.2 });

export interface LiveDeviceOptions<D> {
  readonly end: AudioEndName;
  readonly frameMs: FrameMs;
  /** The device asked for: a name, an index, or undefined for the system default. */
  readonly device?: string | number | undefined;
  /** Builds (does not start) a device end for a device spec. */
  readonly create: (device: string | number | undefined) => D;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly stallMs?: number;
  /** Default DEVICE_WARMUP_FRAMES; 0 takes a device as soon as it opened. */
  readonly warmupFrames?: number;
  readonly retry?: Partial<BackoffOptions>;
  /** For the backoff's jitter (tests pass a fixed one). */
  readonly random?: () => number;
  /** Called whenever `state` changes. */
  readonly onChange?: () => void;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What the source and the sink share: one device at a time, lost and found, switched. */
abstract class LiveDevice<D extends SupervisedDevice> {
  readonly frameMs: FrameMs;
  protected readonly clock: Clock;
  protected readonly log: Logger;
  /** The device audio goes to/from; undefined while lost. */
  protected active: D | undefined;
  /** Frames moved by the active device: the watchdog's measure of life. */
  protected activity = 0;
  private readonly end: AudioEndName;
  private readonly create: (device: string | number | undefined) => D;
  private readonly stallMs: number;
  private readonly warmupFrames: number;
  /** Devices opened but not in use yet, with the frames each has moved and who waits for them. */
  private readonly warming = new Map<D, { frames: number; ready: () => void }>();
  /** When the active device was adopted: its start-up window (DEVICE_START_WINDOW_MS) runs from here. */
  private adoptedAtMs = 0;
  private readonly backoff: BackoffOptions;
  private readonly random: () => number;
  private readonly onChange: () => void;
  /** What a reopen asks for (see the module comment). */
  private wanted: string | number | undefined;
  private health: AudioEndState['health'] = 'ok';
  private problem: string | undefined;
  private name = '';
  private attempt = 0;
  private retryTimer: TimerHandle | undefined;
  private watchTimer: TimerHandle | undefined;
  private lastActivity = 0;
  private lastActivityMs = 0;
  /** One open (reopen or switch) at a time. */
  private opening: Promise<unknown> = Promise.resolve();
  /** Devices being closed (a lost one's process may take its grace period to go). */
  private readonly retiring = new Set<Promise<void>>();
  private stopped = false;

  constructor(options: LiveDeviceOptions<D>) {
    this.end = options.end;
    this.frameMs = options.frameMs;
    this.wanted = options.device;
    this.create = options.create;
    this.clock = options.clock ?? monotonicClock;
    this.log = (options.logger ?? silentLogger).child({ component: options.end === 'input' ? 'audio-in' : 'audio-out' });
    this.stallMs = options.stallMs ?? DEVICE_STALL_MS;
    this.warmupFrames = options.warmupFrames ?? DEVICE_WARMUP_FRAMES;
    this.backoff = resolveBackoff({ ...DEVICE_RETRY_BACKOFF, ...options.retry });
    this.random = options.random ?? Math.random;
    this.onChange = options.onChange ?? (() => undefined);
  }

  get state(): AudioEndState {
    return { kind: 'device', name: this.name, health: this.health, ...(this.problem !== undefined ? { problem: this.problem } : {}) };
  }

  /** Name of the open device (the last one, while lost). */
  get deviceName(): string {
    return this.name;
  }

  /** Build and start a device end; audio flows through it only once it is `active`. */
  protected abstract startDevice(device: D): Promise<void>;
  /** The active device was lost (true) or one is active again (false). */
  protected abstract lostChanged(lost: boolean): void;
  /** A device that was in use is being closed (lost, replaced, or the end stops). */
  protected leftUse(_device: D): void {}

  /** The first device: its failure is the caller's (see the module comment). */
  protected async openFirst(): Promise<void> {
    const device = this.create(this.wanted);
    await this.startDevice(device);
    this.adopt(device);
    this.watch();
  }

  /** Open `device` instead of the current one; the current one plays until the new one runs. */
  switchTo(device: string): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.stopped) throw new Error(`the ${this.end} is closed`);
      const before = this.health;
      this.health = 'switching';
      this.problem = undefined;
      this.onChange();
      const next = this.create(device);
      try {
        await this.startWarm(next);
      } catch (err) {
        this.retire(next);
        this.health = before;
        this.problem = `cannot switch to "${device}": ${messageOf(err)}`;
        this.log.warn('device-switch-failed', { device, error: messageOf(err) });
        this.onChange();
        throw new Error(this.problem, { cause: err });
      }
      if (this.stopped) {
        this.retire(next);
        return;
      }
      this.wanted = device;
      this.adopt(next);
      this.log.info('device-switched', { device: next.deviceName });
    };
    const op = this.opening.then(run);
    this.opening = op.catch(() => undefined);
    return op;
  }

  /** Start a device and wait until it has moved DEVICE_WARMUP_FRAMES (rejects if it does not within DEVICE_START_STALL_MS). */
  private async startWarm(device: D): Promise<void> {
    if (this.warmupFrames === 0) return this.startDevice(device);
    const warm = new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimer(() => {
        this.warming.delete(device);
        reject(new Error(`it opened but moved no audio within ${DEVICE_START_STALL_MS / 1000} s`));
      }, DEVICE_START_STALL_MS);
      this.warming.set(device, {
        frames: 0,
        ready: () => {
          this.clock.clearTimer(timer);
          this.warming.delete(device);
          resolve();
        },
      });
    });
    // The stall timer runs from now, so it may fire while startDevice is still under way (a device
    // process slow to start on a busy machine): the rejection is then handled by the `await warm` below,
    // not left unhandled until then (an unhandled rejection ends a Node process).
    warm.catch(() => undefined);
    try {
      await this.startDevice(device);
    } catch (err) {
      this.warming.get(device)?.ready();
      throw err;
    }
    await warm;
  }

  /** A frame moved by a device that is not in use (yet): counts towards its warm-up. */
  protected warmed(device: D): void {
    const w = this.warming.get(device);
    if (w !== undefined && ++w.frames >= this.warmupFrames) w.ready();
  }

  /** Stop the device (and any retry); resolves when every device process this end started has gone. */
  protected async close(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== undefined) this.clock.clearTimer(this.retryTimer);
    if (this.watchTimer !== undefined) this.clock.clearTimer(this.watchTimer);
    this.retryTimer = undefined;
    this.watchTimer = undefined;
    await this.opening;
    const last = this.active;
    this.active = undefined;
    if (last !== undefined) {
      this.leftUse(last);
      this.retire(last);
    }
    await Promise.all([...this.retiring]);
  }

  /** Make `device` the one audio flows through; the one before closes. */
  private adopt(device: D): void {
    const old = this.active;
    this.active = device;
    this.activity = 0;
    this.lastActivity = 0;
    this.lastActivityMs = this.clock.now();
    this.adoptedAtMs = this.lastActivityMs;
    this.name = device.deviceName;
    // Reopen by name from now on: an index may point elsewhere once devices change.
    if (typeof this.wanted === 'number') this.wanted = device.deviceName;
    const wasLost = this.health === 'lost' || (this.health === 'switching' && old === undefined);
    this.health = 'ok';
    this.problem = undefined;
    this.attempt = 0;
    device.onError = (err) => {
      if (this.active === device) this.lose(err.message);
    };
    if (old !== undefined) {
      this.leftUse(old);
      this.retire(old);
    }
    if (wasLost) this.lostChanged(false);
    this.onChange();
  }

  private lose(reason: string): void {
    const device = this.active;
    if (device === undefined || this.stopped) return;
    this.active = undefined;
    this.leftUse(device);
    this.retire(device);
    this.health = 'lost';
    this.problem = reason;
    this.log.warn('device-lost', { device: this.name, reason });
    this.lostChanged(true);
    this.onChange();
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    const delayMs = backoffDelayMs(this.attempt++, this.backoff, this.random);
    this.retryTimer = this.clock.setTimer(() => {
      this.retryTimer = undefined;
      const run = async (): Promise<void> => {
        // A switch may have found a device meanwhile.
        if (this.stopped || this.active !== undefined) return;
        const device = this.create(this.wanted);
        try {
          await this.startWarm(device);
        } catch (err) {
          this.retire(device);
          if (!this.stopped && this.active === undefined) {
            this.problem = messageOf(err);
            this.onChange();
            this.scheduleRetry();
          }
          return;
        }
        if (this.stopped || this.active !== undefined) {
          this.retire(device);
          return;
        }
        this.adopt(device);
        this.log.info('device-restored', { device: device.deviceName });
      };
      const op = this.opening.then(run);
      this.opening = op.catch(() => undefined);
    }, delayMs);
  }

  /** Every half stall period: has the active device moved audio lately? */
  private watch(): void {
    const checkMs = this.stallMs / 2;
    const tick = (): void => {
      if (this.stopped) return;
      const now = this.clock.now();
      if (this.active !== undefined) {
        if (this.activity !== this.lastActivity) {
          this.lastActivity = this.activity;
          this.lastActivityMs = now;
        } else if (now - this.lastActivityMs >= (now - this.adoptedAtMs < DEVICE_START_WINDOW_MS ? DEVICE_START_STALL_MS : this.stallMs)) {
          this.lose(`no audio for ${Math.round(now - this.lastActivityMs)} ms (device removed?)`);
        }
      }
      this.watchTimer = this.clock.setTimer(tick, checkMs);
    };
    this.watchTimer = this.clock.setTimer(tick, checkMs);
  }

  private retire(device: D): void {
    const done = device.stop().catch((err: unknown) => this.log.warn('device-stop-failed', { error: messageOf(err) }));
    this.retiring.add(done);
    void done.then(() => this.retiring.delete(done));
  }
}

/** A microphone that is retried when lost and can be switched. */
export class LiveDeviceSource extends LiveDevice<SupervisedSource> implements AudioSource {
  onEnd?: (() => void) | undefined;
  private onFrame: FrameHandler | undefined;

  constructor(options: LiveDeviceOptions<SupervisedSource>) {
    super(options);
  }

  async start(onFrame: FrameHandler): Promise<void> {
    if (this.onFrame !== undefined) throw new Error('LiveDeviceSource already started');
    this.onFrame = onFrame;
    await this.openFirst();
  }

  stop(): Promise<void> {
    return this.close();
  }

  protected async startDevice(device: SupervisedSource): Promise<void> {
    const onFrame = this.onFrame!;
    await device.start((pcm, captureTimeNs) => {
      // A device opening for a switch delivers nothing until it is the one in use.
      if (this.active !== device) {
        this.warmed(device);
        return;
      }
      this.activity++;
      onFrame(pcm, captureTimeNs);
    });
  }

  protected lostChanged(): void {
    // Nothing to stand in for a microphone: no frames, nothing sent (the peers' buffers conceal, then go quiet).
  }
}

/** A speaker that is retried when lost and can be switched. */
export class LiveDeviceSink extends LiveDevice<SupervisedSink> implements AudioSink {
  private pull: FramePuller | undefined;
  private silence: Int16Array;
  private pacer: FramePacer | undefined;
  /** Underflows of the devices used before the active one. */
  private pastUnderflows = 0;
  private pastUnderflowsAfterWarmup = 0;

  constructor(options: LiveDeviceOptions<SupervisedSink>) {
    super(options);
    this.silence = new Int16Array(samplesPerFrame(options.frameMs));
  }

  get underflows(): number {
    return this.pastUnderflows + (this.active?.underflows ?? 0);
  }

  /** Each device warms up when it starts (a reopened one too). */
  get underflowsAfterWarmup(): number {
    const a = this.active;
    return this.pastUnderflowsAfterWarmup + (a === undefined ? 0 : underflowsAfterWarmup(a));
  }

  async start(pull: FramePuller, _opts?: SinkStartOptions): Promise<void> {
    if (this.pull !== undefined) throw new Error('LiveDeviceSink already started');
    this.pull = pull;
    await this.openFirst();
  }

  async stop(): Promise<void> {
    this.pacer?.stop();
    await this.close();
  }

  protected async startDevice(device: SupervisedSink): Promise<void> {
    const pull = this.pull!;
    await device.start((playTimeNs) => {
      // Until it is the one in use (a switch), a new device plays silence; the old one plays silence once replaced.
      if (this.active !== device) {
        this.warmed(device);
        return this.silence;
      }
      this.activity++;
      return pull(playTimeNs);
    });
  }

  protected lostChanged(lost: boolean): void {
    if (lost) {
      // Keep the mix moving in real time while no device takes it (see the module comment).
      const pull = this.pull!;
      this.pacer ??= new FramePacer(this.clock, this.frameMs, (_index, dueMs) => {
        pull(BigInt(Math.round(dueMs * 1e6)));
      }, undefined, PULL_EARLY_TOLERANCE_MS);
      this.pacer.start();
    } else {
      this.pacer?.stop();
    }
  }

  /** Count a lost or replaced device's underflows once it is no longer active. */
  protected override leftUse(device: SupervisedSink): void {
    this.pastUnderflows += device.underflows;
    this.pastUnderflowsAfterWarmup += underflowsAfterWarmup(device);
  }
}
