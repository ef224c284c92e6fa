import { Box, Text } from 'ink';

export interface FooterProps {
  readonly pushToTalk: boolean;
  /** True press/release (kitty keyboard protocol) rather than a toggle. */
  readonly holdToTalk: boolean;
  readonly leaving: boolean;
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
export function Footer({ pushToTalk, holdToTalk, leaving }: FooterProps) {
  if (leaving) return null;
  return (
    <Box flexWrap="wrap" columnGap={2}>
      <Key k="m" label="mute" />
      <Key k="d" label="deafen" />
      <Key k="↑↓" label="select" />
      <Key k="←→" label="volume" />
      <Key k="x" label="mute peer" />
      <Key k="p" label={pushToTalk ? 'PTT off' : 'push-to-talk'} />
      {pushToTalk ? <Key k="space" label={holdToTalk ? 'hold to talk' : 'toggle talk (no key release here)'} /> : null}
      <Key k="s" label="stats" />
      <Key k="?" label="help" />
      <Key k="q" label="quit" />
    </Box>
  );
}
