/**
 * Command-line options shared by several commands, and the one mapping from
 * parsed flags to config overrides (flags win over file and environment).
 * The global options (--config, --log-level, --json) are run.ts's, which
 * loads no configuration code.
 *
 * Commands that start a session (join, create, loopback, demo) spread
 * `sessionOptions` into their builder and call `loadConfigFromArgv(argv)`.
 */
import path from 'node:path';
import type { Options } from 'yargs';
import { FRAME_MS_VALUES, type FrameMs } from '../core/media-format.js';
import type { LogLevel } from '../core/logger.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { Config, DeepPartial } from '../config/schema.js';
import { cliContext } from './context.js';

/** Settings a session can take from flags; each maps to one config field. */
export const sessionOptions = {
  server: { type: 'string', describe: 'Signaling server URL (ws:// or wss://); several nodes sharing rooms separated by commas, tried in turn', requiresArg: true },
  name: { type: 'string', describe: 'Display name shown to others', requiresArg: true },
  'input-device': { type: 'string', describe: 'Microphone: index or part of a name (see `devices`)', requiresArg: true },
  'output-device': { type: 'string', describe: 'Speaker: index or part of a name (see `devices`)', requiresArg: true },
  'frame-ms': { type: 'number', choices: FRAME_MS_VALUES, describe: 'Audio frame length in ms', requiresArg: true },
  bitrate: { type: 'number', describe: 'Opus bitrate in bits per second (6000-510000)', requiresArg: true },
  'low-delay': {
    type: 'boolean',
    describe: "Opus's low-delay mode: 4 ms less mouth-to-ear latency; CELT only, without the speech coder (SILK) Opus recommends at low bitrates [default: off]",
  },
  'echo-cancellation': {
    type: 'boolean',
    describe: 'Cancel the echo of your speaker from your microphone (speexdsp, adds 10 ms); --no-echo-cancellation to turn off [default: on when both are sound devices]',
  },
  'noise-suppression': {
    type: 'boolean',
    describe: 'Suppress background noise in your microphone (RNNoise, adds 20 ms); --no-noise-suppression to turn off [default: on]',
  },
  'auto-gain': {
    type: 'boolean',
    describe: 'Bring your microphone to a steady level (automatic gain control, no delay); --no-auto-gain to turn off [default: on]',
  },
  'relay-only': { type: 'boolean', describe: 'Use only TURN relays (hides your address from peers)' },
  'log-file': { type: 'string', describe: 'Write logs to FILE', requiresArg: true, normalize: true },
  control: {
    type: 'string',
    describe: 'Listen for `roundtable ctl` on this Unix socket (default: one per session in $XDG_RUNTIME_DIR/roundtable); --no-control for none',
    requiresArg: true,
  },
} as const satisfies Record<string, Options>;

/** The parsed flags this module reads (yargs camel-cases dashed names). */
export interface ConfigFlags {
  config?: string;
  logLevel?: string;
  json?: boolean;
  server?: string;
  name?: string;
  inputDevice?: string | number;
  outputDevice?: string | number;
  frameMs?: number;
  bitrate?: number;
  lowDelay?: boolean;
  echoCancellation?: boolean;
  noiseSuppression?: boolean;
  autoGain?: boolean;
  relayOnly?: boolean;
  logFile?: string;
  /** A socket path, or false for --no-control. */
  control?: string | false;
}

/** "3" selects device index 3; anything else is matched against device names. */
function deviceFlag(value: string | number | undefined): string | number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  return /^\d+$/.test(value) ? Number(value) : value;
}

function dropUndefined<T extends Record<string, unknown>>(record: T): Partial<T> | undefined {
  const entries = Object.entries(record).filter(([, v]) => v !== undefined);
  return entries.length ? (Object.fromEntries(entries) as Partial<T>) : undefined;
}

/** Only flags the user actually gave become overrides; absent flags leave file values alone. */
export function overridesFromFlags(flags: ConfigFlags): DeepPartial<Config> {
  const overrides: DeepPartial<Config> = {};
  if (flags.server !== undefined) overrides.server = flags.server;
  if (flags.name !== undefined) overrides.name = flags.name;
  if (flags.logLevel !== undefined) overrides.logLevel = flags.logLevel as LogLevel;
  if (flags.logFile !== undefined) overrides.logFile = flags.logFile;
  if (flags.relayOnly !== undefined) overrides.ice = { relayOnly: flags.relayOnly };
  if (flags.control !== undefined) overrides.controlSocket = flags.control === false ? false : path.resolve(cliContext().cwd, flags.control);
  const audio = dropUndefined({
    inputDevice: deviceFlag(flags.inputDevice),
    outputDevice: deviceFlag(flags.outputDevice),
    frameMs: flags.frameMs as FrameMs | undefined,
    bitrate: flags.bitrate,
    lowDelay: flags.lowDelay,
    echoCancellation: flags.echoCancellation,
    noiseSuppression: flags.noiseSuppression,
    autoGain: flags.autoGain,
  });
  if (audio) overrides.audio = audio;
  return overrides;
}

/** Loads the effective configuration for a command: --config, flags, env, cwd and home from the run's context. */
export async function loadConfigFromArgv(flags: ConfigFlags): Promise<LoadedConfig> {
  const context = cliContext();
  return loadConfig({
    ...(flags.config !== undefined ? { configPath: flags.config } : {}),
    cwd: context.cwd,
    ...(context.homeDir !== undefined ? { homeDir: context.homeDir } : {}),
    env: context.env,
    overrides: overridesFromFlags(flags),
  });
}
