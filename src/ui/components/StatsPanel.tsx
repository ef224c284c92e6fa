import { Box, Text } from 'ink';
import type { PeerView } from '../../engine/api.js';
import type { EnginePriority, SendCodec } from '../../engine/media/media-port.js';
import { fit, formatCount, formatLossPercent, formatMs } from '../format.js';
import { peerStateLabel } from '../labels.js';

export interface StatsPanelProps {
  readonly peers: readonly PeerView[];
  readonly columns: number;
  /** How the system schedules our audio engine (absent: not a process of ours). */
  readonly priority?: EnginePriority | undefined;
  /** What our encoder sends (absent: not our encoder). */
  readonly codec?: SendCodec | undefined;
}

/** What we send, and where the low-delay mode is off, that it exists (README, "Low delay"). */
export function codecLine(codec: SendCodec): string {
  const base = `you send: Opus ${Math.round(codec.bitrateBps / 1000)} kb/s in ${codec.frameMs} ms frames`;
  return codec.lowDelay ? `${base}, low delay (CELT only, 4 ms sooner)` : `${base} (audio.lowDelay: 4 ms sooner, CELT only)`;
}

function CodecLine({ codec }: { codec: SendCodec | undefined }) {
  if (codec === undefined) return null;
  return (
    <Text dimColor wrap="wrap">
      {codecLine(codec)}
    </Text>
  );
}

/** What the priority means for the user, and what to do where it is not real time (README, "Audio first on the CPU"). */
export function priorityLine(priority: EnginePriority): { text: string; tone: 'green' | 'yellow' } {
  switch (priority) {
    case 'realtime':
      return { text: 'audio engine: real-time priority', tone: 'green' };
    case 'raised':
      return { text: 'audio engine: raised priority, not real time (an rtprio limit, e.g. the audio group, allows it)', tone: 'yellow' };
    case 'normal':
      return { text: 'audio engine: normal priority: a busy machine may delay your audio (see audio.realtimePriority)', tone: 'yellow' };
  }
}

function PriorityLine({ priority }: { priority: EnginePriority | undefined }) {
  if (priority === undefined) return null;
  const line = priorityLine(priority);
  return (
    <Text color={line.tone} wrap="wrap">
      {line.text}
    </Text>
  );
}

const NUMERIC_COLUMNS = ['recv', 'lost', 'late', 'concl', 'loss', 'jbuf', 'rtt', 'recov', 'red'] as const;

const NUMERIC_CELLS = 7;

/**
 * Per-peer receive statistics: packets received/lost/late, frames concealed,
 * loss, jitter buffer, rtt, lost packets recovered from RED copies (RFC 2198),
 * and the RED distance we send this peer ('–' where RED was not negotiated).
 */
/** Below this width the table would be cut: each peer becomes a wrapped list of labelled figures. */
export const STATS_TABLE_MIN_COLUMNS = 86;

function figures(p: PeerView): Array<readonly [string, string]> {
  return [
    ['recv', formatCount(p.packetsReceived)],
    ['lost', formatCount(p.packetsLost)],
    ['late', formatCount(p.packetsLate)],
    ['concl', formatCount(p.framesConcealed)],
    ['loss', formatLossPercent(p.lossPercent)],
    ['jbuf', formatMs(p.jitterBufferMs)],
    ['rtt', formatMs(p.rttMs)],
    ['recov', formatCount(p.packetsRecovered)],
    ['red', p.redDistance === null ? '–' : String(p.redDistance)],
  ];
}

export function StatsPanel({ peers, columns, priority, codec }: StatsPanelProps) {
  if (columns < STATS_TABLE_MIN_COLUMNS) {
    return (
      <Box flexDirection="column" borderStyle="round" borderColor="gray" paddingX={1}>
        <Text bold>Link statistics</Text>
        {peers.length === 0 ? <Text dimColor>no peers</Text> : null}
        {peers.map((p) => {
          const state = peerStateLabel(p.state);
          return (
            <Text key={p.id} wrap="wrap">
              <Text bold>{p.name}</Text> <Text color={state.tone}>{state.text}</Text>
              {/* A no-break space keeps each label with its figure when the line wraps. */}
              {figures(p).map(([label, value]) => `  ${label}\u00A0${value}`).join('')}
            </Text>
          );
        })}
        <CodecLine codec={codec} />
        <PriorityLine priority={priority} />
      </Box>
    );
  }
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
        const cells = figures(p).map(([, value]) => value);
        const state = peerStateLabel(p.state);
        return (
          <Text key={p.id} wrap="truncate-end">
            {fit(p.name, nameCells) + cells.map((c) => c.padStart(NUMERIC_CELLS)).join('') + '  '}
            <Text color={state.tone}>{state.text}</Text>
          </Text>
        );
      })}
      <CodecLine codec={codec} />
      <PriorityLine priority={priority} />
    </Box>
  );
}
