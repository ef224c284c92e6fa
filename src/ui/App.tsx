/**
 * The root of the terminal UI. Everything it knows about the engine comes
 * through the SessionController it is given: snapshots in (throttled by
 * useSessionSnapshot), actions out.
 */
import { Box, Text, useApp, useInput, type Key } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { Clock } from '../core/clock.js';
import type { SessionAction, SessionController, SessionSnapshot } from '../engine/api.js';
import { editChatInput } from './chat-input.js';
import { ChatPane } from './components/ChatPane.js';
import { DevicePicker } from './components/DevicePicker.js';
import { pickerKey, pickerRows } from './device-picker.js';
import { Footer } from './components/Footer.js';
import { KnockPrompt } from './components/KnockPrompt.js';
import { Header } from './components/Header.js';
import { HelpPanel } from './components/HelpPanel.js';
import { PeerList } from './components/PeerList.js';
import { SelfLine } from './components/SelfLine.js';
import { StatsPanel } from './components/StatsPanel.js';
import { Status } from './components/Status.js';
import { stepVolume } from './format.js';
import { DEFAULT_KEY_BINDINGS, isKittyEvent, keyLabel, keyToCommand, type KeyBindings, type KeyCommand } from './keymap.js';
import { PROCESSING_LABELS } from './labels.js';
import { layoutFor } from './layout.js';
import { moveSelection, NO_SELECTION, selectedIndex, type Selection } from './selection.js';
import { useColumns } from './use-columns.js';
import { useSessionSnapshot } from './use-session.js';

export interface AppProps {
  readonly controller: SessionController;
  /** Time source for the redraw throttle (tests: ManualClock). */
  readonly clock?: Clock;
  /** Minimum ms between redraws caused by engine updates; default 80 (~12/s). */
  readonly redrawIntervalMs?: number;
  /** Keys of the main actions, from config.keys (default m d p space e n g L R s ? q). */
  readonly bindings?: KeyBindings;
  /** Lasting lines shown under the header, e.g. "no sound device: writing to demo.wav". */
  readonly banner?: readonly string[];
}

/** Reads with more characters than this are taken as pasted text and ignored. */
const MAX_KEYS_PER_READ = 4;

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function App({ controller, clock, redrawIntervalMs, bindings = DEFAULT_KEY_BINDINGS, banner }: AppProps) {
  const snapshot = useSessionSnapshot(controller, { clock, intervalMs: redrawIntervalMs });
  const { exit } = useApp();
  const columns = useColumns();
  const layout = layoutFor(columns);

  const [selection, setSelection] = useState<Selection>(NO_SELECTION);
  // Ink may deliver several keys before React re-renders (a paste, a fast
  // typist, a test writing 'down' then 'x'): key handling reads the newest
  // selection and the newest shown peer list from refs, not from this
  // render's closure.
  const selectionRef = useRef<Selection>(selection);
  const shownPeersRef = useRef(snapshot.peers);
  shownPeersRef.current = snapshot.peers;
  const [showHelp, setShowHelp] = useState(false);
  const [showStats, setShowStats] = useState(false);
  const [leaving, setLeaving] = useState(false);
  // Set once a key arrives through the kitty keyboard protocol: from then on
  // space has real press/release events and push-to-talk is hold-to-talk.
  const [holdToTalk, setHoldToTalk] = useState(false);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  // The chat message being typed (undefined: not typing), mirrored in a ref for keys that arrive before a render.
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const draftRef = useRef<string | undefined>(undefined);
  const [showChat, setShowChat] = useState(true);
  // The device picker's cursor (undefined: closed), mirrored in a ref like the draft.
  const [pickerCursor, setPickerCursor] = useState<number | undefined>(undefined);
  const pickerRef = useRef<number | undefined>(undefined);
  // The newest chat line seen while the pane was shown: later messages from others are unread.
  const [seenN, setSeenN] = useState(0);
  const leavingRef = useRef(false);
  const exitedRef = useRef(false);

  const finish = (err?: Error): void => {
    if (exitedRef.current) return;
    exitedRef.current = true;
    exit(err);
  };

  const send = (action: SessionAction): void => {
    try {
      controller.dispatch(action);
      setNotice(undefined); // an earlier failure is no longer news
    } catch (err) {
      // A controller that throws must not take the UI (and the call) down.
      setNotice(`${action.type} failed: ${errorMessage(err)}`);
    }
  };

  const leave = (): void => {
    if (leavingRef.current) {
      // Second q / Ctrl-C while a slow leave is under way: stop waiting.
      finish();
      return;
    }
    leavingRef.current = true;
    setLeaving(true);
    let done: Promise<void>;
    try {
      done = Promise.resolve(controller.leave());
    } catch (err) {
      done = Promise.reject(err);
    }
    done.then(
      () => finish(),
      (err: unknown) => finish(err instanceof Error ? err : new Error(errorMessage(err))),
    );
  };

  // The engine may end the session on its own (e.g. leave() called by the CLI
  // on a signal). Exit on the next macrotask, not inside the effect: unmounting
  // the root while React is still committing leaves the unmount half done.
  useEffect(() => {
    if (snapshot.phase !== 'left') return;
    const timer = setTimeout(() => finish(), 0);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [snapshot.phase]);

  // A device switch that failed says why once, as a notice (the picker has closed by then).
  const switchProblems = (['input', 'output'] as const).map((end) => {
    const state = snapshot.self.audio?.[end];
    return state !== undefined && state.health !== 'lost' ? state.problem : undefined;
  });
  const inputProblem = switchProblems[0];
  const outputProblem = switchProblems[1];
  useEffect(() => {
    const problem = inputProblem ?? outputProblem;
    if (problem !== undefined) setNotice(problem);
  }, [inputProblem, outputProblem]);

  const newestN = snapshot.chat.at(-1)?.n ?? 0;
  useEffect(() => {
    if (showChat && newestN > seenN) setSeenN(newestN);
  }, [showChat, newestN, seenN]);
  const unread = showChat ? 0 : snapshot.chat.filter((l) => l.n > seenN && l.kind === 'message' && !l.self).length;

  const setPickerBoth = (cursor: number | undefined): void => {
    pickerRef.current = cursor;
    setPickerCursor(cursor);
  };

  /** The live snapshot a key acts on (not the throttled one drawn); undefined, with a notice, if the engine cannot give one. */
  const liveSnapshot = (): SessionSnapshot | undefined => {
    try {
      return controller.snapshot();
    } catch (err) {
      setNotice(`engine snapshot failed: ${errorMessage(err)}`);
      return undefined;
    }
  };

  /** A key while the device picker is open: it moves, picks or closes; nothing else happens. */
  const handlePickerKey = (input: string, key: Key): void => {
    const current = liveSnapshot();
    if (current === undefined) return;
    const rows = pickerRows(current.self.audio);
    const result = pickerKey(rows, pickerRef.current ?? 0, input, key, bindings.devices);
    if (result.kind === 'move') setPickerBoth(result.cursor);
    else if (result.kind === 'close') setPickerBoth(undefined);
    else {
      setPickerBoth(undefined);
      if (!result.row.inUse) send({ type: 'set-device', end: result.row.end, device: result.row.name });
    }
  };

  const setDraftBoth = (text: string | undefined): void => {
    draftRef.current = text;
    setDraft(text);
  };

  const shownIndex = selectedIndex(snapshot.peers, selection);

  const selectedPeerId = (): string | undefined => {
    const peers = shownPeersRef.current;
    const index = selectedIndex(peers, selectionRef.current);
    return index >= 0 ? peers[index]?.id : undefined;
  };

  const run = (command: KeyCommand, current: SessionSnapshot): void => {
    switch (command.kind) {
      case 'leave':
        leave();
        return;
      case 'toggle-mute':
        send({ type: 'toggle-mute' });
        return;
      case 'toggle-deafen':
        send({ type: 'toggle-deafen' });
        return;
      case 'select':
        selectionRef.current = moveSelection(shownPeersRef.current, selectionRef.current, command.delta);
        setSelection(selectionRef.current);
        return;
      case 'volume': {
        // Read the volume from the live snapshot, not the throttled one, so
        // quick repeated presses each step from the latest value.
        const id = selectedPeerId();
        const peer = current.peers.find((p) => p.id === id);
        if (peer !== undefined) {
          send({ type: 'set-peer-volume', peerId: peer.id, volumePercent: stepVolume(peer.volumePercent, command.steps) });
        }
        return;
      }
      case 'toggle-peer-mute': {
        const id = selectedPeerId();
        if (id !== undefined) send({ type: 'toggle-peer-mute', peerId: id });
        return;
      }
      case 'toggle-processing':
      case 'toggle-peer-noise-suppression': {
        const stage = command.kind === 'toggle-processing' ? command.stage : 'noise-suppression';
        if (current.self.processing[stage] === 'unavailable') {
          setNotice(`${PROCESSING_LABELS[stage].long} is not available here (the log says why)`);
          return;
        }
        if (command.kind === 'toggle-processing') {
          send({ type: 'toggle-processing', stage });
          return;
        }
        const id = selectedPeerId();
        if (id !== undefined) send({ type: 'toggle-peer-noise-suppression', peerId: id });
        return;
      }
      case 'toggle-push-to-talk':
        send({ type: 'set-push-to-talk', enabled: !current.self.pushToTalk });
        return;
      case 'toggle-lock':
        // The lock is the server's: without it nothing can change (the header shows the state it last said).
        if (current.phase !== 'in-call' && current.phase !== 'waiting-for-peers') {
          setNotice('the room lock cannot change while the server is out of reach');
          return;
        }
        send({ type: 'set-lock', locked: !current.locked });
        return;
      case 'toggle-recording': {
        // A dated file in the configured directory; the session resolves it (and says in the chat where it went).
        const state = current.self.recording.state;
        if (state === 'stopping') return;
        send({ type: 'set-recording', recording: state === 'off' });
        return;
      }
      case 'talk':
        if (!current.self.pushToTalk) return;
        if (command.edge === 'toggle') send({ type: 'talk', pressed: !current.self.talking });
        else send({ type: 'talk', pressed: command.edge === 'press' });
        return;
      case 'toggle-stats':
        setShowStats((v) => !v);
        return;
      case 'toggle-help':
        setShowHelp((v) => !v);
        return;
      case 'close-panels':
        setShowHelp(false);
        setShowStats(false);
        return;
      case 'answer-knock': {
        const knock = current.knocks[0];
        if (knock !== undefined) send({ type: 'answer-knock', peerId: knock.id, admit: command.admit });
        return;
      }
      case 'compose-chat':
        setShowChat(true);
        setDraftBoth('');
        return;
      case 'toggle-chat':
        setShowChat((v) => !v);
        return;
      case 'toggle-devices': {
        // Open at the microphone in use; list the devices afresh (one may have been plugged in).
        const rows = pickerRows(current.self.audio);
        setPickerBoth(Math.max(0, rows.findIndex((r) => r.inUse)));
        send({ type: 'refresh-devices' });
        return;
      }
    }
  };

  /** A key while a chat message is being typed: text, Enter sends, Esc cancels. */
  const handleDraftKey = (input: string, key: Key): void => {
    const result = editChatInput(draftRef.current ?? '', input, key);
    if (result.kind === 'edit') {
      setDraftBoth(result.text);
      return;
    }
    setDraftBoth(undefined);
    if (result.kind === 'send' && result.text.trim().length > 0) send({ type: 'send-chat', text: result.text });
  };

  const handleKey = (input: string, key: Key): void => {
    const command = keyToCommand(input, key, bindings);
    if (command === null) return;
    if (leavingRef.current && command.kind !== 'leave') return;
    const current = liveSnapshot();
    if (current !== undefined) run(command, current);
  };

  useInput((input: string, key: Key) => {
    if (isKittyEvent(key)) setHoldToTalk(true);
    if (draftRef.current !== undefined && key.eventType !== 'release' && !(key.ctrl === true && input === 'c')) {
      handleDraftKey(input, key);
      return;
    }
    if (pickerRef.current !== undefined && key.eventType !== 'release' && !(key.ctrl === true && input === 'c')) {
      handlePickerKey(input, key);
      return;
    }
    const chars = Array.from(input);
    if (chars.length <= 1 || key.ctrl || key.meta) {
      handleKey(input, key);
      return;
    }
    // Ink hands over one read as one string. Keys typed quickly (or batched
    // by SSH / tmux) arrive together: act on each. A longer run is a paste,
    // not commands: ignore it rather than mute, deafen or quit by accident.
    if (chars.length > MAX_KEYS_PER_READ) return;
    for (const ch of chars) handleKey(ch, key);
  });

  const phase = snapshot.phase;
  const showPeers = phase !== 'failed' && phase !== 'left' && (snapshot.peers.length > 0 || phase === 'in-call');
  const showSelf = phase !== 'failed' && phase !== 'left';

  return (
    <Box flexDirection="column">
      <Header snapshot={snapshot} columns={columns} leaving={leaving} />
      {banner !== undefined && banner.length > 0 ? (
        <Box flexDirection="column">
          {banner.map((line, i) => (
            <Text key={i} color="yellow" wrap="wrap">
              {line}
            </Text>
          ))}
        </Box>
      ) : null}
      <Status snapshot={snapshot} leaving={leaving} notice={notice} quitKey={keyLabel(bindings.quit)} />
      {showSelf ? <KnockPrompt knocks={snapshot.knocks} /> : null}
      {showPeers ? <PeerList peers={snapshot.peers} selected={shownIndex} layout={layout} /> : null}
      {showSelf ? (
        <Box flexDirection="column">
          <Text dimColor>{'─'.repeat(Math.max(1, columns))}</Text>
          <SelfLine self={snapshot.self} layout={layout} holdToTalk={holdToTalk} />
        </Box>
      ) : null}
      {showSelf && (showChat || draft !== undefined) ? <ChatPane lines={snapshot.chat} draft={draft} columns={columns} /> : null}
      {pickerCursor !== undefined && !leaving ? (
        <DevicePicker audio={snapshot.self.audio} rows={pickerRows(snapshot.self.audio)} cursor={pickerCursor} keyLabel={keyLabel(bindings.devices)} />
      ) : null}
      {showStats && !leaving ? <StatsPanel peers={snapshot.peers} columns={columns} priority={snapshot.self.priority} codec={snapshot.self.codec} /> : null}
      {showHelp && !leaving ? <HelpPanel holdToTalk={holdToTalk} logFile={snapshot.logFile} bindings={bindings} /> : null}
      <Footer pushToTalk={snapshot.self.pushToTalk} holdToTalk={holdToTalk} leaving={leaving || phase === 'left'} locked={snapshot.locked} bindings={bindings} chatShown={showChat} unread={unread} recording={snapshot.self.recording.state === 'recording'} />
    </Box>
  );
}
