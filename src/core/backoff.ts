/**
 * Reconnect delays: exponential backoff with jitter, so that after a server
 * restart thousands of clients do not all reconnect in the same millisecond.
 * Delay for attempt n (0-based) is base = min(max, initial · factor^n), then
 * reduced by up to `jitter` · base at random: uniformly in [base·(1−jitter), base].
 */
export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** 0 = no jitter, 1 = anywhere in [0, base]. */
  jitter: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialDelayMs: 250,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0.5,
});

export function resolveBackoff(partial: Partial<BackoffOptions> | undefined): BackoffOptions {
  const o = { ...DEFAULT_BACKOFF, ...(partial ?? {}) };
  if (!(o.initialDelayMs >= 0) || !(o.maxDelayMs >= o.initialDelayMs) || !(o.factor >= 1) || !(o.jitter >= 0 && o.jitter <= 1)) {
    throw new RangeError(`invalid backoff options ${JSON.stringify(o)}`);
  }
  return o;
}

/** `random` returns a number in [0, 1) (Math.random, or a seeded one in tests). */
export function backoffDelayMs(attempt: number, opts: BackoffOptions, random: () => number): number {
  const exponent = Math.max(0, Math.min(attempt, 60)); // keep factor^n finite
  const baseMs = Math.min(opts.maxDelayMs, opts.initialDelayMs * opts.factor ** exponent);
  return baseMs * (1 - opts.jitter * random());
}
