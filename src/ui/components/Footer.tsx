import { Box, Text } from 'ink';
import { DEFAULT_KEY_BINDINGS, keyLabel, type KeyBindings } from '../keymap.js';

export interface FooterProps {
  readonly pushToTalk: boolean;
  /** True press/release (kitty keyboard protocol) rather than a toggle. */
  readonly holdToTalk: boolean;
  readonly leaving: boolean;
  /** The room is locked (the lock key then unlocks it). */
  readonly locked?: boolean;
  /** The configured keys (default m d p space e n g L R s ? q). */
  readonly bindings?: KeyBindings;
  /** The chat pane is shown (c hides it). */
  readonly chatShown?: boolean;
  /** Messages from others that arrived while the chat was hidden. */
  readonly unread?: number;
  /** We record the call (the record key then stops). */
  readonly recording?: boolean;
}

function Key({ k, label }: { k: string; label: string }) {
  return (
    <Text>
      <Text bold color="cyan">
        {k}
      </Text>{' '}
      {label}
    </Text>
  );
}

/** The keys, wrapping onto more lines on narrow terminals. */
export function Footer({ pushToTalk, holdToTalk, leaving, locked = false, bindings = DEFAULT_KEY_BINDINGS, chatShown = true, unread = 0, recording = false }: FooterProps) {
  if (leaving) return null;
  return (
    <Box flexWrap="wrap" columnGap={2}>
      <Key k={keyLabel(bindings.mute)} label="mute" />
      <Key k={keyLabel(bindings.deafen)} label="deafen" />
      <Key k="↑↓" label="select" />
      <Key k="←→" label="volume" />
      <Key k="x" label="mute peer" />
      <Key k={keyLabel(bindings.pushToTalk)} label={pushToTalk ? 'PTT off' : 'push-to-talk'} />
      {pushToTalk ? <Key k={keyLabel(bindings.talk)} label={holdToTalk ? 'hold to talk' : 'toggle talk (no key release here)'} /> : null}
      <Key k={keyLabel(bindings.lock)} label={locked ? 'unlock room' : 'lock room'} />
      <Key k={keyLabel(bindings.record)} label={recording ? 'stop recording' : 'record'} />
      <Key k={keyLabel(bindings.devices)} label="devices" />
      <Key k="t" label="chat" />
      <Key k="c" label={chatShown ? 'hide chat' : unread > 0 ? `show chat (${unread} new)` : 'show chat'} />
      {!chatShown && unread > 0 ? (
        <Text bold color="magenta">
          {`● ${unread} unread`}
        </Text>
      ) : null}
      <Key k={keyLabel(bindings.stats)} label="stats" />
      <Key k={keyLabel(bindings.help)} label="help" />
      <Key k={keyLabel(bindings.quit)} label="quit" />
    </Box>
  );
}
