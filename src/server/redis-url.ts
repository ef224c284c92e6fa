/**
 * The Redis URL of `serve --redis` (docs/architecture.md §5, "Several
 * nodes"): checked before anything starts, and never logged with its
 * password.
 */

/** Why `url` cannot be a Redis URL, or undefined when it can. */
export function redisUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${JSON.stringify(url)} is not a URL; expected redis://host:port (or rediss:// for TLS)`;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `${redactRedisUrl(url)} is not a redis:// or rediss:// URL`;
  if (u.hostname === '') return `${redactRedisUrl(url)} names no host; expected redis://host:port`;
  return undefined;
}

/** `url` for log lines: as given, or with its password replaced by ***. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password === '') return url;
    u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
