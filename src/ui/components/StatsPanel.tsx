import { Box, Text } from 'ink';
import type { PeerView } from '../../engine/session-api.js';
import { fit, formatCount, formatLossPercent, formatMs } from '../format.js';
import { peerStateLabel } from '../labels.js';

export interface StatsPanelProps {
  readonly peers: readonly PeerView[];
  readonly columns: number;
}

const NUMERIC_COLUMNS = ['recv', 'lost', 'late', 'concl', 'loss', 'jbuf', 'rtt'] as const;
const NUMERIC_CELLS = 7;

/** Per-peer receive statistics: packets received/lost/late, frames concealed, jitter buffer, rtt. */
export function StatsPanel({ peers, columns }: StatsPanelProps) {
  // Border (2) + padding (2) + numeric columns; the name gets what is left.
  const nameCells = Math.max(6, Math.min(16, columns - 4 - NUMERIC_COLUMNS.length * NUMERIC_CELLS - 13));
  const head = fit('peer', nameCells) + NUMERIC_COLUMNS.map((c) => c.padStart(NUMERIC_CELLS)).join('') + '  state';
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="gray" paddingX={1}>
      <Text bold>Link statistics</Text>
      <Text dimColor wrap="truncate-end">
        {head}
      </Text>
      {peers.length === 0 ? <Text dimColor>no peers</Text> : null}
      {peers.map((p) => {
        const cells = [
          formatCount(p.packetsReceived),
          formatCount(p.packetsLost),
          formatCount(p.packetsLate),
          formatCount(p.framesConcealed),
          formatLossPercent(p.lossPercent),
          formatMs(p.jitterBufferMs),
          formatMs(p.rttMs),
        ];
        const state = peerStateLabel(p.state);
        return (
          <Text key={p.id} wrap="truncate-end">
            {fit(p.name, nameCells) + cells.map((c) => c.padStart(NUMERIC_CELLS)).join('') + '  '}
            <Text color={state.tone}>{state.text}</Text>
          </Text>
        );
      })}
    </Box>
  );
}
