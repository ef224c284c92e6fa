/**
 * The device picker of the terminal UI, as pure functions: the rows it
 * shows (microphones, then speakers, from `self.audio.devices`) and what a
 * key does while it is open (↑/↓ move, Enter uses the device, Esc or the
 * picker key closes). Every other key is swallowed, so a letter typed at
 * the picker never mutes or leaves by accident.
 */
import type { AudioEndName, AudioEndsState } from '../engine/api.js';
import { matchesKey, type KeyInfo } from './keymap.js';

export interface PickerRow {
  readonly end: AudioEndName;
  readonly name: string;
  /** The device this end uses now. */
  readonly inUse: boolean;
  /** The system's default for this end. */
  readonly isDefault: boolean;
}

/** Rows in the order shown; empty until the devices have been listed. */
export function pickerRows(audio: AudioEndsState | undefined): PickerRow[] {
  const devices = audio?.devices;
  if (audio === undefined || devices == null) return [];
  const rows = (end: AudioEndName, names: readonly string[], fallback: string | undefined): PickerRow[] =>
    names.map((name) => ({ end, name, inUse: audio[end].kind === 'device' && audio[end].name === name, isDefault: name === fallback }));
  return [...rows('input', devices.input, devices.defaultInput), ...rows('output', devices.output, devices.defaultOutput)];
}

export type PickerKeyResult =
  | { readonly kind: 'move'; readonly cursor: number }
  | { readonly kind: 'pick'; readonly row: PickerRow }
  | { readonly kind: 'close' };

/** What one key does with the picker open at `cursor` over `rows`. */
export function pickerKey(rows: readonly PickerRow[], cursor: number, input: string, key: KeyInfo, pickerKeyName: string): PickerKeyResult {
  if (key.escape === true || matchesKey(pickerKeyName, input, key) || (key.ctrl === true && input === 'c')) return { kind: 'close' };
  const last = rows.length - 1;
  const at = Math.max(0, Math.min(cursor, last));
  if (key.upArrow === true || input === 'k') return { kind: 'move', cursor: Math.max(0, at - 1) };
  if (key.downArrow === true || input === 'j') return { kind: 'move', cursor: Math.max(0, Math.min(last, at + 1)) };
  if (key.return === true && rows[at] !== undefined) return { kind: 'pick', row: rows[at] };
  return { kind: 'move', cursor: at };
}
