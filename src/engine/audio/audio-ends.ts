/**
 * What the user sees of the audio ends of a call, and how they change them
 * mid-call (docs/architecture.md §2 "Devices that come and go"): which
 * microphone and speaker are open, whether one was lost and is being
 * retried, and the devices there are to switch to. Plain data, so it
 * crosses the media process's boundary in every snapshot.
 */
import { devicesFor, type DeviceInfo } from './device-protocol.js';

export type AudioEndName = 'input' | 'output';

export interface AudioEndState {
  /** A sound device, a WAV file (fixture mode), or nothing (no microphone, no speaker). */
  readonly kind: 'device' | 'file' | 'none';
  /** The device's name as the system reports it, the file's path, or ''. */
  readonly name: string;
  /**
   * 'ok'; 'lost' (the device went away or stopped delivering: retried until
   * it returns, the call goes on); 'switching' (opening another device; the
   * current one plays on meanwhile).
   */
  readonly health: 'ok' | 'lost' | 'switching';
  /** Why it was lost, or why the last switch failed, in words. */
  readonly problem?: string;
}

/** The sound devices found the last time they were listed, by name (what a switch takes). */
export interface DeviceChoices {
  readonly input: readonly string[];
  readonly output: readonly string[];
  /** The system's defaults, when there is one. */
  readonly defaultInput?: string;
  readonly defaultOutput?: string;
  /** Wall-clock time (ms since the epoch) of the listing: tells a fresh list from an old one. */
  readonly listedAtMs: number;
}

export interface AudioEndsState {
  readonly input: AudioEndState;
  readonly output: AudioEndState;
  /** null until the devices have been listed (the `refresh-devices` action lists them). */
  readonly devices: DeviceChoices | null;
}

/** Before the media side reports (and for ends given in code, which cannot switch). */
export const AUDIO_ENDS_UNKNOWN: AudioEndsState = {
  input: { kind: 'none', name: '', health: 'ok' },
  output: { kind: 'none', name: '', health: 'ok' },
  devices: null,
};

/** Switching and listing, where the audio ends are sound devices. */
export interface AudioEndsControl {
  readonly state: AudioEndsState;
  /** Open `device` (a name, as listed) for that end; the old one plays on until the new one is ready. Rejects with the reason in words. */
  switchDevice(end: AudioEndName, device: string): Promise<void>;
  /** List the sound devices again (into `state.devices`). */
  refreshDevices(): Promise<void>;
}

/** The device list as names for a picker. */
export function deviceChoices(devices: readonly DeviceInfo[], listedAtMs: number): DeviceChoices {
  const input = devicesFor(devices, 'input');
  const output = devicesFor(devices, 'output');
  const defaultInput = input.find((d) => d.isDefaultInput)?.name;
  const defaultOutput = output.find((d) => d.isDefaultOutput)?.name;
  return {
    input: input.map((d) => d.name),
    output: output.map((d) => d.name),
    listedAtMs,
    ...(defaultInput !== undefined ? { defaultInput } : {}),
    ...(defaultOutput !== undefined ? { defaultOutput } : {}),
  };
}
