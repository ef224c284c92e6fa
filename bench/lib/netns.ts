/**
 * A network namespace with only `lo` up, for tests whose participants
 * (Chromium above all, which gathers candidates on every interface) must not
 * be able to send a packet anywhere but loopback (docs/architecture.md §10).
 * The test (or benchmark) creates it, runs its servers and clients inside with `ip netns
 * exec`, and deletes it after.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface NetNs {
  readonly name: string;
  /** The command prefix that runs a program inside the namespace. */
  readonly exec: readonly string[];
  remove(): void;
}

/** Why namespaces cannot be made here (not root, no `ip`), or null. */
export function netnsMissingReason(): string | null {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) return `ip netns unavailable: ${probe.error?.message ?? probe.stderr.trim()}`;
  return null;
}

export function createNetNs(prefix = 'rt-test'): NetNs {
  const name = `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name]);
  try {
    execFileSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  } catch (err) {
    spawnSync('ip', ['netns', 'delete', name]);
    throw err;
  }
  let removed = false;
  return {
    name,
    exec: ['ip', 'netns', 'exec', name],
    remove() {
      if (removed) return;
      removed = true;
      spawnSync('ip', ['netns', 'delete', name]);
    },
  };
}

/** The interface addNamespaceAddress makes, unless told another name. */
export const NAMESPACE_IF = 'rt0';

/**
 * Give `ns` an address of its own besides loopback, on a veth pair whose two
 * ends both stay inside it, and a default route onto it: Firefox gathers no
 * ICE candidate at all in a namespace where only `lo` is up, and none
 * without a default route either (it looks for its "default address"; both
 * measured with Firefox ESR 153, media.peerconnection.ice.loopback on). With
 * these it gathers a host candidate on `address`, which the namespace's own
 * sockets reach through its loopback. Nothing leaves: what the route sends
 * comes out of the pair's other end in the same namespace, unaddressed and
 * not forwarded (a new namespace does not forward), and the namespace has no
 * other interface. Returns the address.
 */
export function addNamespaceAddress(ns: NetNs, address = '10.77.0.1', ifName = NAMESPACE_IF): string {
  const ip = (...args: string[]): void => void execFileSync(ns.exec[0]!, [...ns.exec.slice(1), 'ip', ...args]);
  // A veth pair (this kernel has no dummy interface type): the address sits on one end; the other only gives it a carrier.
  ip('link', 'add', ifName, 'type', 'veth', 'peer', 'name', `${ifName}-far`);
  ip('addr', 'add', `${address}/24`, 'dev', ifName);
  ip('link', 'set', ifName, 'up');
  ip('link', 'set', `${ifName}-far`, 'up');
  ip('route', 'add', 'default', 'dev', ifName);
  return address;
}
