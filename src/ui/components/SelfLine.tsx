import { Box, Text } from 'ink';
import type { RecordingState, SelfView } from '../../engine/api.js';
import { fit, formatDuration, levelBar } from '../format.js';
import type { Layout } from '../layout.js';
import { PROCESSING_LABELS, PROCESSING_STAGES } from '../labels.js';

export interface SelfLineProps {
  readonly self: SelfView;
  readonly layout: Layout;
  /** True hold-to-talk (kitty protocol seen) rather than a toggle. */
  readonly holdToTalk: boolean;
}

/** The local participant: mic meter, what is (not) going out or coming in, voice processing (AEC, NS, AGC), recording. */
export function SelfLine({ self, layout, holdToTalk }: SelfLineProps) {
  // In push-to-talk mode the mic is live only while talking.
  const live = !self.muted && (!self.pushToTalk || self.talking);
  const meterCells = layout.mode === 'narrow' ? 5 : layout.meterCells;
  return (
    <Box flexWrap="wrap" columnGap={2}>
      <Text>
        <Text color="cyan">{'  '}</Text>
        {self.speaking && live ? <Text color="green">● </Text> : <Text dimColor>○ </Text>}
        <Text bold>{fit(`${self.name} (you)`, layout.mode === 'narrow' ? Math.min(layout.nameCells, 16) : layout.nameCells)}</Text>
        <Text color={live ? (self.speaking ? 'green' : undefined) : 'gray'}>{' ' + levelBar(self.micLevel, meterCells)}</Text>
      </Text>
      {self.muted ? (
        <Text color="red" bold>
          MUTED
        </Text>
      ) : null}
      {self.deafened ? (
        <Text color="red" bold>
          DEAFENED
        </Text>
      ) : null}
      {self.pushToTalk ? (
        self.talking ? (
          <Text color="green" bold>
            PTT: talking
          </Text>
        ) : (
          <Text color="yellow">PTT: {holdToTalk ? 'hold space' : 'space to talk'}</Text>
        )
      ) : null}
      {!self.muted && !self.deafened && !self.pushToTalk ? <Text dimColor>mic open</Text> : null}
      {(['input', 'output'] as const).map((end) => {
        const state = self.audio?.[end];
        if (state === undefined || state.health === 'ok') return null;
        const what = end === 'input' ? 'microphone' : 'speaker';
        return state.health === 'lost' ? (
          <Text key={end} color="red" bold>
            {what} lost — retrying
          </Text>
        ) : (
          <Text key={end} color="yellow">
            switching {what}…
          </Text>
        );
      })}
      {PROCESSING_STAGES.map((stage) => {
        const state = self.processing[stage];
        const short = PROCESSING_LABELS[stage].short;
        return state === 'on' ? (
          <Text key={stage} color="cyan">
            {short}
          </Text>
        ) : state === 'off' ? (
          <Text key={stage} dimColor>
            {short} off
          </Text>
        ) : (
          <Text key={stage} color="yellow">
            {short} unavailable
          </Text>
        );
      })}
      <Recording recording={self.recording} />
    </Box>
  );
}

/** The file's name without its directory (the chat has the whole path). */
function fileName(path: string | null): string {
  return path === null ? '' : path.slice(path.lastIndexOf('/') + 1);
}

/** "● REC 0:42 call.wav" while we record; why it stopped when it failed. */
function Recording({ recording }: { recording: RecordingState }) {
  switch (recording.state) {
    case 'starting':
      return <Text color="yellow">REC starting…</Text>;
    case 'recording':
      return (
        <Text color="red" bold>
          {`● REC ${formatDuration(recording.seconds)} ${fileName(recording.path)}`}
        </Text>
      );
    case 'stopping':
      return <Text color="yellow">REC saving {fileName(recording.path)}…</Text>;
    case 'off':
      return recording.error !== null ? <Text color="red">{recording.error}</Text> : null;
  }
}
