import { Box, Text } from 'ink';
import type { PeerView } from '../../engine/api.js';
import { fit, formatLossPercent, formatMs, formatVolume, levelBar } from '../format.js';
import { peerStateLabel } from '../labels.js';
import type { Layout } from '../layout.js';

export interface PeerListProps {
  readonly peers: readonly PeerView[];
  /** Index of the highlighted row, -1 for none. */
  readonly selected: number;
  readonly layout: Layout;
}

/**
 * One row per peer. Columns (wide): selection, speaking dot, name (with a
 * red REC beside it while the peer records the call), level meter, volume,
 * marks (muted for me, NS: our noise suppression on their audio), loss,
 * jitter buffer, round trip, state.
 */
export function PeerList({ peers, selected, layout }: PeerListProps) {
  if (peers.length === 0) {
    return <Text dimColor>No one else here yet.</Text>;
  }
  return (
    <Box flexDirection="column">
      <ColumnHeads layout={layout} />
      {peers.map((peer, i) => (
        <PeerRow key={peer.id} peer={peer} selected={i === selected} layout={layout} />
      ))}
    </Box>
  );
}

function muteCells(layout: Layout): number {
  return layout.mode === 'narrow' ? 1 : 5;
}

function ColumnHeads({ layout }: { layout: Layout }) {
  let text = '    ' + fit('peer', layout.nameCells);
  if (layout.mode !== 'narrow') text += ' ' + fit('level', layout.meterCells);
  text += '  ' + 'vol'.padStart(4) + ' ' + fit('', muteCells(layout));
  if (layout.mode === 'wide') text += '  ' + 'loss'.padStart(5) + ' ' + 'jbuf'.padStart(5) + ' ' + ' rtt'.padStart(5);
  // Narrow rows show the state as one symbol; a 'state' head would only be cut.
  if (layout.mode !== 'narrow') text += '  state';
  return (
    <Text dimColor wrap="truncate-end">
      {text}
    </Text>
  );
}

export function PeerRow({ peer, selected, layout }: { peer: PeerView; selected: boolean; layout: Layout }) {
  const state = peerStateLabel(peer.state);
  const narrow = layout.mode === 'narrow';
  // The recording mark takes its room from the name, so it is never cut off (docs/architecture.md §4).
  const mark = peer.recording ? (narrow ? ' ●' : ' ●REC') : '';
  return (
    <Text wrap="truncate-end" inverse={selected}>
      <Text color="cyan">{selected ? '▸ ' : '  '}</Text>
      {peer.speaking ? <Text color="green">● </Text> : <Text dimColor>○ </Text>}
      <Text bold={peer.speaking} strikethrough={peer.mutedByMe}>
        {fit(peer.name, Math.max(1, layout.nameCells - mark.length))}
      </Text>
      {mark !== '' ? (
        <Text color="red" bold>
          {mark}
        </Text>
      ) : null}
      {narrow ? null : (
        <Text color={peer.mutedByMe ? 'gray' : peer.speaking ? 'green' : undefined}>{' ' + levelBar(peer.level, layout.meterCells)}</Text>
      )}
      {'  ' + formatVolume(peer.volumePercent) + ' '}
      {peer.mutedByMe ? (
        <Text color="red">{fit(narrow ? 'M' : peer.noiseSuppression ? 'M NS' : 'muted', muteCells(layout))}</Text>
      ) : (
        <Text color="cyan">{fit(peer.noiseSuppression ? (narrow ? 'N' : 'NS') : '', muteCells(layout))}</Text>
      )}
      {layout.mode === 'wide' ? (
        <Text>
          {'  '}
          <Text color={peer.lossPercent >= 5 ? 'red' : peer.lossPercent >= 1 ? 'yellow' : undefined}>
            {formatLossPercent(peer.lossPercent).padStart(5)}
          </Text>
          {' ' + formatMs(peer.jitterBufferMs).padStart(5) + ' ' + formatMs(peer.rttMs).padStart(5)}
        </Text>
      ) : null}
      {'  '}
      <Text color={state.tone}>{narrow ? state.short : state.text}</Text>
    </Text>
  );
}
