import { Box, Text } from 'ink';
import { DEFAULT_KEY_BINDINGS, keyLabel, type KeyBindings } from '../keymap.js';

export interface HelpPanelProps {
  readonly holdToTalk: boolean;
  readonly logFile: string | undefined;
  /** The configured keys (default m d p space e n g L R s ? q). */
  readonly bindings?: KeyBindings;
}

function keyRows(b: KeyBindings): ReadonlyArray<readonly [string, string]> {
  return [
    [keyLabel(b.mute), 'mute / unmute your microphone'],
    [keyLabel(b.deafen), 'deafen / undeafen (hear no one, and mute)'],
    ['↑ ↓', 'select a peer'],
    ['← → or - +', "selected peer's volume, 0–200 % in steps of 10"],
    ['x', 'mute / unmute the selected peer for you only'],
    [keyLabel(b.echoCancellation), 'echo cancellation on / off (AEC on your line; on by default with a speaker)'],
    [keyLabel(b.noiseSuppression), 'noise suppression of your microphone on / off (NS on your line)'],
    [keyLabel(b.autoGain), 'automatic gain control of your microphone on / off (AGC on your line)'],
    ['N', "suppress the selected peer's noise, for you only (NS on their line; for a peer without suppression of their own)"],
    [keyLabel(b.pushToTalk), 'push-to-talk mode on / off'],
    [keyLabel(b.talk), 'talk key in push-to-talk mode'],
    [keyLabel(b.devices), 'pick the microphone and speaker (the call goes on while it switches)'],
    [keyLabel(b.lock), 'lock / unlock the room for everyone: nobody new may join while it is locked'],
    [keyLabel(b.record), 'record the call / stop: a stereo WAV, you left, the room right (everyone sees REC beside your name)'],
    ['a / D', 'let in / turn away the oldest newcomer knocking at the locked room'],
    ['t or Enter', 'write a chat message to the room (Enter sends, Esc cancels)'],
    ['c', 'show / hide the chat'],
    [keyLabel(b.stats), 'detailed link statistics'],
    [keyLabel(b.help), 'this help'],
    ['esc', 'close help and statistics'],
    [`${keyLabel(b.quit)}, Ctrl-C`, 'leave the room'],
  ];
}

export function HelpPanel({ holdToTalk, logFile, bindings = DEFAULT_KEY_BINDINGS }: HelpPanelProps) {
  const talk = keyLabel(bindings.talk);
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1}>
      <Text bold>Keys</Text>
      {keyRows(bindings).map(([k, what]) => (
        // Two boxes so a long description wraps within its own column.
        <Box key={what}>
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
          ? `Push-to-talk: hold ${talk} to talk (this terminal reports key release).`
          : `Push-to-talk: ${talk} toggles talking; this terminal does not report key release (kitty keyboard protocol).`}
      </Text>
      <Text wrap="wrap">
        <Text dimColor>Log file: </Text>
        {logFile ?? 'none (logging is off while the UI owns the terminal)'}
      </Text>
    </Box>
  );
}
