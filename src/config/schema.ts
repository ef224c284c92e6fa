/**
 * The one configuration schema. Every field, its default and its accepted
 * range live here and nowhere else: the loader, the `config` command and
 * config.example.yaml all follow this file.
 *
 * Every check carries an `expected` text (`want(...)`) instead of zod's
 * generic message, so a bad file can be reported as
 * "<file>: <field> is <value>; expected <what this field accepts>".
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_FRAME_MS, FRAME_MS_VALUES } from '../core/media-format.js';
import { LOG_LEVELS } from '../core/logger.js';
import { DEFAULT_ICE_SERVERS } from '../engine/mesh/ice-servers.js';
import { DEFAULT_ECHO_TAIL_MS, ECHO_TAIL_MAX_MS, ECHO_TAIL_MIN_MS } from '../engine/dsp/stage.js';
import { NODE_ID_PATTERN } from '../server/node-id.js';
import { redisUrlProblem } from '../server/redis-url.js';

/** What differs between machines/users and so cannot be a constant default. */
export interface HostContext {
  homeDir: string;
  username: string;
  env: NodeJS.ProcessEnv;
}

/** `{ error }` param: zod uses it as the issue message, which we print as "expected …". */
const want = (expected: string) => ({ error: expected });

export const DEFAULT_SERVER_URL = 'ws://127.0.0.1:8787';

const SERVER_EXPECTED = 'a ws:// or wss:// URL of a signaling server';
/** Nodes a client may fail over between (docs/architecture.md §5, "Several nodes"). */
export const MAX_SERVER_URLS = 8;

function isSignalingUrl(s: string): boolean {
  try {
    const url = new URL(s);
    return url.protocol === 'ws:' || url.protocol === 'wss:';
  } catch {
    return false;
  }
}

/** The signaling servers a `server` setting names, in the order to try them: a list, or URLs separated by commas. */
export function serverUrls(server: string | readonly string[]): string[] {
  const list = typeof server === 'string' ? server.split(',') : [...server];
  return list.map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * `server`: one URL, several separated by commas (flags and ROUNDTABLE_SERVER
 * are strings), or a list; several are nodes sharing rooms, tried in turn.
 */
const serverSchema = z.union(
  [
    z
      .string(want(SERVER_EXPECTED))
      .refine((s) => serverUrls(s).length <= MAX_SERVER_URLS, want(`at most ${MAX_SERVER_URLS} signaling server URLs`))
      .refine((s) => serverUrls(s).length >= 1 && serverUrls(s).every(isSignalingUrl), want(SERVER_EXPECTED)),
    z
      .array(z.string(want(SERVER_EXPECTED)).refine(isSignalingUrl, want(SERVER_EXPECTED)), want(`a list of ${SERVER_EXPECTED}s`))
      .min(1, want('at least one signaling server URL'))
      .max(MAX_SERVER_URLS, want(`at most ${MAX_SERVER_URLS} signaling server URLs`)),
  ],
  want(`${SERVER_EXPECTED}, several separated by commas, or a list of them (at most ${MAX_SERVER_URLS})`),
);

const REDIS_EXPECTED = 'a redis:// or rediss:// URL (leave out for a single signaling node)';
const NODE_ID_EXPECTED = "1 to 64 letters, digits, '.', '_' or '-'";

/** Opus accepts 6 kb/s to 510 kb/s (RFC 6716 §2.1.1; libopus clamps outside). */
export const BITRATE_MIN = 6_000;
export const BITRATE_MAX = 510_000;

/**
 * Named keys the TUI understands besides single printable characters.
 * Exported so the key handler can share the vocabulary.
 */
export const NAMED_KEYS = ['space', 'tab', 'enter', 'escape', 'backspace', 'up', 'down', 'left', 'right'] as const;

const KEY_EXPECTED = `a single printable character or one of ${NAMED_KEYS.join(', ')}`;
const keySchema = z
  .string(want(KEY_EXPECTED))
  .refine((k) => (NAMED_KEYS as readonly string[]).includes(k) || /^[\x21-\x7e]$/.test(k), want(KEY_EXPECTED));

/** STUN/TURN URIs: RFC 7064 (stun:, stuns:) and RFC 7065 (turn:, turns:). */
const ICE_URL_EXPECTED = 'a stun:, stuns:, turn: or turns: URI such as stun:stun.l.google.com:19302';
const iceUrl = z.string(want(ICE_URL_EXPECTED)).regex(/^(stuns?|turns?):[^\s]+$/, want(ICE_URL_EXPECTED));
const isTurnUrl = (url: string): boolean => /^turns?:/.test(url);

const iceServerSchema = z
  .object(
    {
      urls: z.union([iceUrl, z.array(iceUrl, want(`a list of ${ICE_URL_EXPECTED}s`)).min(1, want('at least one URI'))], want(`${ICE_URL_EXPECTED}, or a list of them`)),
      username: z.string(want('a string (TURN user name)')).min(1, want('a non-empty TURN user name')).optional(),
      credential: z.string(want('a string (TURN password)')).min(1, want('a non-empty TURN password')).optional(),
    },
    want('a mapping with urls (and username/credential for TURN)'),
  )
  .strict()
  .superRefine((server, ctx) => {
    // TURN servers only allocate relays for authenticated users (RFC 8656 §9,
    // long-term credentials of RFC 8489 §9.2), so a TURN entry without them
    // can never work; say so now rather than at call time.
    const urls = Array.isArray(server.urls) ? server.urls : [server.urls];
    if (!urls.some(isTurnUrl)) return;
    for (const field of ['username', 'credential'] as const) {
      if (server[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], input: undefined, message: `a ${field} for the TURN server ${urls.find(isTurnUrl)}` });
      }
    }
  });

const DEVICE_EXPECTED = 'a device index (integer ≥ 0, see `roundtable devices`) or a non-empty part of a device name';
const deviceSchema = z.union(
  [
    z.number(want(DEVICE_EXPECTED)).int(want(DEVICE_EXPECTED)).min(0, want(DEVICE_EXPECTED)),
    z.string(want(DEVICE_EXPECTED)).min(1, want(DEVICE_EXPECTED)),
  ],
  want(DEVICE_EXPECTED),
);

const frameMsSchema = z
  .number(want(`one of ${FRAME_MS_VALUES.join(', ')} (milliseconds)`))
  .refine((v) => (FRAME_MS_VALUES as readonly number[]).includes(v), want(`one of ${FRAME_MS_VALUES.join(', ')} (milliseconds)`))
  .transform((v) => v as (typeof FRAME_MS_VALUES)[number]);

const intIn = (min: number, max: number, unit: string) => {
  const expected = `an integer from ${min} to ${max}${unit ? ` (${unit})` : ''}`;
  return z.number(want(expected)).int(want(expected)).min(min, want(expected)).max(max, want(expected));
};

const bool = (what: string) => z.boolean(want(`true or false (${what})`));

const CONTROL_EXPECTED =
  'true (a control socket for `roundtable ctl` in the per-user runtime directory), false (none), or an absolute path for the socket';

/** Largest jitter-buffer delay we accept: beyond 2 s a conversation stops working. */
export const JITTER_MAX_DELAY_LIMIT_MS = 2_000;

/**
 * Log file default follows the XDG base directory spec: logs are "state"
 * ($XDG_STATE_HOME, default ~/.local/state), not config or cache.
 */
export function defaultLogFile(host: HostContext): string {
  const stateHome = host.env.XDG_STATE_HOME && path.isAbsolute(host.env.XDG_STATE_HOME)
    ? host.env.XDG_STATE_HOME
    : path.join(host.homeDir, '.local', 'state');
  return path.join(stateHome, 'roundtable', 'roundtable.log');
}

export function buildConfigSchema(host: HostContext) {
  return z
    .object(
      {
        server: serverSchema.default(DEFAULT_SERVER_URL),
        name: z
          .string(want('a display name of 1 to 32 characters'))
          .trim()
          .min(1, want('a display name of 1 to 32 characters'))
          .max(32, want('a display name of 1 to 32 characters'))
          .default(host.username),
        ice: z
          .object(
            {
              servers: z
                .array(iceServerSchema, want('a list of ICE servers (each with urls)'))
                .default(DEFAULT_ICE_SERVERS.map((server) => ({ ...server }))),
              relayOnly: bool('use only TURN relays, never direct paths').default(false),
            },
            want('a mapping with servers and relayOnly'),
          )
          .strict()
          .superRefine((ice, ctx) => {
            if (!ice.relayOnly) return;
            const hasTurn = ice.servers.some((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]).some(isTurnUrl));
            if (!hasTurn) {
              ctx.addIssue({ code: 'custom', path: ['relayOnly'], input: true, message: 'relayOnly: false, or at least one turn:/turns: server in ice.servers' });
            }
          })
          .prefault({}),
        audio: z
          .object(
            {
              inputDevice: deviceSchema.optional(),
              outputDevice: deviceSchema.optional(),
              frameMs: frameMsSchema.default(DEFAULT_FRAME_MS),
              bitrate: intIn(BITRATE_MIN, BITRATE_MAX, 'bits per second').default(32_000),
              dtx: bool('Opus discontinuous transmission in silence').default(true),
              lowDelay: bool("Opus's low-delay mode: 4 ms less mouth-to-ear latency; CELT only, without the speech coder (SILK) Opus recommends at low bitrates").default(false),
              complexity: intIn(0, 10, 'Opus encoder complexity').default(5),
              echoCancellation: z
                .union([z.literal('auto'), z.boolean()], want("true, false or 'auto' (on when both microphone and speaker are sound devices)"))
                .default('auto'),
              noiseSuppression: bool('suppress background noise in your microphone (RNNoise)').default(true),
              autoGain: bool('bring your microphone to a steady level (automatic gain control)').default(true),
              echoTailMs: intIn(ECHO_TAIL_MIN_MS, ECHO_TAIL_MAX_MS, 'milliseconds of echo the canceller models').default(DEFAULT_ECHO_TAIL_MS),
              echoDelayMs: intIn(0, 500, 'milliseconds the speaker-to-microphone round trip adds beyond what the device reports').default(0),
              redundancy: bool('repeat earlier frames (RTP redundancy, RFC 2198) to peers that report loss').default(true),
              realtimePriority: bool('run the audio engine at real-time priority where the system allows it, so a busy screen never delays it').default(true),
            },
            want('a mapping of audio settings'),
          )
          .strict()
          .prefault({}),
        jitterBuffer: z
          .object(
            {
              minDelayMs: intIn(0, JITTER_MAX_DELAY_LIMIT_MS, 'milliseconds').default(0),
              maxDelayMs: intIn(0, JITTER_MAX_DELAY_LIMIT_MS, 'milliseconds').default(400),
            },
            want('a mapping with minDelayMs and maxDelayMs'),
          )
          .strict()
          .superRefine((jb, ctx) => {
            if (jb.minDelayMs > jb.maxDelayMs) {
              ctx.addIssue({
                code: 'custom',
                path: ['maxDelayMs'],
                input: jb.maxDelayMs,
                message: `a value ≥ jitterBuffer.minDelayMs (${jb.minDelayMs})`,
              });
            }
          })
          .prefault({}),
        cues: z
          .object(
            {
              enabled: bool('play join/leave/mute sounds').default(true),
              volumePercent: intIn(0, 100, 'percent').default(50),
            },
            want('a mapping with enabled and volumePercent'),
          )
          .strict()
          .prefault({}),
        keys: z
          .object(
            {
              mute: keySchema.default('m'),
              deafen: keySchema.default('d'),
              pushToTalk: keySchema.default('p'),
              talk: keySchema.default('space'),
              echoCancellation: keySchema.default('e'),
              noiseSuppression: keySchema.default('n'),
              autoGain: keySchema.default('g'),
              lock: keySchema.default('L'),
              devices: keySchema.default('i'),
              record: keySchema.default('R'),
              stats: keySchema.default('s'),
              help: keySchema.default('?'),
              quit: keySchema.default('q'),
            },
            want('a mapping of action to key'),
          )
          .strict()
          .superRefine((keys, ctx) => {
            // One key, one action: a duplicate would make one of them unreachable.
            const seen = new Map<string, string>();
            for (const [action, key] of Object.entries(keys)) {
              const other = seen.get(key);
              if (other !== undefined) {
                ctx.addIssue({ code: 'custom', path: [action], input: key, message: `a key not already bound to keys.${other}` });
              } else {
                seen.set(key, action);
              }
            }
          })
          .prefault({}),
        controlSocket: z
          .union(
            [z.boolean(), z.string().min(1).refine((p) => path.isAbsolute(p) || p.startsWith('~/'), want(CONTROL_EXPECTED))],
            want(CONTROL_EXPECTED),
          )
          .transform((p) => (typeof p === 'string' && p.startsWith('~/') ? path.join(host.homeDir, p.slice(1)) : p))
          .default(true),
        /** `roundtable serve`: the Janus it coordinates for SFU rooms (docs/architecture.md §11); --janus overrides it. */
        janus: z
          .string(want("a ws:// or wss:// URL of Janus's WebSocket API"))
          .regex(/^wss?:\/\/\S+$/u, want("a ws:// or wss:// URL of Janus's WebSocket API"))
          .optional(),
        recordDirectory: z
          .string(want('a directory path'))
          .min(1, want('a non-empty directory path'))
          .transform((p) => (p === '~' || p.startsWith('~/') ? path.join(host.homeDir, p.slice(1)) : p))
          .optional(),
        logFile: z
          .string(want('a file path'))
          .min(1, want('a non-empty file path'))
          .transform((p) => (p === '~' || p.startsWith('~/') ? path.join(host.homeDir, p.slice(1)) : p))
          .default(defaultLogFile(host)),
        // Only `roundtable serve` reads this section (its flags win).
        serve: z
          .object(
            {
              redis: z.string(want(REDIS_EXPECTED)).refine((u) => redisUrlProblem(u) === undefined, want(REDIS_EXPECTED)).optional(),
              nodeId: z.string(want(NODE_ID_EXPECTED)).regex(NODE_ID_PATTERN, want(NODE_ID_EXPECTED)).optional(),
              // With janus: when a room switches between mesh and SFU by its size (server/media-mode.ts).
              sfuThreshold: z.number(want('a whole number >= 0')).int(want('a whole number >= 0')).min(0, want('a whole number >= 0')).optional(),
              meshThreshold: z.number(want('a whole number >= 1')).int(want('a whole number >= 1')).min(1, want('a whole number >= 1')).optional(),
            },
            want('a mapping with redis, nodeId, sfuThreshold and meshThreshold'),
          )
          .strict()
          .optional(),
        logLevel: z.enum(LOG_LEVELS as unknown as [string, ...string[]], want(`one of ${LOG_LEVELS.join(', ')}`))
          .transform((v) => v as (typeof LOG_LEVELS)[number])
          .default('info'),
      },
      want('a YAML mapping of settings (see config.example.yaml)'),
    )
    .strict();
}

export type ConfigSchema = ReturnType<typeof buildConfigSchema>;
export type Config = z.output<ConfigSchema>;
/** What a config file (or the flags) may contain: the schema's input. */
export type ConfigInput = z.input<ConfigSchema>;

export type DeepPartial<T> = T extends readonly (infer _U)[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** The user running this process, without crashing where the passwd entry is missing (containers). */
export function currentUsername(env: NodeJS.ProcessEnv = process.env): string {
  try {
    const name = os.userInfo().username;
    if (name) return name;
  } catch {
    // no passwd entry for this uid: fall through to the environment
  }
  return env.USER || env.LOGNAME || 'guest';
}

export function hostContext(overrides: Partial<HostContext> = {}): HostContext {
  const env = overrides.env ?? process.env;
  return {
    env,
    homeDir: overrides.homeDir ?? os.homedir(),
    username: (overrides.username ?? currentUsername(env)).slice(0, 32) || 'guest',
  };
}

/** Defaults for this user on this machine (the schema applied to an empty file). */
export function defaultsFor(host: HostContext): Config {
  return buildConfigSchema(host).parse({});
}

export const DEFAULTS: Config = defaultsFor(hostContext());
