import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { SessionSnapshot } from '../../engine/api.js';

export interface StatusProps {
  readonly snapshot: SessionSnapshot;
  readonly leaving: boolean;
  /** A local problem to show (a dispatch that threw, a failed leave). */
  readonly notice: string | undefined;
  /** Label of the configured quit key (default q). */
  readonly quitKey?: string;
}

/**
 * Progress and trouble, in words: what the session is doing right now, so
 * joining never looks like a frozen screen, and why it failed with what to try.
 */
export function Status({ snapshot, leaving, notice, quitKey = 'q' }: StatusProps) {
  const lines: ReactElement[] = [];
  const phase = snapshot.phase;
  if (phase === 'left') {
    lines.push(<Text key="phase">Left the room.</Text>);
  } else if (leaving || phase === 'leaving') {
    lines.push(
      <Text key="phase" color="yellow">
        leaving…
      </Text>,
    );
  } else if (phase === 'connecting-server') {
    lines.push(
      <Text key="phase" color="yellow">
        Connecting to server {snapshot.serverUrl} …
      </Text>,
    );
  } else if (phase === 'knocking') {
    lines.push(
      <Text key="phase" color="yellow">
        The room is locked — waiting to be let in …
      </Text>,
    );
  } else if (phase === 'waiting-for-peers') {
    lines.push(
      <Text key="phase" color="cyan">
        Waiting for peers — share the code <Text bold>{snapshot.roomCode}</Text>
      </Text>,
    );
  } else if (phase === 'reconnecting-server') {
    lines.push(
      <Text key="phase" color="yellow">
        Lost the server — reconnecting … (calls already up keep going)
      </Text>,
    );
  } else if (phase === 'failed') {
    const error = snapshot.error;
    lines.push(
      <Text key="phase" color="red" bold>
        Failed: {error?.message ?? 'unknown error'}
      </Text>,
    );
    if (error?.hint) {
      lines.push(
        <Text key="hint">
          <Text color="yellow">Try: </Text>
          {error.hint}
        </Text>,
      );
    }
    lines.push(
      <Text key="quit" dimColor>
        Press {quitKey} to quit.
      </Text>,
    );
  } else if (snapshot.error) {
    // An error outside 'failed' (e.g. a device problem mid-call) is still worth showing.
    lines.push(
      <Text key="phase" color="red">
        {snapshot.error.message}
        {snapshot.error.hint ? ` — try: ${snapshot.error.hint}` : ''}
      </Text>,
    );
  }

  if (!leaving && phase !== 'failed' && phase !== 'left') {
    for (const peer of snapshot.peers) {
      if (peer.state === 'connecting') {
        lines.push(
          <Text key={`c-${peer.id}`} color="yellow">
            connecting to {peer.name} …
          </Text>,
        );
      } else if (peer.state === 'reconnecting') {
        lines.push(
          <Text key={`c-${peer.id}`} color="yellow">
            reconnecting to {peer.name} …
          </Text>,
        );
      }
    }
  }
  if (notice !== undefined) {
    lines.push(
      <Text key="notice" color="red">
        {notice}
      </Text>,
    );
  }
  if (lines.length === 0) return null;
  return <Box flexDirection="column">{lines}</Box>;
}
