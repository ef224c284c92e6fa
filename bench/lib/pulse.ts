/**
 * A real-time virtual sound device for tests and benchmarks: a private user-mode PulseAudio
 * daemon with a 48 kHz mono null sink whose monitor is the default source,
 * so what a test plays it can capture again. ALSA (and so PortAudio /
 * naudiodon) is routed to it through a generated ALSA config.
 *
 * Recipe and measurements: docs/architecture.md §10. The loopback from a null source
 * into the null sink is a keep-alive: without it the idle sink runs with
 * ~2 s latency and capture starts 0.5–2 s late.
 *
 * Usage:
 *   const pulse = await startPulse();
 *   if ('skipped' in pulse) return ctx.skip(pulse.skipped);
 *   ... spawn device code with pulse.env ...
 *   await pulse.stop();
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PulseHandle {
  /** Environment for any process that should use this sound server (merge into the child's env). */
  env: Record<string, string>;
  /** Name of the default sink (with the default devices, a null sink whose monitor, `${sinkName}.monitor`, is the default source). */
  sinkName: string;
  stop(): Promise<void>;
}

export const PULSE_SINK_NAME = 'roundtable_sink';

const READY_TIMEOUT_MS = 10_000;

export interface PulseOptions {
  /**
   * The server's devices, as default.pa lines (the socket is always loaded),
   * and the sink whose being the default says the server is ready. Default:
   * the null sink with its monitor as the default source, kept alive.
   */
  readonly devices?: { readonly script: readonly string[]; readonly readySink: string };
}

/**
 * The test server's devices: a null sink as the speaker, kept running by a
 * silent loopback (an idle null sink suspends and stops its clock), and as
 * the default source either the speaker's monitor or, given `micSink`, the
 * monitor of a second null sink a test plays the microphone's sound into.
 */
export function pulseDevices(micSink?: string): NonNullable<PulseOptions['devices']> {
  const nullSink = (name: string, description: string): string =>
    `load-module module-null-sink sink_name=${name} rate=48000 channels=1 format=s16le sink_properties=device.description=${description}`;
  return {
    script: [
      nullSink(PULSE_SINK_NAME, 'RoundtableTestSink'),
      ...(micSink !== undefined ? [nullSink(micSink, 'RoundtableTestMic')] : []),
      'load-module module-null-source source_name=roundtable_keepalive rate=48000 channels=1 format=s16le',
      'load-module module-always-sink',
      `load-module module-loopback source=roundtable_keepalive sink=${PULSE_SINK_NAME}`,
      `set-default-sink ${PULSE_SINK_NAME}`,
      `set-default-source ${micSink ?? PULSE_SINK_NAME}.monitor`,
    ],
    readySink: PULSE_SINK_NAME,
  };
}

/** Run `pactl ARGS` against the server `env` points at; resolves with its output. */
export async function pactl(env: Record<string, string>, ...args: string[]): Promise<string> {
  const { stdout } = await run('pactl', args, { env: { ...process.env, ...env }, timeout: 5000 });
  return stdout;
}

/** Start a private PulseAudio; `{ skipped }` with the reason only where it cannot run here. */
export async function startPulse(options: PulseOptions = {}): Promise<PulseHandle | { skipped: string }> {
  try {
    await run('pulseaudio', ['--version'], { timeout: 5000 });
  } catch {
    return { skipped: 'pulseaudio is not installed (Debian: apt-get install --no-install-recommends pulseaudio libasound2-plugins)' };
  }

  const dir = mkdtempSync(join(tmpdir(), 'roundtable-pulse-'));
  const runtimeDir = join(dir, 'runtime');
  const home = join(dir, 'home');
  for (const d of [runtimeDir, home, join(dir, 'state')]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const socket = join(runtimeDir, 'native');

  // -n skips the system default.pa; this script is the whole configuration.
  const devices = options.devices ?? pulseDevices();
  const script = [`load-module module-native-protocol-unix socket=${socket} auth-anonymous=1`, ...devices.script, ''].join('\n');
  writeFileSync(join(dir, 'default.pa'), script);

  // A complete, minimal ALSA configuration: only the pulse plugin. It replaces
  // the system alsa.conf, which also silences ALSA's probe noise on stderr.
  const alsaConf = join(dir, 'asound.conf');
  writeFileSync(alsaConf, 'pcm.!default { type pulse }\nctl.!default { type pulse }\n');

  const env: Record<string, string> = {
    PULSE_SERVER: `unix:${socket}`,
    PULSE_RUNTIME_PATH: runtimeDir,
    PULSE_STATE_PATH: join(dir, 'state'),
    XDG_RUNTIME_DIR: runtimeDir,
    ALSA_CONFIG_PATH: alsaConf,
  };

  let log = '';
  const daemon: ChildProcess = spawn(
    'pulseaudio',
    ['-n', '-F', join(dir, 'default.pa'), '--daemonize=no', '--exit-idle-time=-1', '--use-pid-file=no', '--disable-shm=true', '--log-target=stderr'],
    { cwd: dir, env: { ...process.env, ...env, HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  daemon.stderr?.setEncoding('utf8');
  daemon.stderr?.on('data', (s: string) => {
    log = (log + s).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => daemon.on('close', () => resolve()));
  let spawnError: Error | undefined;
  daemon.on('error', (err) => (spawnError = err));

  const cleanup = async (): Promise<void> => {
    if (daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGTERM');
      const timer = setTimeout(() => daemon.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  // Ready when the server answers and our sink is the default.
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (spawnError || daemon.exitCode !== null || daemon.signalCode !== null) {
      const reason = spawnError?.message ?? `pulseaudio exited (${daemon.exitCode ?? daemon.signalCode})`;
      await cleanup();
      return { skipped: `PulseAudio cannot start here: ${reason}; log: ${lastErrors(log)}` };
    }
    try {
      const info = await pactl(env, 'info');
      if (info.includes(`Default Sink: ${devices.readySink}`)) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await cleanup();
      return { skipped: `PulseAudio did not become ready within ${READY_TIMEOUT_MS} ms; log: ${lastErrors(log)}` };
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  let stopping: Promise<void> | undefined;
  return { env, sinkName: devices.readySink, stop: () => (stopping ??= cleanup()) };
}

function lastErrors(log: string): string {
  const lines = log.split('\n').filter((l) => l.startsWith('E:'));
  return (lines.length ? lines : log.split('\n')).slice(-3).join(' | ') || '(empty)';
}
