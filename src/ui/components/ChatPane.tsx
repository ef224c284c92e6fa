import { Box, Text } from 'ink';
import type { ChatLine } from '../../engine/api.js';
import { chatInputHint } from '../chat-input.js';

export interface ChatPaneProps {
  readonly lines: readonly ChatLine[];
  /** The message being typed, or undefined when not typing. */
  readonly draft: string | undefined;
  /** Lines of scrollback shown. */
  readonly rows?: number;
  readonly columns: number;
}

/** HH:MM of a wall-clock time, local. */
export function clockTime(atMs: number): string {
  const d = new Date(atMs);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/**
 * The room's chat: the latest lines (time, sender, text; the room's notices
 * dimmed) and, while typing, the line being typed. Text is plain already
 * (room/chat.ts strips control characters and escape sequences).
 */
export function ChatPane({ lines, draft, rows = 6, columns }: ChatPaneProps) {
  const shown = lines.slice(-rows);
  const hint = draft === undefined ? undefined : chatInputHint(draft);
  return (
    <Box flexDirection="column">
      <Text dimColor>{`─ chat ${'─'.repeat(Math.max(1, columns - 7))}`}</Text>
      {shown.length === 0 && draft === undefined ? <Text dimColor>no messages yet — t to write one</Text> : null}
      {shown.map((l) =>
        l.kind === 'notice' ? (
          <Text key={l.n} dimColor wrap="wrap">
            {`${clockTime(l.atMs)} · ${l.text}`}
          </Text>
        ) : (
          <Text key={l.n} wrap="wrap">
            <Text dimColor>{`${clockTime(l.atMs)} `}</Text>
            <Text bold color={l.self ? 'green' : 'cyan'}>
              {l.from}
            </Text>
            <Text>{`: ${l.text}`}</Text>
          </Text>
        ),
      )}
      {draft !== undefined ? (
        <Text wrap="wrap">
          <Text color="yellow">{'> '}</Text>
          {draft}
          <Text inverse> </Text>
          <Text dimColor>{'  Enter send · Esc cancel'}</Text>
          {hint !== undefined ? <Text color={hint.includes('too long') ? 'red' : 'yellow'}>{`  ${hint}`}</Text> : null}
        </Text>
      ) : null}
    </Box>
  );
}
