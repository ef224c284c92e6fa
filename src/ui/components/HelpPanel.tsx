import { Box, Text } from 'ink';

export interface HelpPanelProps {
  readonly holdToTalk: boolean;
  readonly logFile: string | undefined;
}

const KEYS: ReadonlyArray<readonly [string, string]> = [
  ['m', 'mute / unmute your microphone'],
  ['d', 'deafen / undeafen (hear no one, and mute)'],
  ['↑ ↓', 'select a peer'],
  ['← → or - +', "selected peer's volume, 0–200 % in steps of 10"],
  ['x', 'mute / unmute the selected peer for you only'],
  ['p', 'push-to-talk mode on / off'],
  ['space', 'talk key in push-to-talk mode'],
  ['s', 'detailed link statistics'],
  ['?', 'this help'],
  ['esc', 'close help and statistics'],
  ['q, Ctrl-C', 'leave the room'],
];

export function HelpPanel({ holdToTalk, logFile }: HelpPanelProps) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1}>
      <Text bold>Keys</Text>
      {KEYS.map(([k, what]) => (
        // Two boxes so a long description wraps within its own column.
        <Box key={k}>
          <Box width={12} flexShrink={0}>
            <Text bold color="cyan">
              {k}
            </Text>
          </Box>
          <Box flexShrink={1}>
            <Text wrap="wrap">{what}</Text>
          </Box>
        </Box>
      ))}
      <Text wrap="wrap">
        {holdToTalk
          ? 'Push-to-talk: hold space to talk (this terminal reports key release).'
          : 'Push-to-talk: space toggles talking; this terminal does not report key release (kitty keyboard protocol).'}
      </Text>
      <Text wrap="wrap">
        <Text dimColor>Log file: </Text>
        {logFile ?? 'none (logging is off while the UI owns the terminal)'}
      </Text>
    </Box>
  );
}
