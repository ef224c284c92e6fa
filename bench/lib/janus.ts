/**
 * A Janus (Debian package `janus`) of the test's own, inside a network
 * namespace the test creates (docs/architecture.md §10, §11).
 *
 * Why a namespace with an interface of its own, not plain loopback: Janus 1.1.2
 * skips loopback interfaces before it applies `ice_enforce_list`; left with
 * no address, its ICE library falls back to every interface, gathers on the
 * machine's real addresses and the call fails. So the namespace gets an
 * interface of its own (a veth pair with both ends inside) with an address of its own (198.18.0.0/15, the range RFC 2544
 * reserves for benchmarks, which nothing here routes), `ice_enforce_list`
 * names it, and Janus never sees any other interface. The participants run in
 * the same namespace (`ip netns exec`, see `exec`), so every packet stays in
 * it. The configuration is written by the test: only the VideoRoom plugin and
 * the WebSocket transport are loaded; the Debian package's janus.service is
 * never used.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addNamespaceAddress, createNetNs, netnsMissingReason, type NetNs } from './netns.js';

const LIB_DIR = '/usr/lib/x86_64-linux-gnu/janus';
/** Every plugin the package ships but VideoRoom (Janus takes file names here). */
const OTHER_PLUGINS = ['audiobridge', 'duktape', 'echotest', 'lua', 'nosip', 'recordplay', 'sip', 'streaming', 'textroom', 'videocall', 'voicemail'];
/** Every transport but WebSockets. */
const OTHER_TRANSPORTS = ['http', 'mqtt', 'nanomsg', 'pfunix', 'rabbitmq'];
const OWN_IF = 'rtsfu0';
const WS_PORT = 8188;

export interface JanusInstance {
  readonly ns: NetNs;
  /** The namespace's own address (on its veth interface): Janus's ICE and the participants' bind address. */
  readonly address: string;
  /** Janus's WebSocket API, reachable from processes inside `ns` only. */
  readonly wsUrl: string;
  /** Janus's output so far (for a failing test's message). */
  output(): string;
  stop(): Promise<void>;
}

/** Why Janus cannot be run here (not root, no `ip`, package missing), or null. */
export function janusMissingReason(): string | null {
  const ns = netnsMissingReason();
  if (ns !== null) return ns;
  const probe = spawnSync('janus', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) return 'janus is not installed (apt-get install janus)';
  return null;
}

function writeConfig(dir: string, address: string): void {
  const disable = (names: string[]): string => names.map((n) => `libjanus_${n}.so`).join(',');
  writeFileSync(
    path.join(dir, 'janus.jcfg'),
    `general: {
  configs_folder = "${dir}"
  plugins_folder = "${LIB_DIR}/plugins"
  transports_folder = "${LIB_DIR}/transports"
  events_folder = "${LIB_DIR}/events"
  loggers_folder = "${LIB_DIR}/loggers"
  debug_level = 4
  interface = "${address}"
  session_timeout = 60
  protected_folders = []
}
media: {
  rtp_port_range = "20000-40000"
}
nat: {
  ice_enforce_list = "${OWN_IF}"
  ignore_mdns = true
}
plugins: {
  disable = "${disable(OTHER_PLUGINS)}"
}
transports: {
  disable = "${disable(OTHER_TRANSPORTS)}"
}
events: {
  broadcast = false
}
loggers: {
  disable = "libjanus_jsonlog.so"
}
`,
  );
  writeFileSync(
    path.join(dir, 'janus.transport.websockets.jcfg'),
    `general: {
  json = "plain"
  ws = true
  ws_port = ${WS_PORT}
  ws_ip = "${address}"
  wss = false
}
admin: {
  admin_ws = false
  admin_wss = false
}
`,
  );
  // No static rooms: clients create theirs (numeric ids, publishers >= the room limit).
  writeFileSync(path.join(dir, 'janus.plugin.videoroom.jcfg'), 'general: {\n}\n');
}

/**
 * Create a namespace (lo + a veth interface with a 198.18.x.y address),
 * write a minimal configuration and start Janus inside; resolves once its
 * WebSocket port accepts connections.
 */
export async function startJanus(opts: { timeoutMs?: number } = {}): Promise<JanusInstance> {
  const ns = createNetNs('rt-janus');
  const dir = mkdtempSync(path.join(tmpdir(), 'rt-janus-'));
  let proc: ChildProcess | undefined;
  try {
    const address = `198.18.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
    // Both ends of its veth pair inside the namespace; the default route lets a Firefox in it gather (netns.ts).
    addNamespaceAddress(ns, address, OWN_IF);
    writeConfig(dir, address);
    let out = '';
    const child = spawn(ns.exec[0]!, [...ns.exec.slice(1), 'janus', '-F', dir, '-C', path.join(dir, 'janus.jcfg'), '--disable-colors'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc = child;
    const keep = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      if (out.length > 200_000) out = out.slice(-100_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
    // Janus prints this once its WebSocket server listens.
    while (!/Websockets server started/i.test(out)) {
      if (child.exitCode !== null) throw new Error(`janus exited (${child.exitCode}) before listening:\n${out.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`janus did not start within ${opts.timeoutMs ?? 15_000} ms:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return {
      ns,
      address,
      wsUrl: `ws://${address}:${WS_PORT}`,
      output: () => out,
      async stop() {
        if (child.exitCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(timer);
        }
        ns.remove();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (proc !== undefined && proc.exitCode === null) proc.kill('SIGKILL');
    ns.remove();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
