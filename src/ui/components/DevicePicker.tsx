import { Box, Text } from 'ink';
import type { AudioEndsState } from '../../engine/api.js';
import type { PickerRow } from '../device-picker.js';

export interface DevicePickerProps {
  readonly audio: AudioEndsState | undefined;
  readonly rows: readonly PickerRow[];
  readonly cursor: number;
  /** The key that opens and closes it, as shown. */
  readonly keyLabel: string;
}

const TITLES = { input: 'Microphone', output: 'Speaker' } as const;

/** Microphones and speakers to switch to; the one in use marked ●, the cursor ›. */
export function DevicePicker({ audio, rows, cursor, keyLabel }: DevicePickerProps) {
  const listed = audio?.devices != null;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1}>
      <Text bold>
        Audio devices <Text dimColor>(↑ ↓ choose, Enter use, esc or {keyLabel} close)</Text>
      </Text>
      {audio === undefined ? <Text color="yellow">this session's audio is not a sound device</Text> : null}
      {audio !== undefined && !listed ? <Text dimColor>listing devices…</Text> : null}
      {(['input', 'output'] as const).map((end) => {
        const endRows = rows.map((row, i) => ({ row, i })).filter(({ row }) => row.end === end);
        if (!listed) return null;
        return (
          <Box key={end} flexDirection="column">
            <Text bold color="cyan">
              {TITLES[end]}
              {audio?.[end].kind !== 'device' ? <Text dimColor>{` (${audio?.[end].kind === 'file' ? 'a file' : 'none'}: cannot switch)`}</Text> : null}
            </Text>
            {endRows.length === 0 ? <Text dimColor> none found</Text> : null}
            {endRows.map(({ row, i }) => (
              <Text key={`${end}:${row.name}`} inverse={i === cursor}>
                {i === cursor ? '› ' : '  '}
                {row.inUse ? <Text color="green">● </Text> : '  '}
                {row.name}
                {row.isDefault ? <Text dimColor> (default)</Text> : null}
              </Text>
            ))}
          </Box>
        );
      })}
      {audio?.input.problem !== undefined && audio.input.health !== 'lost' ? <Text color="yellow">{audio.input.problem}</Text> : null}
      {audio?.output.problem !== undefined && audio.output.health !== 'lost' ? <Text color="yellow">{audio.output.problem}</Text> : null}
    </Box>
  );
}
