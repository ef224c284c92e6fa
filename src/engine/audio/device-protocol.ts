/**
 * The private protocol between the engine and its audio device child process
 * (device-host.ts). Kept free of naudiodon so both sides can import it.
 *
 * Pipes (child's view):
 *   fd 0  parent → child control, JSON lines (`HostCommand`); EOF means the
 *         parent is gone and the child must stop.
 *   fd 1  ignored: naudiodon's native code prints to stdout.
 *   fd 2  captured by the parent, only quoted in error messages.
 *   fd 3  PCM. Input mode: child → parent, records of
 *         [u32 LE byteLength][u64 LE captureTimeNs][byteLength bytes PCM].
 *         Output mode: parent → child, whole frames of raw PCM.
 *   fd 4  child → parent events, JSON lines (`HostEvent`).
 */
import type { FrameMs } from '../../core/media-format.js';

/** A device as reported by PortAudio through naudiodon. */
export interface DeviceInfo {
  index: number;
  name: string;
  hostApi: string;
  maxInputChannels: number;
  maxOutputChannels: number;
  defaultSampleRate: number;
  isDefaultInput: boolean;
  isDefaultOutput: boolean;
}

export type HostConfig =
  | { mode: 'list' }
  | { mode: 'input'; frameMs: FrameMs; device?: string | number }
  | { mode: 'output'; frameMs: FrameMs; device?: string | number; bufferFrames: number };

export type HostErrorKind = 'no-device' | 'not-found' | 'open-failed' | 'internal';

export type HostEvent =
  | { type: 'devices'; devices: DeviceInfo[] }
  | { type: 'ready'; deviceIndex: number; deviceName: string }
  /** Output: the device took frames; send this many more. */
  | { type: 'credit'; frames: number }
  /** Output: a frame was late and silence was played instead. */
  | { type: 'underflow'; total: number }
  | { type: 'error'; kind: HostErrorKind; message: string }
  | { type: 'stopped' };

export type HostCommand = { type: 'stop' };

/** Input record header: u32 byte length + u64 capture time. */
export const PCM_RECORD_HEADER_BYTES = 12;

/** Splits a byte stream into newline-terminated JSON values; bad lines are reported, not thrown. */
export class JsonLineParser {
  private rest = '';

  constructor(
    private readonly onValue: (value: unknown) => void,
    private readonly onBadLine: (line: string) => void = () => {},
  ) {}

  push(chunk: Buffer | string): void {
    this.rest += chunk.toString();
    let nl: number;
    while ((nl = this.rest.indexOf('\n')) >= 0) {
      const line = this.rest.slice(0, nl).trim();
      this.rest = this.rest.slice(nl + 1);
      if (line === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        this.onBadLine(line);
        continue;
      }
      this.onValue(value);
    }
  }
}

/** The devices that can capture (input) or play (output). */
export function devicesFor(devices: readonly DeviceInfo[], direction: 'input' | 'output'): DeviceInfo[] {
  return devices.filter((d) => (direction === 'input' ? d.maxInputChannels : d.maxOutputChannels) > 0);
}

/** Select a device: undefined → default (-1); number → that index; string → the device of that name, else the first whose name contains it (any case). */
export function selectDevice(
  devices: readonly DeviceInfo[],
  wanted: string | number | undefined,
  direction: 'input' | 'output',
): { index: number } | { error: string } {
  const usable = devicesFor(devices, direction);
  const names = usable.map((d) => `${d.index}: ${d.name}`).join(', ') || 'none';
  if (wanted === undefined) return { index: -1 };
  if (typeof wanted === 'number') {
    if (usable.some((d) => d.index === wanted)) return { index: wanted };
    return { error: `no ${direction} device with index ${wanted} (available: ${names})` };
  }
  // The exact name first: a device reopened by the name it had must not land on a longer name that contains it.
  const needle = wanted.toLowerCase();
  const match = usable.find((d) => d.name.toLowerCase() === needle) ?? usable.find((d) => d.name.toLowerCase().includes(needle));
  if (match) return { index: match.index };
  return { error: `no ${direction} device matching "${wanted}" (available: ${names})` };
}
