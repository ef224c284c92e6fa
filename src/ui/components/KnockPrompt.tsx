import { Text } from 'ink';
import type { KnockView } from '../../engine/api.js';

export interface KnockPromptProps {
  readonly knocks: readonly KnockView[];
}

/** "NAME asks to join — a admit · D deny" for the oldest knock at our locked room (the first member to answer decides). */
export function KnockPrompt({ knocks }: KnockPromptProps) {
  const first = knocks[0];
  if (first === undefined) return null;
  const more = knocks.length - 1;
  return (
    <Text wrap="truncate-end">
      <Text color="magenta" bold>
        {first.name}
      </Text>
      <Text color="magenta"> asks to join — </Text>
      <Text bold color="cyan">
        a
      </Text>
      <Text> admit · </Text>
      <Text bold color="cyan">
        D
      </Text>
      <Text> deny</Text>
      {more > 0 ? <Text dimColor>{`  (${more} more waiting)`}</Text> : null}
    </Text>
  );
}
