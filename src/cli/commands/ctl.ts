/**
 * `roundtable ctl <command>`: drive a running `join`, `create` or `demo`
 * from another terminal, a script or a desktop hotkey, through its control
 * socket (src/control). The same commands work whether that session shows
 * the terminal UI or runs --headless.
 *
 *   roundtable ctl status                    JSON: room, phase, lock, media path, you, peers
 *   roundtable ctl mute | unmute | toggle-mute | deafen | undeafen
 *   roundtable ctl volume PEER PCT           PEER by name or id, 0-200
 *   roundtable ctl ptt on | off | press | release
 *   roundtable ctl lock | unlock
 *   roundtable ctl admit NAME | deny NAME    answer a knock at the locked room
 *   roundtable ctl devices                   list microphones and speakers
 *   roundtable ctl device input|output NAME  switch a device mid-call
 *   roundtable ctl say TEXT                  a chat message to the room
 *   roundtable ctl record start [FILE]       record the call (FILE here, or a dated name)
 *   roundtable ctl record stop               returns once the file is finished
 *   roundtable ctl leave                     returns once the session has left
 *
 * The session is the only one running, or the one of --pid, or the socket
 * given with --control PATH. Exit codes: 0 done; 1 the command could not be
 * done (no session, unknown peer, …; the message says why); 2 a bad command
 * line.
 */
import os from 'node:os';
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { requestControl } from '../../control/client.js';
import { resolvePeer } from '../../control/server.js';
import { MAX_CHAT_CHARS } from '../../engine/room/chat.js';
import { PTT_ACTIONS, RECORD_ACTIONS, VOLUME_MAX_PERCENT, VOLUME_MIN_PERCENT, type ControlRequestBody, type ControlStatus } from '../../control/protocol.js';
import { controlDir, ControlSocketError, findControlSocket } from '../../control/socket-path.js';
import { RuntimeError, UsageError } from '../../core/errors.js';
import { cliContext } from '../context.js';

interface CtlArgs {
  pid?: number;
  control?: string;
  json?: boolean;
}

/** How long `ctl leave` waits for the session to finish leaving (files written, peers told). */
const LEAVE_WAIT_MS = 15_000;

/** One line saying what the command did, from the status that followed it. */
type Summary = (status: ControlStatus) => string;

function onOff(on: boolean, yes: string, no: string): string {
  return on ? yes : no;
}

async function runCtl(args: CtlArgs, request: ControlRequestBody, summary: Summary): Promise<void> {
  const { io, env } = cliContext();
  let socketPath: string;
  let exchange;
  try {
    const uid = process.getuid?.() ?? 0;
    socketPath = await findControlSocket({
      dir: controlDir({ env, uid, tmpdir: os.tmpdir() }),
      ...(args.pid !== undefined ? { pid: args.pid } : {}),
      ...(args.control !== undefined ? { path: args.control } : {}),
    });
    exchange = await requestControl(socketPath, request);
  } catch (err) {
    if (err instanceof ControlSocketError) throw new RuntimeError(err.message, err.hint !== undefined ? { hint: err.hint } : {});
    throw err;
  }
  const response = exchange.response;
  if (!response.ok) throw new RuntimeError(response.error, response.hint !== undefined ? { hint: response.hint } : {});
  if (request.cmd === 'leave' && !(await exchange.closed(LEAVE_WAIT_MS))) {
    throw new RuntimeError(`the session (pid ${response.status.pid}) did not finish leaving within ${LEAVE_WAIT_MS / 1000} s`);
  }
  if (request.cmd === 'status' || args.json === true) io.stdout.write(`${JSON.stringify(response.status, null, request.cmd === 'status' && args.json !== true ? 2 : 0)}\n`);
  else io.stdout.write(`${summary(response.status)}\n`);
}

/** The microphones and speakers a `devices` status lists, the ones in use marked. */
function formatDeviceList(status: ControlStatus): string {
  const audio = status.audio;
  if (audio?.devices == null) return 'no sound devices listed';
  const section = (title: string, names: readonly string[], inUse: string, fallback: string | undefined): string[] => [
    `${title}:`,
    ...(names.length === 0 ? ['  none'] : names.map((n) => `  ${n === inUse ? '*' : ' '} ${n}${n === fallback ? ' (default)' : ''}`)),
  ];
  return [
    ...section('microphones', audio.devices.input, audio.input.name, audio.devices.defaultInput),
    ...section('speakers', audio.devices.output, audio.output.name, audio.devices.defaultOutput),
  ].join('\n');
}

function parsePercent(raw: unknown): number {
  const text = String(raw).trim().replace(/%$/, '');
  const value = Number(text);
  if (text === '' || !Number.isFinite(value) || value < VOLUME_MIN_PERCENT || value > VOLUME_MAX_PERCENT) {
    throw new UsageError(`volume must be a percentage from ${VOLUME_MIN_PERCENT} to ${VOLUME_MAX_PERCENT}, got "${String(raw)}"`, { hint: 'e.g. roundtable ctl volume ada 80' });
  }
  return value;
}

function simple(name: string, describe: string, request: ControlRequestBody, summary: Summary): CommandModule<CtlArgs, CtlArgs> {
  return { command: name, describe, handler: (args) => runCtl(args, request, summary) };
}

const SUBCOMMANDS: ReadonlyArray<CommandModule<CtlArgs, CtlArgs>> = [
  simple('status', 'Print the session as JSON: room, phase, lock, you (recording too), each peer (name, id, state, level, volume, muted, recording)', { cmd: 'status' }, () => ''),
  simple('mute', 'Mute your microphone', { cmd: 'mute' }, () => 'muted'),
  simple('unmute', 'Unmute your microphone', { cmd: 'unmute' }, () => 'unmuted'),
  simple('toggle-mute', 'Mute if unmuted, else unmute', { cmd: 'toggle-mute' }, (s) => onOff(s.self.muted, 'muted', 'unmuted')),
  simple('deafen', 'Hear nobody (and mute)', { cmd: 'deafen' }, () => 'deafened'),
  simple('undeafen', 'Hear the room again', { cmd: 'undeafen' }, () => 'undeafened'),
  simple('lock', 'Lock the room: nobody new may join (for everyone in it)', { cmd: 'lock' }, () => 'room locked'),
  simple('unlock', 'Unlock the room', { cmd: 'unlock' }, () => 'room unlocked'),
  simple('leave', 'Leave the call; returns once the session has left', { cmd: 'leave' }, () => 'left'),
  {
    command: 'volume <peer> <percent>',
    describe: "Set a peer's volume for you, 0-200 % (peer by name or id)",
    builder: (y: Argv<CtlArgs>) =>
      y
        .positional('peer', { type: 'string', describe: 'Name or id (or the start of the id) of the peer', demandOption: true })
        .positional('percent', { type: 'string', describe: 'Volume, 0-200 (100 = as sent)', demandOption: true }) as unknown as Argv<CtlArgs>,
    handler: (args: ArgumentsCamelCase<CtlArgs & { peer?: unknown; percent?: unknown }>) => {
      const peer = String(args.peer);
      const percent = parsePercent(args.percent);
      return runCtl(args, { cmd: 'volume', peer, percent }, (s) => {
        // The peer the session chose, found the same way in the status that followed (unless it left in between).
        try {
          const p = resolvePeer(s.peers, peer);
          return `${p.name}: volume ${p.volumePercent}%`;
        } catch {
          return `volume ${Math.round(percent)}%`;
        }
      });
    },
  },
  ...(['admit', 'deny'] as const).map(
    (cmd): CommandModule<CtlArgs, CtlArgs> => ({
      command: `${cmd} <peer>`,
      describe: cmd === 'admit' ? 'Let in someone knocking at the locked room (by name or id)' : 'Turn away someone knocking at the locked room (by name or id)',
      builder: (y: Argv<CtlArgs>) => y.positional('peer', { type: 'string', describe: 'Name or id (or the start of the id) of the newcomer', demandOption: true }) as unknown as Argv<CtlArgs>,
      handler: (args: ArgumentsCamelCase<CtlArgs & { peer?: unknown }>) => {
        const peer = String(args.peer);
        // The room's own notice says how the knock ended (ours or another member's answer decided).
        return runCtl(args, { cmd, peer }, (s) => [...s.chat].reverse().find((l) => l.kind === 'notice' && l.text.includes(peer))?.text ?? `${cmd === 'admit' ? 'admitted' : 'denied'} ${peer}`);
      },
    }),
  ),
  {
    command: 'say <text..>',
    describe: `Send a chat message to everyone in the room (up to ${MAX_CHAT_CHARS} characters)`,
    builder: (y: Argv<CtlArgs>) => y.positional('text', { type: 'string', array: true, describe: 'The message (words are joined with spaces)', demandOption: true }) as unknown as Argv<CtlArgs>,
    handler: (args: ArgumentsCamelCase<CtlArgs & { text?: unknown }>) => {
      const text = (Array.isArray(args.text) ? args.text : [args.text]).map(String).join(' ');
      return runCtl(args, { cmd: 'say', text }, () => 'sent');
    },
  },
  {
    command: 'device <end> <name..>',
    describe: 'Use another sound device mid-call: input (microphone) or output (speaker), by name or part of one (see `ctl devices`)',
    builder: (y: Argv<CtlArgs>) =>
      y
        .positional('end', { type: 'string', choices: ['input', 'output'], demandOption: true })
        .positional('name', { type: 'string', array: true, describe: 'The device name, or part of it (any case)', demandOption: true }) as unknown as Argv<CtlArgs>,
    handler: (args: ArgumentsCamelCase<CtlArgs & { end?: unknown; name?: unknown }>) => {
      const end = args.end === 'output' ? 'output' : 'input';
      const name = (Array.isArray(args.name) ? args.name : [args.name]).map(String).join(' ');
      return runCtl(args, { cmd: 'device', end, name }, (s) => `${end === 'input' ? 'microphone' : 'speaker'}: ${s.audio?.[end].name ?? name}`);
    },
  },
  simple('devices', 'List the sound devices the session can switch to (* marks the one in use)', { cmd: 'devices' }, formatDeviceList),
  {
    command: 'record <action> [file]',
    describe: 'Record the call: start [FILE] (a stereo WAV, you left, the room right; without FILE a dated name in recordDirectory), or stop',
    builder: (y: Argv<CtlArgs>) =>
      y
        .positional('action', { type: 'string', choices: RECORD_ACTIONS, demandOption: true })
        .positional('file', { type: 'string', describe: 'The WAV file (here, where ctl runs); an existing file is kept and a number added' })
        .check((a) => {
          if (a.action === 'stop' && a.file !== undefined) throw new Error('record stop takes no file');
          return true;
        }) as unknown as Argv<CtlArgs>,
    handler: (args: ArgumentsCamelCase<CtlArgs & { action?: unknown; file?: unknown }>) => {
      const action = args.action as (typeof RECORD_ACTIONS)[number];
      // The session may run elsewhere: a name is taken from where ctl runs, as the user means it.
      const file = args.file === undefined ? undefined : path.resolve(cliContext().cwd, String(args.file));
      return runCtl(args, { cmd: 'record', action, ...(file !== undefined ? { path: file } : {}) }, (s) => {
        const r = s.self.recording;
        if (action === 'start') return `recording to ${r?.path ?? 'a file'}`;
        return r?.path != null ? `recording saved: ${r.path} (${Math.round(r.seconds)} s)` : 'not recording';
      });
    },
  },
  {
    command: 'ptt <action>',
    describe: 'Push-to-talk: on / off (the mode), press / release (talk while held: bind to a desktop hotkey)',
    builder: (y: Argv<CtlArgs>) => y.positional('action', { type: 'string', choices: PTT_ACTIONS, demandOption: true }) as unknown as Argv<CtlArgs>,
    handler: (args: ArgumentsCamelCase<CtlArgs & { action?: unknown }>) => {
      const action = args.action as (typeof PTT_ACTIONS)[number];
      return runCtl(args, { cmd: 'ptt', action }, (s) => {
        if (action === 'on' || action === 'off') return onOff(s.self.pushToTalk, 'push-to-talk on', 'push-to-talk off');
        return onOff(s.self.talking, 'talking', 'not talking');
      });
    },
  },
];

export const ctlCommand: CommandModule<object, CtlArgs> = {
  command: 'ctl',
  describe: 'Control a running session from another terminal or a hotkey (mute, volume, lock, status, …)',
  builder: (y: Argv<object>) => {
    let parser = y
      .option('pid', { type: 'number', describe: 'The session of this process id (when several run)', requiresArg: true })
      .option('control', { type: 'string', describe: 'The control socket of a session started with --control PATH', requiresArg: true, normalize: true })
      .check((a) => {
        if (a.pid !== undefined && !(Number.isInteger(a.pid) && a.pid > 0)) throw new Error(`--pid must be a process id, got ${String(a.pid)}`);
        return true;
      }) as unknown as Argv<CtlArgs>;
    for (const sub of SUBCOMMANDS) parser = parser.command(sub);
    return parser
      .demandCommand(1, 'Choose a ctl command.')
      .example('$0 ctl status', 'The running session as JSON')
      .example('$0 ctl mute', 'Mute your microphone')
      .example('$0 ctl volume ada 50', "Ada at half volume, for you")
      .example('$0 ctl ptt press', 'Talk (bind to a key press; `ptt release` to the release)')
      .example('$0 ctl lock --pid 4242', 'Lock the room of the session with pid 4242')
      .example('$0 ctl admit dan', 'Let dan in (knocking at the locked room)')
      .example("$0 ctl say 'back in 5'", 'A chat message to the room')
      .example('$0 ctl record start meeting.wav', 'Record the call to ./meeting.wav (ctl record stop to finish it)') as unknown as Argv<CtlArgs>;
  },
  handler: () => undefined,
};
