/**
 * The control socket's protocol, shared by the server (in the control
 * process of a running `join`, `create` or `demo`) and `roundtable ctl`:
 * newline-delimited JSON over a Unix socket, one request per line, one
 * response per line, in order. Both ends validate every line with these
 * schemas (zod/mini, as src/protocol does).
 *
 *   → {"v":1,"id":1,"cmd":"mute"}
 *   ← {"v":1,"id":1,"ok":true,"status":{…}}
 *   ← {"v":1,"id":1,"ok":false,"code":"unknown-peer","error":"…","hint":"…"}
 *
 * Every successful response carries the session's status after the command,
 * so a caller sees what its command did. `admit` / `deny` answer a knock at
 * the locked room (by the newcomer's name or id); `say` sends a chat message
 * to the room; `record` starts (to an absolute path, or a dated name) or
 * stops recording the call.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

export const CONTROL_PROTOCOL_VERSION = 1;
/** Longest request or response line, in bytes (a status of 8 peers is ~3 KB). */
export const MAX_CONTROL_LINE_BYTES = 64 * 1024;
export const VOLUME_MIN_PERCENT = 0;
export const VOLUME_MAX_PERCENT = 200;
/** Longest `say` text on the socket (characters before sanitizing); the chat's own limit is smaller. */
export const MAX_SAY_CHARS = 16 * 1024;

z.config(en());

const v = z.literal(CONTROL_PROTOCOL_VERSION);
const id = z.optional(z.int().check(z.nonnegative()));
const simple = <T extends string>(cmd: T) => z.object({ v, id, cmd: z.literal(cmd) });

export const PTT_ACTIONS = ['on', 'off', 'press', 'release'] as const;
export type PttAction = (typeof PTT_ACTIONS)[number];
export const RECORD_ACTIONS = ['start', 'stop'] as const;
/** Longest recording path on the socket (PATH_MAX on Linux). */
export const MAX_RECORD_PATH_CHARS = 4096;

export const controlRequestSchema = z.discriminatedUnion('cmd', [
  simple('status'),
  simple('mute'),
  simple('unmute'),
  simple('toggle-mute'),
  simple('deafen'),
  simple('undeafen'),
  z.object({
    v,
    id,
    cmd: z.literal('volume'),
    /** A peer's name or id (or the start of its id). */
    peer: z.string().check(z.minLength(1), z.maxLength(128)),
    percent: z.number().check(z.gte(VOLUME_MIN_PERCENT), z.lte(VOLUME_MAX_PERCENT)),
  }),
  z.object({ v, id, cmd: z.literal('ptt'), action: z.enum(PTT_ACTIONS) }),
  simple('lock'),
  simple('unlock'),
  z.object({ v, id, cmd: z.enum(['admit', 'deny']), peer: z.string().check(z.minLength(1), z.maxLength(128)) }),
  /** The limit is the session's (MAX_CHAT_CHARS); a longer line is refused there, in words. */
  z.object({ v, id, cmd: z.literal('say'), text: z.string().check(z.minLength(1), z.maxLength(MAX_SAY_CHARS)) }),
  /** `path` is absolute (ctl resolves it where it runs); without it, a dated name in the session's recordDirectory. */
  z.object({ v, id, cmd: z.literal('record'), action: z.enum(RECORD_ACTIONS), path: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_RECORD_PATH_CHARS))) }),
  simple('leave'),
  /** Use another sound device for the microphone (input) or the speaker (output): a name, or part of one, from `devices`. */
  z.object({ v, id, cmd: z.literal('device'), end: z.enum(['input', 'output']), name: z.string().check(z.minLength(1), z.maxLength(256)) }),
  /** List the sound devices again; the status's `audio.devices` has them. */
  simple('devices'),
]);
export type ControlRequest = z.infer<typeof controlRequestSchema>;
export type ControlCommand = ControlRequest['cmd'];
/** What a caller builds: the request without the version. */
export type ControlRequestBody = ControlRequest extends infer R ? (R extends unknown ? Omit<R, 'v'> : never) : never;

const peerStatusSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  speaking: z.boolean(),
  /** Output level of this peer's stream, 0..1. */
  level: z.number(),
  volumePercent: z.number(),
  mutedByMe: z.boolean(),
  /** The peer records the call (optional: a session from before recording does not say). */
  recording: z.optional(z.boolean()),
});

/** Our call recording: state (off, starting, recording, stopping), its file, seconds, and why it failed. */
const recordingStatusSchema = z.object({
  state: z.string(),
  path: z.nullable(z.string()),
  seconds: z.number(),
  error: z.nullable(z.string()),
});

const audioEndSchema = z.object({
  kind: z.enum(['device', 'file', 'none']),
  name: z.string(),
  health: z.enum(['ok', 'lost', 'switching']),
  problem: z.optional(z.string()),
});

export const controlStatusSchema = z.object({
  pid: z.int(),
  room: z.string(),
  server: z.string(),
  phase: z.string(),
  locked: z.boolean(),
  /** How the room's media travels (docs/architecture.md §11), once the server has said. */
  media: z.optional(z.object({ path: z.enum(['mesh', 'sfu']), description: z.string() })),
  self: z.object({
    name: z.string(),
    muted: z.boolean(),
    deafened: z.boolean(),
    pushToTalk: z.boolean(),
    talking: z.boolean(),
    speaking: z.boolean(),
    micLevel: z.number(),
    /** Per processing stage (echo-cancellation, noise-suppression, auto-gain): on, off or unavailable. */
    processing: z.record(z.string(), z.string()),
    recording: z.optional(recordingStatusSchema),
    /** How the system schedules the audio engine: realtime, raised or normal (absent where it is not a process of ours). */
    priority: z.optional(z.enum(['realtime', 'raised', 'normal'])),
    /** What our encoder sends: frame, bitrate, Opus's low-delay mode (absent where the encoder is not ours). */
    codec: z.optional(z.object({ frameMs: z.number(), bitrateBps: z.number(), lowDelay: z.boolean() })),
  }),
  /** The microphone and speaker (absent before the media side reports): which, and whether lost; the devices there are once listed. */
  audio: z.optional(
    z.object({
      input: audioEndSchema,
      output: audioEndSchema,
      devices: z.nullable(z.object({ input: z.array(z.string()), output: z.array(z.string()), defaultInput: z.optional(z.string()), defaultOutput: z.optional(z.string()), listedAt: z.string() })),
    }),
  ),
  peers: z.array(peerStatusSchema),
  /** Newcomers knocking at the locked room, oldest first: answer with admit / deny. */
  knocks: z.array(z.object({ id: z.string(), name: z.string(), since: z.string() })),
  /** The chat's latest lines, oldest first (plain text): messages and the room's notices. */
  chat: z.array(z.object({ at: z.string(), kind: z.enum(['message', 'notice']), from: z.string(), self: z.boolean(), text: z.string() })),
});
export type ControlStatus = z.infer<typeof controlStatusSchema>;
export type PeerStatus = z.infer<typeof peerStatusSchema>;

export const CONTROL_ERROR_CODES = [
  'bad-request',
  'unknown-peer',
  'ambiguous-peer',
  'ptt-off',
  'not-connected',
  'not-confirmed',
  'unknown-knock',
  'ambiguous-knock',
  'too-long',
  'not-sent',
  'already-recording',
  'not-recorded',
  'session-over',
  'no-device',
  'internal',
] as const;
export type ControlErrorCode = (typeof CONTROL_ERROR_CODES)[number];

export const controlResponseSchema = z.discriminatedUnion('ok', [
  z.object({ v, id, ok: z.literal(true), status: controlStatusSchema }),
  z.object({
    v,
    id,
    ok: z.literal(false),
    code: z.enum(CONTROL_ERROR_CODES),
    error: z.string().check(z.maxLength(2000)),
    hint: z.optional(z.string().check(z.maxLength(2000))),
  }),
]);
export type ControlResponse = z.infer<typeof controlResponseSchema>;
export type ControlResponseBody = ControlResponse extends infer R ? (R extends unknown ? Omit<R, 'v'> : never) : never;

export type LineResult<T> = { ok: true; value: T } | { ok: false; error: string };

function parseLine<T>(schema: z.ZodMiniType<T>, line: string, what: string): LineResult<T> {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return { ok: false, error: `${what} is not valid JSON` };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return { ok: false, error: `${what} must be a JSON object` };
  const version = (data as { v?: unknown }).v;
  if (version !== CONTROL_PROTOCOL_VERSION) {
    return { ok: false, error: `control protocol version ${JSON.stringify(version) ?? '(missing)'} not supported (this end speaks v${CONTROL_PROTOCOL_VERSION})` };
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : what;
    return { ok: false, error: `invalid ${where}: ${issue?.message ?? 'does not match'}`.slice(0, 300) };
  }
  return { ok: true, value: result.data };
}

export function parseControlRequest(line: string): LineResult<ControlRequest> {
  return parseLine(controlRequestSchema, line, 'request');
}

export function parseControlResponse(line: string): LineResult<ControlResponse> {
  return parseLine(controlResponseSchema, line, 'response');
}

/** One line of the protocol (with its newline), the version added. */
export function encodeControlLine(body: ControlRequestBody | ControlResponseBody): string {
  return `${JSON.stringify({ v: CONTROL_PROTOCOL_VERSION, ...body })}\n`;
}

/**
 * Splits a byte stream into lines; a line longer than the limit is an error
 * (the caller drops the connection), so a peer cannot make us buffer without end.
 */
export class LineSplitter {
  private pending = '';

  constructor(private readonly maxBytes = MAX_CONTROL_LINE_BYTES) {}

  /** The complete lines in `chunk` (empty lines skipped); throws RangeError past the limit. */
  push(chunk: string): string[] {
    this.pending += chunk;
    const parts = this.pending.split('\n');
    this.pending = parts.pop() ?? '';
    if (Buffer.byteLength(this.pending) > this.maxBytes) throw new RangeError(`line longer than ${this.maxBytes} bytes`);
    return parts.map((p) => p.replace(/\r$/, '')).filter((p) => p.trim().length > 0);
  }
}
