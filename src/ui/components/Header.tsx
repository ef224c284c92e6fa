import { Box, Text } from 'ink';
import { describeMediaPath, type SessionSnapshot } from '../../engine/api.js';
import { phaseLabel } from '../labels.js';

export interface HeaderProps {
  readonly snapshot: SessionSnapshot;
  readonly columns: number;
  /** The UI is leaving (the user pressed q) even if the engine has not said so yet. */
  readonly leaving: boolean;
}

/** Room code, server, own phase, whether the room is locked, how its media travels (§11); then a rule across the terminal. */
export function Header({ snapshot, columns, leaving }: HeaderProps) {
  const phase = leaving && snapshot.phase !== 'left' ? phaseLabel('leaving') : phaseLabel(snapshot.phase);
  return (
    <Box flexDirection="column">
      <Box flexWrap="wrap" columnGap={1}>
        <Text bold color="cyan">
          Roundtable
        </Text>
        <Text>
          <Text dimColor>room </Text>
          <Text bold>{snapshot.roomCode}</Text>
        </Text>
        <Text>
          <Text dimColor>via </Text>
          {snapshot.serverUrl}
        </Text>
        <Text color={phase.tone}>● {phase.text}</Text>
        {snapshot.locked ? (
          <Text bold color="yellow">
            locked
          </Text>
        ) : null}
        {snapshot.mediaPath !== undefined ? (
          <Text>
            <Text dimColor>media </Text>
            <Text color={snapshot.mediaPath === 'sfu' ? 'green' : undefined}>{describeMediaPath(snapshot.mediaPath)}</Text>
          </Text>
        ) : null}
      </Box>
      <Text dimColor>{'─'.repeat(Math.max(1, columns))}</Text>
    </Box>
  );
}
